"""Tagging and ACL sub-resources of buckets and objects."""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.api.handlers.objects import _version_id_param
from ferry.api.handlers import acl as acl_headers
from ferry.api.http import Response, xml_response
from ferry.protocol.xml import acl as xml_acl
from ferry.protocol.xml import tagging as xml_tagging
from ferry.store import Grant, Grants

MAX_BUCKET_TAGS = 50
MAX_OBJECT_TAGS = 10


async def put_bucket_tagging(ctx: RequestContext) -> Response:
    tags = xml_tagging.parse_tagging(await ctx.request.read_body(), max_tags=MAX_BUCKET_TAGS)
    await ctx.services.buckets.set_tags(ctx.bucket, tags)
    return Response(status=204)


async def get_bucket_tagging(ctx: RequestContext) -> Response:
    tags = await ctx.services.buckets.get_tags(ctx.bucket)
    return xml_response(xml_tagging.render_tagging(tags))


async def delete_bucket_tagging(ctx: RequestContext) -> Response:
    await ctx.services.buckets.set_tags(ctx.bucket, None)
    return Response(status=204)


async def put_object_tagging(ctx: RequestContext) -> Response:
    tags = xml_tagging.parse_tagging(await ctx.request.read_body(), max_tags=MAX_OBJECT_TAGS)
    version = await ctx.services.objects.update_attrs(ctx.bucket, ctx.key, _version_id_param(ctx), tags=tags)
    return Response(status=200).set("x-amz-version-id", version.version_id)


async def get_object_tagging(ctx: RequestContext) -> Response:
    version = await ctx.services.objects.get(ctx.bucket, ctx.key, _version_id_param(ctx))
    response = xml_response(xml_tagging.render_tagging(version.attrs.tags))
    return response.set("x-amz-version-id", version.version_id)


async def delete_object_tagging(ctx: RequestContext) -> Response:
    version = await ctx.services.objects.update_attrs(ctx.bucket, ctx.key, _version_id_param(ctx), tags=())
    return Response(status=204).set("x-amz-version-id", version.version_id)


def _render_acl(owner_id: str, grants: Grants) -> bytes:
    return xml_acl.render_acl(
        xml_acl.AccessControlPolicy(
            owner=xml_acl.Owner(id=owner_id, display_name="ferry"),
            grants=tuple(
                xml_acl.Grant(grantee=xml_acl.Grantee(type=g.grantee_type, value=g.grantee), permission=g.permission)
                for g in grants
            ),
        )
    )


async def _acl_from_request(ctx: RequestContext) -> Grants:
    body = await ctx.request.read_body()
    if not body.strip():
        return acl_headers.grants_from_headers(ctx, ctx.services.owner_id)
    policy = xml_acl.parse_acl(body)
    return tuple(Grant(grantee_type=g.grantee.type, grantee=g.grantee.value, permission=g.permission) for g in policy.grants)


async def put_bucket_acl(ctx: RequestContext) -> Response:
    await ctx.services.buckets.set_acl(ctx.bucket, await _acl_from_request(ctx))
    return Response(status=200)


async def get_bucket_acl(ctx: RequestContext) -> Response:
    bucket = await ctx.services.buckets.get(ctx.bucket)
    return xml_response(_render_acl(bucket.owner_id, bucket.acl))


async def put_object_acl(ctx: RequestContext) -> Response:
    grants = await _acl_from_request(ctx)
    version = await ctx.services.objects.update_attrs(ctx.bucket, ctx.key, _version_id_param(ctx), acl=grants)
    return Response(status=200).set("x-amz-version-id", version.version_id)


async def get_object_acl(ctx: RequestContext) -> Response:
    version = await ctx.services.objects.get(ctx.bucket, ctx.key, _version_id_param(ctx))
    response = xml_response(_render_acl(version.owner_id, version.attrs.acl))
    return response.set("x-amz-version-id", version.version_id)
