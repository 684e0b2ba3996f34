"""What an S3 request must be allowed to do: its IAM actions, on which resources, with which
condition keys ("Actions, resources, and condition keys for Amazon S3").

The route row names the base action (`Route.action`); the request refines it: a `versionId`
turns s3:GetObject into s3:GetObjectVersion, an ACL header on a write adds s3:PutObjectAcl, a
copy also reads its source. Every permission must be allowed for the request to proceed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ferry.api.auth import Principal, PrincipalKind
from ferry.api.handlers.objects import parse_copy_source
from ferry.api.http import Request
from ferry.api.routing import Op, Route, Target

SERVICE_RESOURCE = "arn:aws:s3:::*"  # what service-level actions (ListAllMyBuckets) act on

# Operations whose action names the version when the request names one.
_VERSIONED_ACTIONS = {
    Op.GetObject: "s3:GetObjectVersion",
    Op.HeadObject: "s3:GetObjectVersion",
    Op.DeleteObject: "s3:DeleteObjectVersion",
    Op.GetObjectTagging: "s3:GetObjectVersionTagging",
    Op.PutObjectTagging: "s3:PutObjectVersionTagging",
    Op.DeleteObjectTagging: "s3:DeleteObjectVersionTagging",
    Op.GetObjectAcl: "s3:GetObjectVersionAcl",
    Op.PutObjectAcl: "s3:PutObjectVersionAcl",
    Op.GetObjectAttributes: "s3:GetObjectVersionAttributes",
}
# Object writes that also set an ACL or tags when the request carries those headers.
OBJECT_CREATES = frozenset({Op.PutObject, Op.CopyObject, Op.CreateMultipartUpload, Op.PostObject})
_ACL_HEADERS = (
    "x-amz-acl",
    "x-amz-grant-full-control",
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
)
_LISTINGS = frozenset({Op.ListObjects, Op.ListObjectsV2, Op.ListObjectVersions})
# Request headers S3 exposes as condition keys of the same name (s3:<header>).
_HEADER_KEYS = (
    "x-amz-acl",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-storage-class",
    "x-amz-content-sha256",
    "x-amz-grant-full-control",
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
)
_PRINCIPAL_TYPES = {
    PrincipalKind.ANONYMOUS: "Anonymous",
    PrincipalKind.DEPLOYMENT_ROOT: "Account",
    PrincipalKind.ACCOUNT_ROOT: "Account",
    PrincipalKind.USER: "User",
    PrincipalKind.ROLE: "AssumedRole",
    PrincipalKind.REPLICATION: "AssumedRole",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Permission:
    """One action on one resource: a bucket, an object, or (bucket None) the service."""

    action: str
    bucket: str | None
    key: str | None = None

    @property
    def resource(self) -> str:
        if self.bucket is None:
            return SERVICE_RESOURCE
        if self.key is None:
            return f"arn:aws:s3:::{self.bucket}"
        return f"arn:aws:s3:::{self.bucket}/{self.key}"


def required_permissions(
    route: Route, request: Request, bucket: str, key: str
) -> tuple[Permission, ...]:
    params, headers = request.params, request.headers
    if route.target is Target.SERVICE or route.op is Op.CreateBucket:
        # CreateBucket acts on a bucket that does not exist yet: its ARN names it all the same.
        return (Permission(action=route.action, bucket=bucket or None),)
    if route.op is Op.DeleteObjects:
        return ()  # each key is authorised as the handler reads it (`RequestAccess.require`)
    if route.target is Target.BUCKET and route.op is not Op.PostObject:  # POST names its key
        return (Permission(action=route.action, bucket=bucket),)
    action = route.action
    if "versionId" in params and route.op in _VERSIONED_ACTIONS:
        action = _VERSIONED_ACTIONS[route.op]
    permissions = [Permission(action=action, bucket=bucket, key=key)]
    if route.op in OBJECT_CREATES:
        if any(name in headers for name in _ACL_HEADERS):
            permissions.append(Permission(action="s3:PutObjectAcl", bucket=bucket, key=key))
        if "x-amz-tagging" in headers:
            permissions.append(Permission(action="s3:PutObjectTagging", bucket=bucket, key=key))
        if "x-amz-object-lock-mode" in headers or "x-amz-object-lock-retain-until-date" in headers:
            permissions.append(Permission(action="s3:PutObjectRetention", bucket=bucket, key=key))
        if "x-amz-object-lock-legal-hold" in headers:
            permissions.append(Permission(action="s3:PutObjectLegalHold", bucket=bucket, key=key))
    if route.op in (Op.CopyObject, Op.UploadPartCopy):
        source_bucket, source_key, version_id = parse_copy_source(
            headers.get("x-amz-copy-source", "")
        )
        read = "s3:GetObjectVersion" if version_id else "s3:GetObject"
        permissions.append(Permission(action=read, bucket=source_bucket, key=source_key))
    return tuple(permissions)


def condition_context(
    principal: Principal, route: Route, request: Request, now: datetime
) -> dict[str, tuple[str, ...]]:
    """The request's condition keys (lower-cased), as AWS populates them for S3."""
    headers, params = request.headers, request.params
    context = global_context(principal, request, now)
    for header in _HEADER_KEYS:
        if header in headers:
            context[f"s3:{header}"] = (headers[header],)
    if route.op in _LISTINGS:
        for param, name in (
            ("prefix", "s3:prefix"),
            ("delimiter", "s3:delimiter"),
            ("max-keys", "s3:max-keys"),
        ):
            if param in params:
                context[name] = (params[param],)
    if "versionId" in params:
        context["s3:versionid"] = (params["versionId"],)
    if route.op in OBJECT_CREATES:
        context.update(_object_lock_keys(headers, now))
    context["s3:authtype"] = ("POST",) if route.op is Op.PostObject else (_auth_type(request),)
    context["s3:signatureversion"] = (_signature_version(request),)
    return context


def _object_lock_keys(headers: Mapping[str, str], now: datetime) -> dict[str, tuple[str, ...]]:
    """s3:object-lock-* condition keys of a write that sets a lock through its headers."""
    keys: dict[str, tuple[str, ...]] = {}
    mode = headers.get("x-amz-object-lock-mode")
    until = headers.get("x-amz-object-lock-retain-until-date")
    hold = headers.get("x-amz-object-lock-legal-hold")
    if mode is not None:
        keys["s3:object-lock-mode"] = (mode,)
    if hold is not None:
        keys["s3:object-lock-legal-hold"] = (hold,)
    if until is not None:
        keys["s3:object-lock-retain-until-date"] = (until,)
        try:
            moment = datetime.fromisoformat(until.strip())
        except ValueError:
            return keys  # the handler refuses the date
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        days = math.ceil((moment - now).total_seconds() / 86_400)
        keys["s3:object-lock-remaining-retention-days"] = (str(max(days, 0)),)
    return keys


def global_context(
    principal: Principal, request: Request, now: datetime
) -> dict[str, tuple[str, ...]]:
    """The condition keys of every AWS request (aws:*), whatever the service."""
    headers = request.headers
    context: dict[str, tuple[str, ...]] = {
        "aws:securetransport": ("true" if request.scheme == "https" else "false",),
        "aws:currenttime": (now.strftime("%Y-%m-%dT%H:%M:%SZ"),),
        "aws:epochtime": (str(int(now.timestamp())),),
        "aws:principaltype": (_PRINCIPAL_TYPES[principal.kind],),
    }
    if request.client_host:
        context["aws:sourceip"] = (request.client_host,)
    if not principal.is_anonymous:
        context["aws:principalarn"] = (principal.arn,)
        context["aws:principalaccount"] = (principal.account_id,)
        if principal.kind is PrincipalKind.USER:
            context["aws:username"] = (principal.arn.rsplit("/", 1)[-1],)
    for header, name in (("referer", "aws:referer"), ("user-agent", "aws:useragent")):
        if header in headers:
            context[name] = (headers[header],)
    return context


def _auth_type(request: Request) -> str:
    if "authorization" in request.headers:
        return "REST-HEADER"
    if "X-Amz-Signature" in request.params or "Signature" in request.params:
        return "REST-QUERY-STRING"
    return "REST-HEADER"


def _signature_version(request: Request) -> str:
    authorization = request.headers.get("authorization", "")
    if authorization.startswith("AWS ") or "Signature" in request.params:
        return "AWS"
    return "AWS4-HMAC-SHA256"
