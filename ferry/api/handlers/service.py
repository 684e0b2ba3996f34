"""Service-level operations."""

from __future__ import annotations

from ferry.api import placement
from ferry.api.context import RequestContext
from ferry.api.handlers import ownership, views
from ferry.api.http import Response, xml_response
from ferry.protocol import xml


async def list_buckets(ctx: RequestContext) -> Response:
    """The account's buckets in every region of the deployment (from the bucket directory)."""
    prefix = ctx.param("prefix") or ""
    region = ctx.param("bucket-region")
    owner_id = ownership.caller_owner_id(ctx)
    listed = tuple(
        xml.ListedBucket(name=b.bucket, creation_date=b.created, region=b.region)
        for b in await placement.list_buckets(ctx.services, owner_id)
        if b.bucket.startswith(prefix) and (region is None or b.region == region)
    )
    result = xml.ListBucketsResult(
        owner=views.owner(owner_id), buckets=listed, prefix=prefix or None
    )
    return xml_response(xml.render_list_buckets(result))
