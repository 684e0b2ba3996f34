"""Object Lock on the object write and read paths: the `x-amz-object-lock-*` request headers
of PutObject, CopyObject and CreateMultipartUpload, the same headers on GET/HEAD answers, the
integrity header AWS requires of a locked upload, and the governance bypass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ferry.api.context import RequestContext
from ferry.control.errors import AccessDenied
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml._xml import format_timestamp
from ferry.protocol.xml.object_lock import LOCK_MODES, parse_retain_until
from ferry.store import ObjectAttributes, ObjectLockMode, Version
from ferry.store.errors import ObjectLockMissing
from ferry.store.records import BucketState

MODE = "x-amz-object-lock-mode"
RETAIN_UNTIL = "x-amz-object-lock-retain-until-date"
LEGAL_HOLD = "x-amz-object-lock-legal-hold"
BYPASS_GOVERNANCE = "x-amz-bypass-governance-retention"
BYPASS_ACTION = "s3:BypassGovernanceRetention"
LOCK_HEADERS = (MODE, RETAIN_UNTIL, LEGAL_HOLD)
_LOCKED_UPLOAD_NEEDS_DIGEST = (
    "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with "
    "Object Lock parameters"
)


def has_lock_headers(headers: Mapping[str, str]) -> bool:
    return any(name in headers for name in LOCK_HEADERS)


def with_lock_headers(ctx: RequestContext, attrs: ObjectAttributes) -> ObjectAttributes:
    """`attrs` with the retention and legal hold the request's headers ask for."""
    headers = ctx.request.headers
    mode, until = headers.get(MODE), headers.get(RETAIN_UNTIL)
    if (mode is None) != (until is None):
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
        )
    if mode is not None and until is not None:
        if mode not in LOCK_MODES:
            raise S3Error(S3ErrorCode.InvalidArgument, "Unknown wormMode directive.")
        moment = parse_retain_until(until)
        attrs = replace(attrs, lock_mode=ObjectLockMode(mode), lock_until=moment)
    hold = headers.get(LEGAL_HOLD)
    if hold is not None:
        if hold not in ("ON", "OFF"):
            raise S3Error(S3ErrorCode.InvalidArgument, "Legal Hold must be either of 'ON' or 'OFF'")
        attrs = replace(attrs, legal_hold=hold == "ON")
    return attrs


def check_lock_request(ctx: RequestContext, bucket: BucketState, attrs: ObjectAttributes) -> None:
    """Before a body is read: lock headers need a bucket with Object Lock, and a version that
    will be locked (its headers or the bucket's default retention) needs Content-MD5 or a
    checksum (AWS: any x-amz-checksum-* will do)."""
    asks = attrs.lock_mode is not None or attrs.legal_hold
    if asks and bucket.object_lock is None:
        raise ObjectLockMissing(bucket=bucket.name)
    defaulted = bucket.object_lock is not None and bucket.object_lock.default_retention
    if (asks or defaulted) and not has_integrity_header(ctx.request.headers):
        raise S3Error(S3ErrorCode.InvalidRequest, _LOCKED_UPLOAD_NEEDS_DIGEST)


def has_integrity_header(headers: Mapping[str, str]) -> bool:
    if "content-md5" in headers or "x-amz-sdk-checksum-algorithm" in headers:
        return True
    if "x-amz-checksum" in headers.get("x-amz-trailer", ""):
        return True
    return any(n.startswith("x-amz-checksum-") and n != "x-amz-checksum-type" for n in headers)


async def may_bypass_governance(ctx: RequestContext, key: str) -> bool:
    """The request asks to bypass GOVERNANCE retention and may (s3:BypassGovernanceRetention);
    without the permission the bypass is not applied, and a locked version stays locked."""
    if (ctx.header(BYPASS_GOVERNANCE) or "").strip().lower() != "true":
        return False
    if ctx.access is None:
        return True
    try:
        await ctx.access.require(BYPASS_ACTION, key)
    except AccessDenied:
        return False
    return True


async def lock_response_headers(ctx: RequestContext, version: Version) -> list[tuple[str, str]]:
    """GET/HEAD show a version's lock to callers allowed to read it (AWS: the request succeeds
    either way, without what the caller may not see)."""
    attrs = version.attrs
    out: list[tuple[str, str]] = []
    retention = attrs.lock_mode is not None and attrs.lock_until is not None
    if retention and await _may_read(ctx, "s3:GetObjectRetention", version.key):
        assert attrs.lock_mode is not None and attrs.lock_until is not None
        out.append((MODE, attrs.lock_mode.value))
        out.append((RETAIN_UNTIL, format_timestamp(attrs.lock_until)))
    if attrs.legal_hold and await _may_read(ctx, "s3:GetObjectLegalHold", version.key):
        out.append((LEGAL_HOLD, "ON"))
    return out


async def _may_read(ctx: RequestContext, action: str, key: str) -> bool:
    if ctx.access is None:
        return True
    try:
        await ctx.access.require(action, key)
    except AccessDenied:
        return False
    return True
