"""IAM and STS over the AWS query protocol (form-encoded requests, XML responses), on every
region's endpoint; the state lives in the control plane, so IAM is global as in AWS.

A request is told apart from S3 by the SigV4 service it is signed for (`iam`, `sts`); any
scope region is accepted. Errors use the query protocol's own shape (`ErrorResponse`), never
S3's, and never carry a secret.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable

from ferry.api.auth import KeyLookup, Principal, PrincipalKind, authenticate
from ferry.api.context import Services
from ferry.api.http import ClientDisconnected, Request, Response
from ferry.api.iam import inline, managed, roles, users
from ferry.api.iam.call import IamCall
from ferry.control import Iam
from ferry.control.iam_errors import (
    DeleteConflict,
    EntityAlreadyExists,
    IamAccessDenied,
    IamValidationError,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
)
from ferry.control.identifiers import HolderKind, parse_principal_arn
from ferry.core.errors import FerryError
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.iam import (
    IAM_NAMESPACE,
    STS_NAMESPACE,
    Field,
    MalformedQuery,
    parse_form,
    render_error,
    render_response,
)

log = logging.getLogger("ferry.api.iam")

MAX_QUERY_BODY_BYTES = 1024 * 1024
IAM_VERSION = "2010-05-08"
STS_VERSION = "2011-06-15"

Operation = Callable[[IamCall], Awaitable[list[Field] | None]]

IAM_OPERATIONS: dict[str, Operation] = {
    "CreateUser": users.create_user,
    "GetUser": users.get_user,
    "DeleteUser": users.delete_user,
    "ListUsers": users.list_users,
    "CreateAccessKey": users.create_access_key,
    "DeleteAccessKey": users.delete_access_key,
    "ListAccessKeys": users.list_access_keys,
    "UpdateAccessKey": users.update_access_key,
    **inline.operations(HolderKind.USER),
    "CreateRole": roles.create_role,
    "GetRole": roles.get_role,
    "DeleteRole": roles.delete_role,
    "ListRoles": roles.list_roles,
    **inline.operations(HolderKind.ROLE),
    "CreatePolicy": managed.create_policy,
    "GetPolicy": managed.get_policy,
    "GetPolicyVersion": managed.get_policy_version,
    "DeletePolicy": managed.delete_policy,
    "ListPolicies": managed.list_policies,
    "AttachUserPolicy": managed.attach_user_policy,
    "DetachUserPolicy": managed.detach_user_policy,
    "ListAttachedUserPolicies": managed.list_attached_user_policies,
    "AttachRolePolicy": managed.attach_role_policy,
    "DetachRolePolicy": managed.detach_role_policy,
    "ListAttachedRolePolicies": managed.list_attached_role_policies,
}


class QueryError(Exception):
    """An error in the query protocol's terms: code, HTTP status, message."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


# Domain error → (IAM code, HTTP status); the first matching class in the MRO wins.
_IAM_CODES: dict[type[FerryError], tuple[str, int]] = {
    NoSuchEntity: ("NoSuchEntity", 404),
    EntityAlreadyExists: ("EntityAlreadyExists", 409),
    DeleteConflict: ("DeleteConflict", 409),
    LimitExceeded: ("LimitExceeded", 409),
    IamValidationError: ("ValidationError", 400),
    InvalidInput: ("InvalidInput", 400),
    MalformedPolicyDocument: ("MalformedPolicyDocument", 400),
    IamAccessDenied: ("AccessDenied", 403),
}

_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


def to_query_error(exc: Exception) -> QueryError | None:
    """The query-protocol error for `exc`; None: an unexpected failure (a 500)."""
    if isinstance(exc, QueryError):
        return exc
    if isinstance(exc, FerryError):
        for cls in type(exc).__mro__:
            if cls in _IAM_CODES:
                code, status = _IAM_CODES[cls]
                return QueryError(code, status, exc.message)
        return None
    if isinstance(exc, S3Error):  # from authentication
        if exc.code is S3ErrorCode.InvalidAccessKeyId:
            return QueryError(
                "InvalidClientTokenId",
                403,
                "The security token included in the request is invalid.",
            )
        if exc.code is S3ErrorCode.SignatureDoesNotMatch:
            return QueryError("SignatureDoesNotMatch", 403, _SIGNATURE_MISMATCH)
        return QueryError(exc.code.value, exc.status, exc.message)
    return None


async def handle_iam(
    request: Request, request_id: str, services: Services, keys: KeyLookup, *, service: str
) -> Response:
    """`service` is `iam` or `sts`, the SigV4 service the request was signed for."""
    namespace = STS_NAMESPACE if service == "sts" else IAM_NAMESPACE
    try:
        params, body = await _params(request)
        auth = authenticate(
            request,
            keys,
            services.clock,
            services.region.name,
            service=service,
            any_region=True,
            body_sha256=hashlib.sha256(body).hexdigest(),
        )
        principal = auth.principal
        if principal.is_anonymous:
            raise QueryError(
                "MissingAuthenticationToken", 403, "Request is missing Authentication Token"
            )
        action = params.get("Action", "")
        if service == "sts":
            result = await _sts(action, principal, services)
        else:
            result = await _iam(action, params, principal, request, services)
        rendered = render_response(action, namespace, result, request_id)
        return Response(status=200, headers=[("content-type", "text/xml")], body=rendered)
    except ClientDisconnected:
        raise  # nobody to answer: the pipeline drops the connection
    except Exception as exc:  # the IAM pipeline's boundary: every error becomes query XML
        error = to_query_error(exc)
        if error is None:
            log.error("unhandled IAM error", exc_info=exc, extra={"request_id": request_id})
            error = QueryError("ServiceFailure", 500, "An internal error occurred.")
        rendered = render_error(
            namespace,
            code=error.code,
            message=error.message,
            request_id=request_id,
            sender=error.status < 500,
        )
        return Response(status=error.status, headers=[("content-type", "text/xml")], body=rendered)


async def _params(request: Request) -> tuple[dict[str, str], bytes]:
    """The query string's parameters, overlaid by a form body's (POST, as SDKs send), and
    the body itself (its hash is part of the signature)."""
    params = dict(request.params)
    body = b""
    if request.method == "POST":
        try:
            body = await request.read_body(MAX_QUERY_BODY_BYTES)
        except S3Error as exc:
            raise QueryError("ValidationError", 400, "The request body is too large.") from exc
        try:
            params.update(parse_form(body))
        except MalformedQuery as exc:
            raise QueryError("MalformedQueryString", 400, "The form body is malformed.") from exc
    return params, body


def _iam_of(services: Services) -> Iam:
    if services.iam is None:
        raise QueryError("ServiceUnavailable", 503, "IAM is not configured in this region.")
    return services.iam


async def _iam(
    action: str,
    params: dict[str, str],
    principal: Principal,
    request: Request,
    services: Services,
) -> list[Field] | None:
    operation = IAM_OPERATIONS.get(action)
    if operation is None:
        raise QueryError(
            "InvalidAction", 400, f"Could not find operation {action} for version {IAM_VERSION}"
        )
    call = IamCall(
        params=params,
        principal=principal,
        request=request,
        iam=_iam_of(services),
        now=services.clock.now(),
    )
    return await operation(call)


async def _sts(action: str, principal: Principal, services: Services) -> list[Field] | None:
    if action != "GetCallerIdentity":
        raise QueryError(
            "InvalidAction", 400, f"Could not find operation {action} for version {STS_VERSION}"
        )
    return [
        ("UserId", await _user_id(principal, services)),
        ("Account", principal.account_id),
        ("Arn", principal.arn),
    ]


async def _user_id(principal: Principal, services: Services) -> str:
    """GetCallerIdentity's UserId: the account ID for roots, the AIDA… ID for users."""
    name = parse_principal_arn(principal.arn)
    if principal.kind is PrincipalKind.USER and name is not None:
        user = await _iam_of(services).users.get(principal.account_id, name.name)
        return user.user_id
    if principal.kind is PrincipalKind.ROLE and name is not None:
        role = await _iam_of(services).roles.get(principal.account_id, name.name)
        return f"{role.role_id}:{principal.arn.rsplit('/', 1)[-1]}"
    return principal.account_id
