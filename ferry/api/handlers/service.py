"""Service-level operations."""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.api.http import Response, xml_response
from ferry.protocol.xml import buckets as xml_buckets


async def list_buckets(ctx: RequestContext) -> Response:
    buckets = await ctx.services.buckets.list_all()
    prefix = ctx.param("prefix") or ""
    listed = [
        xml_buckets.ListedBucket(name=b.name, creation_date=b.created, bucket_region=b.region)
        for b in buckets
        if b.name.startswith(prefix)
    ]
    owner = xml_buckets.Owner(id=ctx.services.owner_id, display_name="ferry")
    return xml_response(xml_buckets.render_list_buckets(owner=owner, buckets=listed, prefix=prefix or None))
