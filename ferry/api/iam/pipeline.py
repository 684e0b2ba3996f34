"""IAM's and STS's one pipeline: parse the query → authenticate (any scope region) → the
operation → render XML, every error through `errors.error_response`."""

from __future__ import annotations

import hashlib

from ferry.api.auth import Principal, authenticate
from ferry.api.context import ApiCall
from ferry.api.http import ClientDisconnected, Request, Response
from ferry.api.iam.call import IamCall
from ferry.api.iam.errors import QueryError, error_response
from ferry.api.iam.operations import IAM_OPERATIONS, get_caller_identity, iam_of
from ferry.protocol.errors import S3Error
from ferry.protocol.xml.iam import (
    IAM_NAMESPACE,
    STS_NAMESPACE,
    Field,
    MalformedQuery,
    parse_form,
    render_response,
)

MAX_QUERY_BODY_BYTES = 1024 * 1024
IAM_VERSION = "2010-05-08"
STS_VERSION = "2011-06-15"
IAM_SERVICE = "iam"
STS_SERVICE = "sts"


async def handle_iam(call: ApiCall) -> Response:
    """A request signed for SigV4 service `iam`."""
    return await _handle(call, IAM_SERVICE)


async def handle_sts(call: ApiCall) -> Response:
    """A request signed for SigV4 service `sts`."""
    return await _handle(call, STS_SERVICE)


async def _handle(call: ApiCall, service: str) -> Response:
    request, services = call.request, call.services
    namespace = STS_NAMESPACE if service == STS_SERVICE else IAM_NAMESPACE
    try:
        params, body = await _params(request)
        auth = authenticate(
            request,
            call.keys,
            services.clock,
            services.region.name,
            service=service,
            any_region=True,
            body_sha256=hashlib.sha256(body).hexdigest(),
        )
        principal = auth.principal
        call.note.principal = principal
        action = params.get("Action", "")
        call.note.operation = action
        if principal.is_anonymous:
            raise QueryError(
                "MissingAuthenticationToken", 403, "Request is missing Authentication Token"
            )
        if service == STS_SERVICE:
            result = await _sts(action, call, principal)
        else:
            result = await _iam(action, params, call, principal)
        rendered = render_response(action, namespace, result, call.request_id)
        return Response(status=200, headers=[("content-type", "text/xml")], body=rendered)
    except ClientDisconnected:
        raise  # nobody to answer: the app's pipeline drops the request
    except Exception as exc:  # the IAM pipeline's boundary: every error becomes query XML
        return error_response(exc, namespace, call.request_id)


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


async def _iam(
    action: str, params: dict[str, str], call: ApiCall, principal: Principal
) -> list[Field] | None:
    operation = IAM_OPERATIONS.get(action)
    if operation is None:
        raise QueryError(
            "InvalidAction", 400, f"Could not find operation {action} for version {IAM_VERSION}"
        )
    iam_call = IamCall(
        params=params,
        principal=principal,
        request=call.request,
        iam=iam_of(call.services),
        now=call.services.clock.now(),
    )
    return await operation(iam_call)


async def _sts(action: str, call: ApiCall, principal: Principal) -> list[Field] | None:
    if action != "GetCallerIdentity":
        raise QueryError(
            "InvalidAction", 400, f"Could not find operation {action} for version {STS_VERSION}"
        )
    return await get_caller_identity(principal, call.services)
