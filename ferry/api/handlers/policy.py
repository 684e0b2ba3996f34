"""Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy, GetBucketPolicyStatus.

The document is validated (grammar, then bucket-specific checks) and stored exactly as sent,
so GetBucketPolicy returns it byte for byte. Who may call these is `api/access.py`'s concern.
"""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.api.http import Response, xml_response
from ferry.api.public_access import effective_block
from ferry.control.errors import MalformedPolicy, PolicyTooLarge
from ferry.control.policy import (
    PolicyKind,
    check_bucket_policy,
    is_public_policy,
    parse_policy,
)
from ferry.control.policy.model import MAX_BUCKET_POLICY_BYTES
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.public_access import render_policy_status


async def put_bucket_policy(ctx: RequestContext) -> Response:
    document = await _read_document(ctx)
    policy = parse_policy(document, PolicyKind.RESOURCE)
    check_bucket_policy(policy, ctx.bucket)
    if is_public_policy(policy):
        access = await ctx.services.buckets.get_access(ctx.bucket)
        if (await effective_block(ctx.services, access)).block_public_policy:
            raise S3Error(S3ErrorCode.AccessDenied)  # BlockPublicPolicy, as AWS answers
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
    """IsPublic: the policy is public (control/policy/public.py) and RestrictPublicBuckets
    (bucket or account) does not hold, which would confine it to the owner's account."""
    document = await ctx.services.buckets.get_policy(ctx.bucket)
    public = is_public_policy(parse_policy(document, PolicyKind.RESOURCE))
    if public:
        access = await ctx.services.buckets.get_access(ctx.bucket)
        public = not (await effective_block(ctx.services, access)).restrict_public_buckets
    return xml_response(render_policy_status(public))


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
