"""Where buckets live in the deployment: the control plane's bucket directory kept in step with
this region's store, and AWS's `301 PermanentRedirect` for buckets of other regions.

Order of writes (there is no transaction spanning the two databases):
- CreateBucket claims the name in the directory, then creates the bucket here; if that fails
  the claim is released. A crash in between leaves a claim without a bucket: the owner's next
  CreateBucket in this region finishes the creation, and start-up reconciliation releases
  claims left behind (`BucketDirectory.reconcile`).
- DeleteBucket deletes here, then releases the name. A crash in between leaves the same kind
  of claim, handled the same way.
"""

from __future__ import annotations

import logging

from ferry.api.context import Services
from ferry.config import RegionConfig
from ferry.control import DirectoryEntry
from ferry.core.errors import FerryError
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.store import BLOCK_ALL_PUBLIC_ACCESS, Bucket, Grants, ObjectOwnership
from ferry.store.errors import BucketAlreadyOwnedByYou, NoSuchBucket

log = logging.getLogger("ferry.api")

BUCKET_REGION_HEADER = "x-amz-bucket-region"


async def create_bucket(
    services: Services,
    name: str,
    owner_id: str,
    acl: Grants,
    *,
    object_ownership: ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
    object_lock: bool = False,
) -> Bucket:
    """Claim `name` across the deployment, then create it in this region (with every Block
    Public Access setting on, as AWS creates buckets; `object_lock`: with Object Lock
    enabled, and so versioning)."""

    async def create() -> Bucket:
        return await services.buckets.create(
            name, owner_id, acl, object_lock=object_lock,
            object_ownership=object_ownership, public_access_block=BLOCK_ALL_PUBLIC_ACCESS,
        )  # fmt: skip

    region = services.region.name
    try:
        await services.directory.claim(name, region, owner_id)
    except BucketAlreadyOwnedByYou as exc:
        if exc.fields.get("region") != region:
            raise
        # Ours and here: either the bucket exists (the store says BucketAlreadyOwnedByYou) or
        # a crash came between the claim and the creation, which we now finish.
        return await create()
    try:
        return await create()
    except BucketAlreadyOwnedByYou:
        raise  # a concurrent CreateBucket of the same bucket won the race: the claim stands
    except BaseException:
        await _release(services, name, region)
        raise


async def delete_bucket(services: Services, name: str) -> list[str]:
    """Delete the bucket here, then free its name; returns blob IDs to remove."""
    garbage = await services.buckets.delete(name)
    await services.directory.release(name, services.region.name)
    return garbage


async def list_buckets(services: Services, owner_id: str) -> list[DirectoryEntry]:
    """Every bucket of the account, in every region of the deployment."""
    return await services.directory.list_for_owner(owner_id)


async def redirect_for(services: Services, bucket: str, exc: NoSuchBucket) -> S3Error | None:
    """The 301 for a request whose bucket this region lacks but another region holds.

    Called only after the regional store said NoSuchBucket, so a request for a bucket of this
    region never reads the directory.
    """
    if not bucket or exc.fields.get("bucket") != bucket:
        return None  # another bucket (a copy source) is missing, not the one addressed
    entry = await services.directory.lookup(bucket)
    if entry is None or entry.region == services.region.name:
        return None
    return permanent_redirect(entry, services.deployment.find_region(entry.region))


def permanent_redirect(entry: DirectoryEntry, region: RegionConfig | None) -> S3Error:
    """AWS's answer: 301, `x-amz-bucket-region`, and an XML body naming the endpoint."""
    fields = {"Endpoint": region.endpoint_host} if region is not None else {}
    return S3Error(
        S3ErrorCode.PermanentRedirect,
        headers={BUCKET_REGION_HEADER: entry.region},
        **fields,
        Bucket=entry.bucket,
    )


async def _release(services: Services, name: str, region: str) -> None:
    try:
        await services.directory.release(name, region)
    except FerryError:
        # The original failure matters more; start-up reconciliation frees the name later.
        log.exception("could not release a bucket name", extra={"bucket": name})
