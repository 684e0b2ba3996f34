"""Store semantics without HTTP: versioning, listing, multipart, group commit, sweeping."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ferry.core.clock import FakeClock
from ferry.region import REGION_MIGRATIONS
from ferry.store import (
    Buckets,
    CompletedPart,
    FileBlobStore,
    Listings,
    ObjectAttributes,
    Objects,
    PayloadDigest,
    SqliteDatabase,
    Uploads,
    VersionHooks,
    VersioningStatus,
    sweep_orphaned_blobs,
)
from ferry.store.errors import (
    BucketNotEmpty,
    DeleteMarkerHit,
    EntityTooSmall,
    InvalidPartOrder,
    MethodNotAllowedOnDeleteMarker,
    NoSuchKey,
)
from ferry.store.listing import prefix_successor
from ferry.store.records import EMPTY_BODY


class Bytes:
    """A Payload over fixed bytes, delivered in small chunks."""

    def __init__(self, data: bytes, chunk: int = 100_000) -> None:
        self._data = data
        self._chunk = chunk
        self._md5 = hashlib.md5()

    async def _chunks(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self._data), self._chunk):
            yield self._data[i : i + self._chunk]

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    def update(self, chunk: bytes) -> None:
        self._md5.update(chunk)

    def finish(self) -> PayloadDigest:
        return PayloadDigest(size=len(self._data), md5_hex=self._md5.hexdigest())


class Store:
    def __init__(self, root: Path) -> None:
        self.db = SqliteDatabase(root / "meta.sqlite3", REGION_MIGRATIONS)
        self.blobs = FileBlobStore(root / "blobs")
        clock = FakeClock()
        hooks = VersionHooks()
        self.buckets = Buckets(self.db, clock, "us-east-1")
        self.objects = Objects(self.db, self.blobs, hooks, clock)
        self.uploads = Uploads(self.db, self.blobs, hooks, clock)
        self.listings = Listings(self.db)

    async def put(self, bucket: str, key: str, data: bytes) -> str:
        version = await self.objects.put(
            bucket, key, Bytes(data), owner_id="o", attrs=ObjectAttributes()
        )
        return version.version_id

    async def read(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        version = await self.objects.get(bucket, key, version_id)
        return b"".join([c async for c in self.objects.read_body(version)])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path)
    yield s
    s.db.close()


async def test_inline_and_file_bodies_read_back(store: Store) -> None:
    await store.buckets.create("b", "o", ())
    small, large = b"s" * 10, bytes(range(256)) * 2000
    await store.put("b", "small", small)
    await store.put("b", "large", large)
    assert await store.read("b", "small") == small
    assert await store.read("b", "large") == large
    assert len(list(store.blobs.path_of("00").parent.parent.glob("??/*"))) == 1


async def test_versioned_delete_marker_hides_then_removal_restores(store: Store) -> None:
    await store.buckets.create("b", "o", ())
    await store.buckets.set_versioning("b", VersioningStatus.ENABLED)
    await store.put("b", "k", b"1")
    outcome = await store.objects.delete("b", "k")
    assert outcome.delete_marker
    with pytest.raises(DeleteMarkerHit):
        await store.read("b", "k")
    with pytest.raises(MethodNotAllowedOnDeleteMarker):
        await store.objects.get("b", "k", outcome.version_id)
    assert outcome.version_id is not None
    await store.objects.delete("b", "k", outcome.version_id)
    assert await store.read("b", "k") == b"1"


async def test_unversioned_overwrite_frees_the_old_blob(store: Store) -> None:
    await store.buckets.create("b", "o", ())
    await store.put("b", "k", b"a" * 200_000)
    await store.put("b", "k", b"b" * 200_000)
    files = list((store.blobs.path_of("00").parent.parent).glob("??/*"))
    assert len(files) == 1
    await store.objects.delete("b", "k")
    with pytest.raises(NoSuchKey):
        await store.read("b", "k")
    assert not list((store.blobs.path_of("00").parent.parent).glob("??/*"))


async def test_bucket_with_versions_is_not_empty(store: Store) -> None:
    await store.buckets.create("b", "o", ())
    await store.buckets.set_versioning("b", VersioningStatus.ENABLED)
    await store.objects.delete("b", "ghost")
    with pytest.raises(BucketNotEmpty):
        await store.buckets.delete("b")


async def test_listing_with_delimiter_jumps_over_large_prefixes(store: Store) -> None:
    await store.buckets.create("b", "o", ())
    for i in range(1500):
        await store.objects.commit(
            "b", f"deep/{i:05d}", owner_id="o", attrs=ObjectAttributes(), body=EMPTY_BODY
        )
    await store.put("b", "top", b"")
    listing = await store.listings.objects("b", delimiter="/")
    assert listing.common_prefixes == ["deep/"]
    assert [v.key for v in listing.versions] == ["top"]
    page = await store.listings.objects("b", prefix="deep/", max_keys=1000)
    assert page.is_truncated and len(page.versions) == 1000
    rest = await store.listings.objects("b", prefix="deep/", start_after=page.next_marker or "")
    assert len(rest.versions) == 500 and not rest.is_truncated


def test_prefix_successor() -> None:
    assert prefix_successor("a/") == "a0"
    assert prefix_successor("") is None
    assert prefix_successor("a\U0010ffff") == "b"


async def test_multipart_validation_and_completion(store: Store) -> None:
    await store.buckets.create("b", "o", ())
    upload = await store.uploads.create("b", "mp", owner_id="o", attrs=ObjectAttributes())
    five = b"x" * (5 * 1024 * 1024)
    p1 = await store.uploads.put_part("b", "mp", upload.upload_id, 1, Bytes(five))
    p2 = await store.uploads.put_part("b", "mp", upload.upload_id, 2, Bytes(b"tail"))
    with pytest.raises(InvalidPartOrder):
        await store.uploads.complete(
            "b",
            "mp",
            upload.upload_id,
            [
                CompletedPart(part_number=2, etag=p2.etag),
                CompletedPart(part_number=1, etag=p1.etag),
            ],
        )
    small = await store.uploads.create("b", "small", owner_id="o", attrs=ObjectAttributes())
    s1 = await store.uploads.put_part("b", "small", small.upload_id, 1, Bytes(b"a"))
    s2 = await store.uploads.put_part("b", "small", small.upload_id, 2, Bytes(b"b"))
    with pytest.raises(EntityTooSmall):
        await store.uploads.complete(
            "b",
            "small",
            small.upload_id,
            [
                CompletedPart(part_number=1, etag=s1.etag),
                CompletedPart(part_number=2, etag=s2.etag),
            ],
        )
    version = await store.uploads.complete(
        "b",
        "mp",
        upload.upload_id,
        [CompletedPart(part_number=1, etag=p1.etag), CompletedPart(part_number=2, etag=p2.etag)],
    )
    assert version.attrs.etag.endswith("-2")
    assert await store.read("b", "mp") == five + b"tail"


async def test_group_commit_isolates_a_failing_write(store: Store) -> None:
    await store.buckets.create("b", "o", ())

    def fail(tx: object) -> None:
        raise RuntimeError("boom")

    results = await asyncio.gather(
        *[store.put("b", f"k{i}", b"v") for i in range(50)],
        store.db.write(fail),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert sum(isinstance(r, RuntimeError) for r in results) == 1
    listing = await store.listings.objects("b")
    assert len(listing.versions) == 50


async def test_sweeper_removes_orphans_and_keeps_referenced(store: Store, tmp_path: Path) -> None:
    await store.buckets.create("b", "o", ())
    await store.put("b", "kept", b"k" * 100_000)
    orphan = store.blobs.path_of("ab" + "0" * 30)
    orphan.write_bytes(b"left by a crash")
    (tmp_path / "blobs" / "tmp" / "half").write_bytes(b"half")
    assert sweep_orphaned_blobs(store.db, store.blobs) == 2
    assert await store.read("b", "kept") == b"k" * 100_000
