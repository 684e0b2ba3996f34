"""Who may make a bucket public: the bucket's Block Public Access settings merged with its
owner's account-level ones (a setting holds if either level sets it, as on AWS), and the
owner account of a bucket. Used by authorisation (api/access.py) and by the handlers that
refuse public ACLs and policies."""

from __future__ import annotations

from ferry.api.context import Services
from ferry.store import NO_PUBLIC_ACCESS_BLOCK, BucketAccess, PublicAccessBlock

UNKNOWN_ACCOUNT = ""  # the owner account of a bucket whose owner IAM does not know


async def account_of_owner(services: Services, canonical_id: str) -> str:
    root = services.deployment.root
    if canonical_id == root.canonical_id:
        return root.account_id
    if services.identities is not None:
        account = await services.identities.account_of_canonical_id(canonical_id)
        if account is not None:
            return account
    return UNKNOWN_ACCOUNT


async def account_block(services: Services, account_id: str) -> PublicAccessBlock | None:
    if services.account_settings is None or account_id == UNKNOWN_ACCOUNT:
        return None
    return await services.account_settings.public_access_block(account_id)


async def effective_block(
    services: Services, access: BucketAccess, owner_account: str | None = None
) -> PublicAccessBlock:
    """The settings that hold for `access`'s bucket."""
    if owner_account is None:
        owner_account = await account_of_owner(services, access.owner_id)
    bucket = access.public_access_block or NO_PUBLIC_ACCESS_BLOCK
    return bucket.merged(await account_block(services, owner_account))
