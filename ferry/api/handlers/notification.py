"""PutBucketNotificationConfiguration, GetBucketNotificationConfiguration.

Targets are checked against the deployment's `[[notification_targets]]` (by ARN, whatever
list kind names them); the document is stored with generated Ids and returned as stored.
"""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.api.http import Response, xml_response
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.notification import (
    parse_notification_configuration,
    render_notification_configuration,
)


async def put_bucket_notification_configuration(ctx: RequestContext) -> Response:
    configs = ctx.services.notifications
    if configs is None:
        raise S3Error(S3ErrorCode.NotImplemented, "Notifications are not enabled.")
    await ctx.services.buckets.get(ctx.bucket)
    if (ctx.header("x-amz-skip-destination-validation") or "").lower() == "true":
        raise S3Error(
            S3ErrorCode.NotImplemented,
            "Ferry always validates notification destinations.",
            Header="x-amz-skip-destination-validation",
        )
    config = parse_notification_configuration(await ctx.request.read_body())
    if config.event_bridge:  # stored but never delivered: refused rather than ignored
        raise S3Error(S3ErrorCode.NotImplemented, "EventBridge delivery is not implemented.")
    await configs.put(ctx.bucket, config)
    return Response(status=200)


async def get_bucket_notification_configuration(ctx: RequestContext) -> Response:
    configs = ctx.services.notifications
    if configs is None:
        raise S3Error(S3ErrorCode.NotImplemented, "Notifications are not enabled.")
    await ctx.services.buckets.get(ctx.bucket)
    config = await configs.get(ctx.bucket)
    return xml_response(render_notification_configuration(config))
