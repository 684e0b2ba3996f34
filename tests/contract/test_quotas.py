"""Bucket usage and quotas on both engines: usage stays exact through every kind of write, a
write over a limit is refused and leaves usage as it was, and concurrent writers to a bucket
near its quota never take it past the limit."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime

import pytest

from ferry.api.body import BytesPayload
from ferry.store import BucketQuota, BucketUsage, CompletedPart, ObjectAttributes, Version
from ferry.store.blobs import INLINE_MAX_BYTES
from ferry.store.errors import BucketQuotaExceeded, InvalidArgument, NoSuchBucket, NoSuchKey
from tests.contract.region_store import ENABLED, OWNER, SUSPENDED, RegionStore

BIG = INLINE_MAX_BYTES + 1000  # stored as a blob file, not inline


def usage(stored: int, objects: int, uploading: int = 0) -> BucketUsage:
    return BucketUsage(stored_bytes=stored, objects=objects, upload_bytes=uploading)


async def usage_of(store: RegionStore, bucket: str = "b") -> BucketUsage:
    return (await store.quotas.status(bucket)).usage


async def test_usage_follows_unversioned_puts_overwrites_and_deletes(store: RegionStore) -> None:
    await store.bucket()
    await store.put("b", "k", b"x" * 100)
    await store.put("b", "other", b"x" * 7)
    assert await usage_of(store) == usage(107, 2)
    await store.put("b", "k", b"x" * 30)
    assert await usage_of(store) == usage(37, 2)
    await store.put("b", "big", b"x" * BIG)
    await store.objects.delete("b", "k")
    assert await usage_of(store) == usage(7 + BIG, 2)


async def test_versioned_usage_counts_every_version_and_markers_hold_nothing(
    store: RegionStore,
) -> None:
    await store.bucket(versioning=ENABLED)
    first = await store.put("b", "k", b"x" * 100)
    await store.put("b", "k", b"x" * 50)
    marker = await store.objects.delete("b", "k")
    assert await usage_of(store) == usage(150, 2)
    await store.objects.delete("b", "k", first.version_id)
    assert marker.version_id is not None
    await store.objects.delete("b", "k", marker.version_id)
    assert await usage_of(store) == usage(50, 1)
    await store.buckets.set_versioning("b", SUSPENDED)
    await store.put("b", "n", b"x" * 40)
    await store.objects.delete("b", "n")  # a null marker replaces the null version
    assert await usage_of(store) == usage(50, 1)


async def test_parts_count_while_uploading_and_move_to_the_object_on_completion(
    store: RegionStore,
) -> None:
    await store.bucket()
    upload = await store.uploads.create("b", "mp", owner_id=OWNER, attrs=ObjectAttributes())
    uid = upload.upload_id
    one = await store.uploads.put_part("b", "mp", uid, 1, BytesPayload(b"a" * 5 * 2**20))
    await store.uploads.put_part("b", "mp", uid, 2, BytesPayload(b"c" * 20))
    two = await store.uploads.put_part("b", "mp", uid, 2, BytesPayload(b"c" * 5))  # replaced
    await store.uploads.put_part("b", "mp", uid, 3, BytesPayload(b"d" * 9))
    assert await usage_of(store) == usage(0, 0, 5 * 2**20 + 14)
    done = [CompletedPart(part_number=n, etag=p.etag) for n, p in ((1, one), (2, two))]
    await store.uploads.complete("b", "mp", uid, done)
    assert await usage_of(store) == usage(5 * 2**20 + 5, 1)  # part 3 was not named: freed
    aborted = await store.uploads.create("b", "ab", owner_id=OWNER, attrs=ObjectAttributes())
    await store.uploads.put_part("b", "ab", aborted.upload_id, 1, BytesPayload(b"z" * 10))
    await store.uploads.abort("b", "ab", aborted.upload_id)
    assert await usage_of(store) == usage(5 * 2**20 + 5, 1)


async def test_replicas_count_at_the_destination(store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    data = b"r" * 25
    await store.replicas.put(
        "b", "k", BytesPayload(data), version_id="v1", last_modified=when, owner_id=OWNER,
        attrs=ObjectAttributes(size=25, etag=hashlib.md5(data).hexdigest()),
    )  # fmt: skip
    await store.replicas.put_delete_marker(
        "b", "k", version_id="v2", last_modified=when, owner_id=OWNER
    )
    assert await usage_of(store) == usage(25, 1)
    kept = await store.objects.version("b", "k", "v1")
    assert kept is not None and kept.last_modified == when  # the source's, to the millisecond


async def test_a_deleted_bucket_takes_its_usage_and_quota_along(store: RegionStore) -> None:
    await store.bucket()
    await store.quotas.set("b", BucketQuota(max_objects=5))
    await store.put("b", "k", b"x" * 10)
    await store.objects.delete("b", "k")
    await store.buckets.delete("b")
    await store.bucket()
    status = await store.quotas.status("b")
    assert status.quota == BucketQuota() and status.usage == usage(0, 0)


async def test_quota_settings_are_validated_and_cleared(store: RegionStore) -> None:
    await store.bucket()
    with pytest.raises(InvalidArgument):
        await store.quotas.set("b", BucketQuota())
    with pytest.raises(InvalidArgument):
        await store.quotas.set("b", BucketQuota(max_bytes=-1))
    with pytest.raises(NoSuchBucket):
        await store.quotas.set("missing", BucketQuota(max_bytes=1))
    big = 5 * 2**40  # past 32 bits: a BIGINT on PostgreSQL
    status = await store.quotas.set("b", BucketQuota(max_bytes=big, max_objects=3))
    assert (
        (await store.quotas.status("b")).quota
        == status.quota
        == BucketQuota(max_bytes=big, max_objects=3)
    )
    assert (await store.quotas.clear("b")).quota.is_unlimited


async def test_writes_over_the_byte_and_object_limits_are_refused(store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    await store.quotas.set("b", BucketQuota(max_bytes=BIG + 10, max_objects=2))
    await store.put("b", "k", b"x" * BIG)
    with pytest.raises(BucketQuotaExceeded) as declared:
        await store.put("b", "k2", b"x" * 500, declared=True)
    assert declared.value.fields["limit"] == "bytes"
    with pytest.raises(BucketQuotaExceeded):  # undeclared: refused at commit
        await store.put("b", "k2", b"x" * 500)
    with pytest.raises(NoSuchKey):
        await store.objects.get("b", "k2")
    await store.put("b", "small", b"x")
    with pytest.raises(BucketQuotaExceeded) as objects:
        await store.put("b", "third", b"")
    assert objects.value.fields["limit"] == "objects"
    await store.objects.delete("b", "small")  # a delete marker is always allowed
    assert await usage_of(store) == usage(BIG + 1, 2)


async def test_concurrent_declared_puts_near_the_quota_never_exceed_it(
    engine: str, store: RegionStore
) -> None:
    await store.bucket()
    await store.quotas.set("b", BucketQuota(max_bytes=1000))
    racing = store.racing(engine, 10)
    results = await asyncio.gather(
        *(racing.put("b", f"k{n}", b"x" * 300, declared=True) for n in range(10)),
        return_exceptions=True,
    )
    accepted = [r for r in results if isinstance(r, Version)]
    assert len(accepted) == 3, results
    assert all(isinstance(r, BucketQuotaExceeded) for r in results if not isinstance(r, Version))
    assert await usage_of(store) == usage(900, 3)


async def test_concurrent_undeclared_puts_near_the_quota_never_exceed_it(
    engine: str, store: RegionStore
) -> None:
    await store.bucket()
    await store.quotas.set("b", BucketQuota(max_bytes=3 * BIG + 10, max_objects=20))
    await store.put("b", "base", b"x" * 10)
    racing = store.racing(engine, 8)
    results = await asyncio.gather(
        *(racing.put("b", f"k{n}", b"x" * BIG) for n in range(8)), return_exceptions=True
    )
    accepted = [r for r in results if isinstance(r, Version)]
    assert len(accepted) == 3, results
    assert await usage_of(store) == usage(3 * BIG + 10, 4)
    listed = await store.listings.objects("b")
    assert len(listed.versions) == 4
