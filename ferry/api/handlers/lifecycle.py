"""PutBucketLifecycleConfiguration, GetBucketLifecycleConfiguration,
DeleteBucketLifecycle (docs/lifecycle.md; the worker that applies the rules is
ferry/lifecycle/)."""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.api.handlers.headers import http_date
from ferry.api.http import Response, xml_response
from ferry.lifecycle import expiration_of
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.lifecycle import (
    parse_lifecycle_configuration,
    parse_transition_min_size,
    render_lifecycle_configuration,
)
from ferry.store import BucketLifecycle, Version

MIN_SIZE_HEADER = "x-amz-transition-default-minimum-object-size"


def _store(ctx: RequestContext) -> BucketLifecycle:
    if ctx.services.lifecycle is None:
        raise S3Error(S3ErrorCode.NotImplemented)
    return ctx.services.lifecycle


async def put_bucket_lifecycle_configuration(ctx: RequestContext) -> Response:
    min_size = parse_transition_min_size(ctx.request.header(MIN_SIZE_HEADER))
    config = parse_lifecycle_configuration(await ctx.request.read_body(), min_size)
    await _store(ctx).put(ctx.bucket, config)
    return Response(status=200).set(MIN_SIZE_HEADER, config.transition_min_size)


async def get_bucket_lifecycle_configuration(ctx: RequestContext) -> Response:
    config = await _store(ctx).get(ctx.bucket)
    response = xml_response(render_lifecycle_configuration(config))
    return response.set(MIN_SIZE_HEADER, config.transition_min_size)


async def delete_bucket_lifecycle(ctx: RequestContext) -> Response:
    await _store(ctx).delete(ctx.bucket)
    return Response(status=204)


async def expiration_headers(ctx: RequestContext, version: Version) -> list[tuple[str, str]]:
    """`x-amz-expiration` for the current object `version` when a rule will expire it."""
    lifecycle = ctx.services.lifecycle
    if lifecycle is None or not version.is_latest or version.is_delete_marker:
        return []
    config = await lifecycle.cached(version.bucket)
    if config is None:
        return []
    found = expiration_of(config, version, ctx.services.deployment.lifecycle.day_seconds)
    if found is None:
        return []
    when, rule_id = found
    return [("x-amz-expiration", f'expiry-date="{http_date(when)}", rule-id="{rule_id}"')]
