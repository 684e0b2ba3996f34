"""Who owns what, and which ACLs a write may carry: S3 Object Ownership.

A bucket belongs to the account that created it. Its OwnershipControls decide who owns the
objects written into it and whether ACLs mean anything:
- BucketOwnerEnforced (the default for new buckets, as on AWS since April 2023): the bucket
  owner owns every object; ACLs are disabled: they grant nothing, reads of them answer
  owner-full-control, and a write carrying any ACL other than one granting the bucket owner
  full control alone is refused (AccessControlListNotSupported).
- BucketOwnerPreferred: the writer owns its objects, except those written with the
  `bucket-owner-full-control` canned ACL, which the bucket owner owns.
- ObjectWriter (also a bucket with no OwnershipControls): the writer owns its objects.
An anonymous writer's objects are the bucket owner's.

Whatever the setting, a write carrying a public ACL (AllUsers, AuthenticatedUsers) is refused
with AccessDenied while Block Public Access's BlockPublicAcls holds (bucket or account).
"""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.api.handlers import acl as acl_headers
from ferry.api.http import Response, xml_response
from ferry.api.public_access import effective_block
from ferry.control.identifiers import canonical_id
from ferry.control.policy import is_public_acl
from ferry.protocol import xml
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.ownership import parse_ownership_controls, render_ownership_controls
from ferry.store import BucketAccess, Grant, Grants, ObjectOwnership
from ferry.store.errors import OwnershipControlsNotFound

FULL_CONTROL = "FULL_CONTROL"


def caller_owner_id(ctx: RequestContext) -> str:
    """The canonical ID of the caller's account: the owner of a bucket it creates."""
    principal = ctx.principal
    if principal.is_anonymous:
        return ctx.services.owner_id
    return canonical_id(principal.account_id)


async def bucket_owner_id(ctx: RequestContext) -> str:
    """The canonical ID of the addressed bucket's owner (NoSuchBucket if it is not here)."""
    return (await ctx.services.buckets.get_access(ctx.bucket)).owner_id


def owner_only(owner_id: str) -> Grants:
    return (Grant(grantee_type="CanonicalUser", grantee=owner_id, permission=FULL_CONTROL),)


def object_owner(ctx: RequestContext, access: BucketAccess) -> str:
    """Who owns an object this request writes into `access`'s bucket."""
    if ctx.principal.is_anonymous:
        return access.owner_id
    match access.object_ownership:
        case ObjectOwnership.BUCKET_OWNER_ENFORCED:
            return access.owner_id
        case ObjectOwnership.BUCKET_OWNER_PREFERRED:
            if ctx.header("x-amz-acl") == xml.CannedAcl.BUCKET_OWNER_FULL_CONTROL.value:
                return access.owner_id
            return caller_owner_id(ctx)
        case _:
            return caller_owner_id(ctx)


async def object_write_acl(ctx: RequestContext) -> tuple[str, Grants]:
    """The owner and ACL of an object this request creates (PUT, copy, multipart), after
    the checks Object Ownership and Block Public Access impose."""
    access = await ctx.services.buckets.get_access(ctx.bucket)
    owner = object_owner(ctx, access)
    grants = acl_headers.grants_from_headers(ctx, owner, bucket_owner_id=access.owner_id)
    return owner, await checked_acl(ctx, access, grants)


async def checked_acl(
    ctx: RequestContext,
    access: BucketAccess,
    grants: Grants,
    *,
    refusal: S3ErrorCode = S3ErrorCode.AccessControlListNotSupported,
) -> Grants:
    """`grants` as they may be stored on `access`'s bucket or its objects: e-mail grantees
    resolved to canonical users; refused if ACLs are disabled (unless they grant the bucket
    owner full control alone) or public while BlockPublicAcls holds."""
    grants = await acl_headers.resolve_emails(ctx, grants)
    if not access.acls_enabled:
        if set(grants) - set(owner_only(access.owner_id)):
            raise S3Error(refusal)
        return owner_only(access.owner_id)
    if is_public_acl(grants) and (await effective_block(ctx.services, access)).block_public_acls:
        raise S3Error(S3ErrorCode.AccessDenied)
    return grants


# ------------------------------------------------------------------- OwnershipControls


async def put_bucket_ownership_controls(ctx: RequestContext) -> Response:
    ownership = ObjectOwnership(parse_ownership_controls(await ctx.request.read_body()))
    reset = None
    if ownership is ObjectOwnership.BUCKET_OWNER_ENFORCED:
        reset = owner_only(await bucket_owner_id(ctx))  # the bucket ACL must be private
    await ctx.services.buckets.set_object_ownership(ctx.bucket, ownership, reset_acl=reset)
    return Response(status=200)


async def get_bucket_ownership_controls(ctx: RequestContext) -> Response:
    ownership = (await ctx.services.buckets.get_access(ctx.bucket)).object_ownership
    if ownership is None:
        raise OwnershipControlsNotFound(bucket=ctx.bucket)
    return xml_response(render_ownership_controls(ownership.value))


async def delete_bucket_ownership_controls(ctx: RequestContext) -> Response:
    await ctx.services.buckets.set_object_ownership(ctx.bucket, None)
    return Response(status=204)
