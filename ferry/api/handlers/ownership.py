"""Who owns what: a bucket belongs to the account of whoever created it, and everything in
it to the bucket's owner, as S3's Object Ownership "BucketOwnerEnforced" (AWS's default for
new buckets since April 2023) has it. Object, listing and ACL owners are therefore the bucket
owner's canonical ID, whoever wrote the object (docs/iam.md)."""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.control.identifiers import canonical_id


def caller_owner_id(ctx: RequestContext) -> str:
    """The canonical ID of the caller's account: the owner of a bucket it creates."""
    principal = ctx.principal
    if principal.is_anonymous:
        return ctx.services.owner_id
    return canonical_id(principal.account_id)


async def bucket_owner_id(ctx: RequestContext) -> str:
    """The canonical ID of the addressed bucket's owner (NoSuchBucket if it is not here)."""
    return (await ctx.services.buckets.get_access(ctx.bucket)).owner_id
