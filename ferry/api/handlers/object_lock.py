"""Put/GetObjectLockConfiguration, Put/GetObjectRetention, Put/GetObjectLegalHold.

The Put operations are `requestChecksumRequired` in S3's model: their body comes with
Content-MD5 or an x-amz-checksum-* header (`verify_required_checksum`)."""

from __future__ import annotations

from ferry.api.body import verify_required_checksum
from ferry.api.context import RequestContext
from ferry.api.handlers.lock_headers import may_bypass_governance
from ferry.api.handlers.objects import version_id_param
from ferry.api.http import Response, xml_response
from ferry.protocol.xml import object_lock as codec
from ferry.store import BucketObjectLock, DefaultRetention, ObjectLockMode, Retention
from ferry.store.errors import NoSuchObjectLockConfiguration
from ferry.store.object_lock import require_object_lock


async def put_object_lock_configuration(ctx: RequestContext) -> Response:
    body = await ctx.request.read_body()
    verify_required_checksum(ctx.request.headers, body)
    config = codec.parse_object_lock_configuration(body)
    rule = config.rule
    lock = BucketObjectLock(
        default_retention=DefaultRetention(
            mode=ObjectLockMode(rule.mode), days=rule.days, years=rule.years
        )
        if rule is not None
        else None
    )
    await ctx.services.buckets.set_object_lock(ctx.bucket, lock)
    return Response(status=200)


async def get_object_lock_configuration(ctx: RequestContext) -> Response:
    lock = await ctx.services.buckets.get_object_lock(ctx.bucket)
    rule = lock.default_retention
    config = codec.ObjectLockConfiguration(
        rule=codec.DefaultRetentionRule(mode=rule.mode.value, days=rule.days, years=rule.years)
        if rule is not None
        else None
    )
    return xml_response(codec.render_object_lock_configuration(config))


async def put_object_retention(ctx: RequestContext) -> Response:
    body = await ctx.request.read_body()
    verify_required_checksum(ctx.request.headers, body)
    parsed = codec.parse_retention(body)
    retention = Retention(
        mode=ObjectLockMode(parsed.mode) if parsed.mode else None, until=parsed.retain_until
    )
    bypass = await may_bypass_governance(ctx, ctx.key)
    version = await ctx.services.objects.update_lock(
        ctx.bucket, ctx.key, version_id_param(ctx), retention=retention,
        bypass_governance=bypass,
    )  # fmt: skip
    return Response(status=200).set("x-amz-version-id", version.version_id)


async def get_object_retention(ctx: RequestContext) -> Response:
    require_object_lock(await ctx.services.objects.bucket(ctx.bucket))
    version = await ctx.services.objects.get(ctx.bucket, ctx.key, version_id_param(ctx))
    attrs = version.attrs
    if attrs.lock_mode is None or attrs.lock_until is None:
        raise NoSuchObjectLockConfiguration(bucket=ctx.bucket, key=ctx.key)
    retention = codec.ObjectRetention(mode=attrs.lock_mode.value, retain_until=attrs.lock_until)
    return xml_response(codec.render_retention(retention))


async def put_object_legal_hold(ctx: RequestContext) -> Response:
    body = await ctx.request.read_body()
    verify_required_checksum(ctx.request.headers, body)
    on = codec.parse_legal_hold(body)
    version = await ctx.services.objects.update_lock(
        ctx.bucket, ctx.key, version_id_param(ctx), legal_hold=on
    )
    return Response(status=200).set("x-amz-version-id", version.version_id)


async def get_object_legal_hold(ctx: RequestContext) -> Response:
    require_object_lock(await ctx.services.objects.bucket(ctx.bucket))
    version = await ctx.services.objects.get(ctx.bucket, ctx.key, version_id_param(ctx))
    return xml_response(codec.render_legal_hold(version.attrs.legal_hold))
