"""Service-level operations."""

from __future__ import annotations

import base64
import binascii

from ferry.api import placement
from ferry.api.context import RequestContext
from ferry.api.handlers import ownership, views
from ferry.api.http import Response, xml_response
from ferry.protocol import xml
from ferry.protocol.errors import S3Error, S3ErrorCode

MAX_BUCKETS = 10_000  # AWS's range for max-buckets: 1..10000


def parse_max_buckets(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_BUCKETS:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            f"Argument max-buckets must be an integer between 1 and {MAX_BUCKETS}",
            ArgumentName="max-buckets",
            ArgumentValue=text,
        )
    return int(text)


def render_token(last_name: str) -> str:
    """Opaque to clients: the last bucket name of the page, base64url."""
    return base64.urlsafe_b64encode(last_name.encode()).decode()


def parse_token(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        name = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
            ArgumentValue=token,
        ) from exc
    if not name:
        raise S3Error(S3ErrorCode.InvalidArgument, "The continuation token provided is incorrect")
    return name


async def list_buckets(ctx: RequestContext) -> Response:
    """The account's buckets in every region of the deployment (from the bucket directory), in
    name order; `max-buckets` pages them, `continuation-token` resumes after the last one."""
    prefix = ctx.param("prefix") or ""
    region = ctx.param("bucket-region")
    limit = parse_max_buckets(ctx.param("max-buckets"))
    after = parse_token(ctx.param("continuation-token"))
    owner_id = ownership.caller_owner_id(ctx)
    selected = sorted(
        (
            b
            for b in await placement.list_buckets(ctx.services, owner_id)
            if b.bucket.startswith(prefix) and (region is None or b.region == region)
        ),
        key=lambda b: b.bucket,
    )
    if after is not None:
        selected = [b for b in selected if b.bucket > after]
    token = None
    if limit is not None and len(selected) > limit:
        selected = selected[:limit]
        token = render_token(selected[-1].bucket)
    listed = tuple(
        xml.ListedBucket(name=b.bucket, creation_date=b.created, region=b.region) for b in selected
    )
    result = xml.ListBucketsResult(
        owner=views.owner(owner_id), buckets=listed, continuation_token=token, prefix=prefix or None
    )
    return xml_response(xml.render_list_buckets(result))
