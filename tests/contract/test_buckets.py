"""Buckets on both engines: one creation wins a race for a name, a deletion racing a write
either refuses (BucketNotEmpty) or makes the write fail NoSuchBucket, and bodies and metadata
come back byte for byte."""

from __future__ import annotations

import asyncio

from ferry.api.body import BytesPayload
from ferry.store import Bucket, ObjectAttributes, Version
from ferry.store.errors import BucketAlreadyOwnedByYou, BucketNotEmpty, NoSuchBucket
from tests.contract.region_store import OWNER, RegionStore


async def test_concurrent_creations_of_one_bucket_have_one_winner(
    engine: str, store: RegionStore
) -> None:
    racing = store.racing(engine, 6)
    results = await asyncio.gather(
        *(racing.buckets.create("race", OWNER, ()) for _ in range(6)), return_exceptions=True
    )
    assert sum(isinstance(r, Bucket) for r in results) == 1, results
    assert all(isinstance(r, BucketAlreadyOwnedByYou) for r in results if not isinstance(r, Bucket))
    assert [b.name for b in await store.buckets.list_all()] == ["race"]


async def test_a_deletion_racing_a_put_refuses_or_the_put_finds_no_bucket(
    engine: str, store: RegionStore
) -> None:
    for round_ in range(4):
        name = f"b{round_}"
        await store.bucket(name)
        racing = store.racing(engine, 2)
        put, deleted = await asyncio.gather(
            racing.put(name, "k", b"data"), racing.buckets.delete(name), return_exceptions=True
        )
        buckets = [b.name for b in await store.buckets.list_all()]
        if isinstance(put, Version):
            assert isinstance(deleted, BucketNotEmpty), deleted
            assert name in buckets and await store.read(name, "k") == b"data"
        else:
            assert isinstance(put, NoSuchBucket), put
            assert deleted == [] and name not in buckets


async def test_bodies_and_metadata_come_back_byte_for_byte(store: RegionStore) -> None:
    await store.bucket()
    every_byte = bytes(range(256)) * 3  # stored inline, NUL bytes and all
    attrs = ObjectAttributes(
        content_headers=(("Content-Type", "text/plain; charset=utf-8"),),
        user_metadata=(("name", "Grüße, 世界 😀"), ("quote", 'it\'s "x" \\ y')),
    )
    await store.objects.put("b", "k", BytesPayload(every_byte), owner_id=OWNER, attrs=attrs)
    version = await store.objects.get("b", "k")
    assert await store.read("b", "k") == every_byte
    assert version.attrs.user_metadata == attrs.user_metadata
    assert version.attrs.content_headers == attrs.content_headers
    await store.buckets.set_tags("b", (("env", "prod"), ("ünï", "cödé")))
    assert await store.buckets.get_tags("b") == (("env", "prod"), ("ünï", "cödé"))
