"""CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, bucket versioning."""

from __future__ import annotations

from ferry.api import placement
from ferry.api.context import RequestContext
from ferry.api.handlers import acl as acl_headers
from ferry.api.handlers import ownership
from ferry.api.http import Response, xml_response
from ferry.core.names import parse_bucket_name
from ferry.protocol import xml
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.store import (
    BLOCK_ALL_PUBLIC_ACCESS,
    BucketAccess,
    ObjectOwnership,
    VersioningStatus,
)


async def create_bucket(ctx: RequestContext) -> Response:
    name = parse_bucket_name(ctx.bucket)
    region = ctx.services.region.name
    body = await ctx.request.read_body()
    location = xml.parse_create_bucket_configuration(body).location_constraint
    if location == "" or location == "us-east-1":
        location = None  # us-east-1 is spelled by omission
    expected = None if region == "us-east-1" else region
    if location != expected:
        if location is None or location == "EU":
            raise S3Error(
                S3ErrorCode.IllegalLocationConstraintException,
                "The unspecified location constraint is incompatible for the region specific "
                "endpoint this request was sent to.",
            )
        raise S3Error(
            S3ErrorCode.IllegalLocationConstraintException,
            f"The {location} location constraint is incompatible for the region specific "
            "endpoint this request was sent to.",
        )
    owner_id = ownership.caller_owner_id(ctx)
    lock = (ctx.header("x-amz-bucket-object-lock-enabled") or "").strip().lower()
    if lock not in ("", "true", "false"):
        raise S3Error(S3ErrorCode.InvalidArgument, "Invalid x-amz-bucket-object-lock-enabled")
    object_ownership = _object_ownership_header(ctx)
    new = BucketAccess(
        name=name, owner_id=owner_id, policy=None, object_ownership=object_ownership,
        public_access_block=BLOCK_ALL_PUBLIC_ACCESS,
    )  # fmt: skip
    acl = await ownership.checked_acl(
        ctx, new, acl_headers.grants_from_headers(ctx, owner_id),
        refusal=S3ErrorCode.InvalidBucketAclWithObjectOwnership,
    )  # fmt: skip
    await placement.create_bucket(
        ctx.services, name, owner_id, acl,
        object_ownership=object_ownership, object_lock=lock == "true",
    )  # fmt: skip
    return Response(status=200).set("location", f"/{name}")


def _object_ownership_header(ctx: RequestContext) -> ObjectOwnership:
    """`x-amz-object-ownership`; without it, BucketOwnerEnforced (AWS's default)."""
    value = ctx.header("x-amz-object-ownership")
    if value is None:
        return ObjectOwnership.BUCKET_OWNER_ENFORCED
    try:
        return ObjectOwnership(value)
    except ValueError as exc:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "Invalid x-amz-object-ownership header",
            ArgumentName="x-amz-object-ownership",
            ArgumentValue=value,
        ) from exc


async def head_bucket(ctx: RequestContext) -> Response:
    bucket = await ctx.services.buckets.get(ctx.bucket)
    return (
        Response(status=200)
        .set("x-amz-bucket-region", bucket.region)
        .set("x-amz-access-point-alias", "false")
    )


async def delete_bucket(ctx: RequestContext) -> Response:
    garbage = await placement.delete_bucket(ctx.services, ctx.bucket)
    ctx.services.objects.blobs.delete(garbage)
    return Response(status=204)


async def get_bucket_location(ctx: RequestContext) -> Response:
    bucket = await ctx.services.buckets.get(ctx.bucket)
    return xml_response(xml.render_location_constraint(bucket.region))


async def put_bucket_versioning(ctx: RequestContext) -> Response:
    config = xml.parse_versioning_configuration(await ctx.request.read_body())
    if config.mfa_delete is xml.MfaDeleteStatus.ENABLED:
        raise S3Error(S3ErrorCode.InvalidArgument, "MFA delete is not supported by Ferry.")
    if config.status is None:
        await ctx.services.buckets.get(ctx.bucket)
        return Response(status=200)
    await ctx.services.buckets.set_versioning(ctx.bucket, VersioningStatus(config.status.value))
    return Response(status=200)


async def get_bucket_versioning(ctx: RequestContext) -> Response:
    bucket = await ctx.services.buckets.get(ctx.bucket)
    status = xml.VersioningStatus(bucket.versioning.value) if bucket.versioning.value else None
    return xml_response(
        xml.render_versioning_configuration(xml.VersioningConfiguration(status=status))
    )
