"""Server access logging: PutBucketLogging and GetBucketLogging.

AWS's checks on the target bucket: it must exist (`InvalidTargetBucketForLogging`), live in
the source bucket's region (`CrossLocationLoggingProhibited`) and have the same owner
(`InvalidTargetBucketForLogging`). Delivery is the trail's (`events/trail/access_logs.py`).
"""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.api.http import Response, xml_response
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.logging import (
    LoggingEnabled,
    parse_bucket_logging_status,
    render_bucket_logging_status,
)
from ferry.store import BucketLogging


def _configs(ctx: RequestContext) -> BucketLogging:
    if ctx.services.logging is None:
        raise S3Error(S3ErrorCode.NotImplemented, "Server access logging is not served here.")
    return ctx.services.logging


async def put_bucket_logging(ctx: RequestContext) -> Response:
    configs = _configs(ctx)
    enabled = parse_bucket_logging_status(await ctx.request.read_body())
    if enabled is not None:
        if enabled.target_grants:  # stored but never applied would be worse than refused
            raise S3Error(
                S3ErrorCode.NotImplemented,
                "Ferry does not apply TargetGrants: give readers of the logs access to the "
                "target bucket with its bucket policy.",
            )
        await _check_target(ctx, enabled)
    document = None if enabled is None else render_bucket_logging_status(enabled).decode()
    await configs.put(ctx.bucket, document)
    return Response(status=200)


async def get_bucket_logging(ctx: RequestContext) -> Response:
    document = await _configs(ctx).get(ctx.bucket)
    if document is None:
        return xml_response(render_bucket_logging_status(None))
    return xml_response(document.encode())


async def _check_target(ctx: RequestContext, enabled: LoggingEnabled) -> None:
    services = ctx.services
    target = await services.directory.lookup(enabled.target_bucket)
    if target is None:
        raise S3Error(
            S3ErrorCode.InvalidTargetBucketForLogging,
            "The target bucket for logging does not exist",
            TargetBucket=enabled.target_bucket,
        )
    if target.region != services.region.name:
        raise S3Error(
            S3ErrorCode.CrossLocationLoggingProhibited,
            "Cross S3 location logging not allowed. ",
            TargetBucketLocation=target.region,
            SourceBucketLocation=services.region.name,
        )
    source = await services.buckets.get_access(ctx.bucket)
    if target.owner_id != source.owner_id:
        raise S3Error(
            S3ErrorCode.InvalidTargetBucketForLogging,
            "The owner for the bucket to be logged and the target bucket must be the same.",
            TargetBucket=enabled.target_bucket,
        )
