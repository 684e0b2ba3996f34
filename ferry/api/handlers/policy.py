"""Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy, GetBucketPolicyStatus.

The document is validated (grammar, then bucket-specific checks) and stored exactly as sent,
so GetBucketPolicy returns it byte for byte. Who may call these is `api/access.py`'s concern.
"""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.api.http import Response, xml_response
from ferry.control.errors import MalformedPolicy, PolicyTooLarge
from ferry.control.policy import (
    Effect,
    Policy,
    PolicyKind,
    check_bucket_policy,
    parse_policy,
)
from ferry.control.policy.model import MAX_BUCKET_POLICY_BYTES

_POLICY_STATUS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<PolicyStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    "<IsPublic>{}</IsPublic></PolicyStatus>"
)


async def put_bucket_policy(ctx: RequestContext) -> Response:
    document = await _read_document(ctx)
    policy = parse_policy(document, PolicyKind.RESOURCE)
    check_bucket_policy(policy, ctx.bucket)
    await ctx.services.buckets.set_policy(ctx.bucket, document)
    return Response(status=204)


async def get_bucket_policy(ctx: RequestContext) -> Response:
    document = await ctx.services.buckets.get_policy(ctx.bucket)
    return Response(
        status=200, headers=[("content-type", "application/json")], body=document.encode()
    )


async def delete_bucket_policy(ctx: RequestContext) -> Response:
    await ctx.services.buckets.set_policy(ctx.bucket, None)
    return Response(status=204)


async def get_bucket_policy_status(ctx: RequestContext) -> Response:
    document = await ctx.services.buckets.get_policy(ctx.bucket)
    public = is_public(parse_policy(document, PolicyKind.RESOURCE))
    return xml_response(_POLICY_STATUS.format("true" if public else "false").encode())


def is_public(policy: Policy) -> bool:
    """AWS's test, simplified: an unconditional Allow for everyone (or everyone but some)."""
    return any(
        statement.effect is Effect.ALLOW
        and not statement.conditions
        and (
            (statement.principal is not None and statement.principal.is_everyone)
            or statement.not_principal is not None
        )
        for statement in policy.statements
    )


async def _read_document(ctx: RequestContext) -> str:
    """The body, refused once past S3's size limit rather than buffered whole."""
    parts: list[bytes] = []
    size = 0
    async for chunk in ctx.request.stream():
        size += len(chunk)
        if size > MAX_BUCKET_POLICY_BYTES:
            raise PolicyTooLarge(
                "Policies must not exceed 20 KB in size", limit=MAX_BUCKET_POLICY_BYTES
            )
        parts.append(chunk)
    try:
        return b"".join(parts).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPolicy("Policies must be valid JSON and the first byte must be '{'") from exc
