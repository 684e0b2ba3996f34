"""Tagging and ACL sub-resources of buckets and objects."""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.api.handlers import acl as acl_headers
from ferry.api.handlers import ownership, views
from ferry.api.handlers.objects import version_id_param
from ferry.api.http import Response, xml_response
from ferry.protocol import xml
from ferry.store import Grants, Pairs


def _parse_tags(body: bytes, limit: xml.TagLimit) -> Pairs:
    return tuple((t.key, t.value) for t in xml.parse_tagging(body, limit=limit).tags)


def _render_tags(tags: Pairs) -> bytes:
    return xml.render_tagging(xml.Tagging(tags=tuple(xml.Tag(key=k, value=v) for k, v in tags)))


async def put_bucket_tagging(ctx: RequestContext) -> Response:
    tags = _parse_tags(await ctx.request.read_body(), xml.BUCKET_TAG_LIMIT)
    await ctx.services.buckets.set_tags(ctx.bucket, tags)
    return Response(status=204)


async def get_bucket_tagging(ctx: RequestContext) -> Response:
    tags = await ctx.services.buckets.get_tags(ctx.bucket)
    return xml_response(_render_tags(tags))


async def delete_bucket_tagging(ctx: RequestContext) -> Response:
    await ctx.services.buckets.set_tags(ctx.bucket, None)
    return Response(status=204)


async def put_object_tagging(ctx: RequestContext) -> Response:
    tags = _parse_tags(await ctx.request.read_body(), xml.OBJECT_TAG_LIMIT)
    version = await ctx.services.objects.update_attrs(
        ctx.bucket, ctx.key, version_id_param(ctx), tags=tags
    )
    return Response(status=200).set("x-amz-version-id", version.version_id)


async def get_object_tagging(ctx: RequestContext) -> Response:
    version = await ctx.services.objects.get(ctx.bucket, ctx.key, version_id_param(ctx))
    response = xml_response(_render_tags(version.attrs.tags))
    return response.set("x-amz-version-id", version.version_id)


async def delete_object_tagging(ctx: RequestContext) -> Response:
    version = await ctx.services.objects.update_attrs(
        ctx.bucket, ctx.key, version_id_param(ctx), tags=()
    )
    return Response(status=204).set("x-amz-version-id", version.version_id)


def _render_acl(owner_id: str, grants: Grants) -> bytes:
    return xml.render_access_control_policy(views.acl_policy(owner_id, grants))


async def _acl_from_request(ctx: RequestContext, owner_id: str, bucket_owner_id: str) -> Grants:
    body = await ctx.request.read_body()
    if not body.strip():
        return acl_headers.grants_from_headers(ctx, owner_id, bucket_owner_id=bucket_owner_id)
    return views.grants_of(xml.parse_access_control_policy(body))


async def put_bucket_acl(ctx: RequestContext) -> Response:
    access = await ctx.services.buckets.get_access(ctx.bucket)
    grants = await _acl_from_request(ctx, access.owner_id, access.owner_id)
    await ctx.services.buckets.set_acl(ctx.bucket, await ownership.checked_acl(ctx, access, grants))
    return Response(status=200)


async def get_bucket_acl(ctx: RequestContext) -> Response:
    access = await ctx.services.buckets.get_access(ctx.bucket)
    grants = access.acl if access.acls_enabled else ownership.owner_only(access.owner_id)
    return xml_response(_render_acl(access.owner_id, grants))


async def put_object_acl(ctx: RequestContext) -> Response:
    access = await ctx.services.buckets.get_access(ctx.bucket)
    version_id = version_id_param(ctx)
    current = await ctx.services.objects.get(ctx.bucket, ctx.key, version_id)
    grants = await _acl_from_request(ctx, current.owner_id, access.owner_id)
    grants = await ownership.checked_acl(ctx, access, grants)
    version = await ctx.services.objects.update_attrs(ctx.bucket, ctx.key, version_id, acl=grants)
    return Response(status=200).set("x-amz-version-id", version.version_id)


async def get_object_acl(ctx: RequestContext) -> Response:
    access = await ctx.services.buckets.get_access(ctx.bucket)
    version = await ctx.services.objects.get(ctx.bucket, ctx.key, version_id_param(ctx))
    if access.acls_enabled:
        body = _render_acl(version.owner_id, version.attrs.acl)
    else:  # the bucket owner owns every object and ACLs are off (ownership.py)
        body = _render_acl(access.owner_id, ownership.owner_only(access.owner_id))
    return xml_response(body).set("x-amz-version-id", version.version_id)
