"""Service-level operations."""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.api.handlers import views
from ferry.api.http import Response, xml_response
from ferry.protocol import xml


async def list_buckets(ctx: RequestContext) -> Response:
    prefix = ctx.param("prefix") or ""
    listed = tuple(
        xml.ListedBucket(name=b.name, creation_date=b.created, region=b.region)
        for b in await ctx.services.buckets.list_all()
        if b.name.startswith(prefix)
    )
    result = xml.ListBucketsResult(
        owner=views.owner(ctx.services.owner_id), buckets=listed, prefix=prefix or None
    )
    return xml_response(xml.render_list_buckets(result))
