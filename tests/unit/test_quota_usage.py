"""Bucket usage and quota enforcement in the store: every write kind keeps usage exact, and a
write over a quota leaves nothing behind (no version, no blob, no usage change)."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ferry.core.clock import FakeClock
from ferry.region import REGION_MIGRATIONS
from ferry.store import (
    BucketQuota,
    Buckets,
    BucketUsage,
    CompletedPart,
    FileBlobStore,
    ObjectAttributes,
    Objects,
    PayloadDigest,
    Quotas,
    Replicas,
    SqliteDatabase,
    Uploads,
    VersionHooks,
    VersioningStatus,
)
from ferry.store.blobs import INLINE_MAX_BYTES
from ferry.store.db import Tx, apply_migrations
from ferry.store.errors import BucketQuotaExceeded, InvalidArgument, NoSuchBucket, NoSuchKey
from ferry.store.hooks import WriteOrigin
from ferry.store.records import Version

BIG = INLINE_MAX_BYTES + 10_000  # stored as a blob file, not inline


class Bytes:
    """A Payload over fixed bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._md5 = hashlib.md5()
        self.read = False

    async def _chunks(self) -> AsyncIterator[bytes]:
        self.read = True
        yield self._data

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    def update(self, chunk: bytes) -> None:
        self._md5.update(chunk)

    def finish(self) -> PayloadDigest:
        return PayloadDigest(size=len(self._data), md5_hex=self._md5.hexdigest())


class Store:
    def __init__(self, root: Path) -> None:
        self.db = SqliteDatabase(root / "meta.sqlite3", REGION_MIGRATIONS)
        self.root = root / "blobs"
        self.blobs = FileBlobStore(self.root)
        clock = FakeClock()
        hooks = VersionHooks()
        self.committed: list[str] = []  # keys a VersionHook saw (the planner, the outbox)
        hooks.register(self)
        self.buckets = Buckets(self.db, clock, "us-east-1")
        self.objects = Objects(self.db, self.blobs, hooks, clock)
        self.uploads = Uploads(self.db, self.blobs, hooks, clock)
        self.replicas = Replicas(self.db, self.blobs, hooks, clock)
        self.quotas = Quotas(self.db)

    def on_commit(
        self, tx: Tx, old: Version | None, new: Version | None, origin: WriteOrigin
    ) -> None:
        version = new or old
        if version is not None:
            self.committed.append(version.key)

    async def bucket(self, name: str = "b", *, versioned: bool = False) -> str:
        await self.buckets.create(name, "o", ())
        if versioned:
            await self.buckets.set_versioning(name, VersioningStatus.ENABLED)
        return name

    async def put(self, key: str, size: int, *, declared: bool = True) -> str:
        data = b"x" * size
        version = await self.objects.put(
            "b", key, Bytes(data), owner_id="o", attrs=ObjectAttributes(),
            declared_size=size if declared else None,
        )  # fmt: skip
        return version.version_id

    async def usage(self, bucket: str = "b") -> BucketUsage:
        return (await self.quotas.status(bucket)).usage

    def blob_files(self) -> list[Path]:
        return [p for p in self.root.glob("??/*") if p.is_file()]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path)
    yield s
    s.db.close()


def usage(stored: int, objects: int, uploading: int = 0) -> BucketUsage:
    return BucketUsage(stored_bytes=stored, objects=objects, upload_bytes=uploading)


# -- usage accounting -----------------------------------------------------------------------


async def test_unversioned_overwrite_frees_the_old_bytes(store: Store) -> None:
    await store.bucket()
    await store.put("k", 100)
    await store.put("other", 7)
    assert await store.usage() == usage(107, 2)
    await store.put("k", 30)
    assert await store.usage() == usage(37, 2)
    await store.objects.delete("b", "k")
    assert await store.usage() == usage(7, 1)


async def test_versioned_bucket_counts_every_version_and_markers_hold_nothing(
    store: Store,
) -> None:
    await store.bucket(versioned=True)
    first = await store.put("k", 100)
    await store.put("k", 50)
    assert await store.usage() == usage(150, 2)
    marker = await store.objects.delete("b", "k")
    assert marker.delete_marker
    assert await store.usage() == usage(150, 2)
    await store.objects.delete("b", "k", first)
    assert await store.usage() == usage(50, 1)
    assert marker.version_id is not None
    await store.objects.delete("b", "k", marker.version_id)
    assert await store.usage() == usage(50, 1)


async def test_suspended_bucket_delete_marker_replaces_the_null_version(store: Store) -> None:
    await store.bucket(versioned=True)
    await store.buckets.set_versioning("b", VersioningStatus.SUSPENDED)
    await store.put("k", 40)
    await store.objects.delete("b", "k")  # a null delete marker replaces the null version
    assert await store.usage() == usage(0, 0)


async def test_copy_commit_counts_like_a_put(store: Store) -> None:
    await store.bucket()
    await store.put("src", 60)
    source = await store.objects.get("b", "src")
    body, digest = await store.objects.copy_body(source)
    await store.objects.commit(
        "b", "dst", owner_id="o", attrs=ObjectAttributes(size=digest.size), body=body
    )
    assert await store.usage() == usage(120, 2)


async def test_multipart_parts_count_while_uploading_and_move_on_completion(
    store: Store,
) -> None:
    await store.bucket()
    upload = await store.uploads.create("b", "mp", owner_id="o", attrs=ObjectAttributes())
    one = await store.uploads.put_part("b", "mp", upload.upload_id, 1, Bytes(b"a" * 5 * 2**20))
    two = await store.uploads.put_part("b", "mp", upload.upload_id, 2, Bytes(b"b" * 10))
    await store.uploads.put_part("b", "mp", upload.upload_id, 3, Bytes(b"c" * 20))
    assert await store.usage() == usage(0, 0, 5 * 2**20 + 30)
    await store.uploads.put_part("b", "mp", upload.upload_id, 3, Bytes(b"c" * 5))  # replaced
    assert await store.usage() == usage(0, 0, 5 * 2**20 + 15)
    await store.uploads.complete(
        "b", "mp", upload.upload_id,
        [CompletedPart(part_number=1, etag=one.etag), CompletedPart(part_number=2, etag=two.etag)],
    )  # fmt: skip
    assert await store.usage() == usage(5 * 2**20 + 10, 1)  # part 3 was not named: freed


async def test_aborted_upload_frees_its_parts(store: Store) -> None:
    await store.bucket()
    upload = await store.uploads.create("b", "mp", owner_id="o", attrs=ObjectAttributes())
    await store.uploads.put_part("b", "mp", upload.upload_id, 1, Bytes(b"a" * 10))
    await store.uploads.abort("b", "mp", upload.upload_id)
    assert await store.usage() == usage(0, 0)


async def test_deleted_bucket_takes_its_usage_and_quota_along(store: Store) -> None:
    await store.bucket()
    await store.quotas.set("b", BucketQuota(max_objects=5))
    await store.put("k", 10)
    await store.objects.delete("b", "k")
    await store.buckets.delete("b")
    await store.bucket()
    status = await store.quotas.status("b")
    assert status.quota == BucketQuota() and status.usage == usage(0, 0)


def test_migration_backfills_usage_of_existing_buckets(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    apply_migrations(conn, REGION_MIGRATIONS)
    # Undo 0010, write versions as an older Ferry did, then migrate again.
    for statement in (
        "DROP TRIGGER bucket_usage_version_insert",
        "DROP TRIGGER bucket_usage_version_delete",
        "DROP TRIGGER bucket_usage_version_update",
        "DROP TRIGGER bucket_usage_bucket_delete",
        "DROP TABLE bucket_usage",
        "DROP TABLE bucket_quotas",
        "DELETE FROM schema_migrations WHERE name = '0010_bucket_quota.sql'",
        "INSERT INTO buckets (name, owner_id, region, created_ms) VALUES ('a', 'o', 'r', 0)",
        "INSERT INTO buckets (name, owner_id, region, created_ms) VALUES ('e', 'o', 'r', 0)",
    ):
        conn.execute(statement)
    rows = [("k1", "v1", 0, 10), ("k1", "v2", 0, 32), ("k2", "v3", 1, 0)]
    for key, version_id, marker, size in rows:
        conn.execute(
            "INSERT INTO versions (bucket, key, version_id, is_latest, is_delete_marker, "
            "last_modified_ms, owner_id, size) VALUES ('a', ?, ?, 1, ?, 0, 'o', ?)",
            (key, version_id, marker, size),
        )
    assert apply_migrations(conn, REGION_MIGRATIONS) == ["0010_bucket_quota.sql"]
    found = dict(
        ((b, (n, o)) for b, n, o in conn.execute("SELECT bucket, bytes, objects FROM bucket_usage"))
    )
    assert found == {"a": (42, 2), "e": (0, 0)}
    conn.close()


# -- enforcement ----------------------------------------------------------------------------


async def test_put_over_the_byte_quota_is_refused_before_its_body_is_read(store: Store) -> None:
    await store.bucket()
    await store.quotas.set("b", BucketQuota(max_bytes=1000))
    await store.put("k", 600)
    payload = Bytes(b"x" * 500)
    with pytest.raises(BucketQuotaExceeded) as refused:
        await store.objects.put(
            "b", "k2", payload, owner_id="o", attrs=ObjectAttributes(), declared_size=500
        )
    assert not payload.read
    assert refused.value.fields["limit"] == "bytes"
    assert await store.usage() == usage(600, 1)


async def test_undeclared_put_over_quota_is_refused_at_commit_and_leaves_no_blob(
    store: Store,
) -> None:
    await store.bucket()
    await store.quotas.set("b", BucketQuota(max_bytes=BIG + 10))
    await store.put("k", BIG)
    files = store.blob_files()
    with pytest.raises(BucketQuotaExceeded):
        await store.put("k2", BIG, declared=False)
    assert store.blob_files() == files
    with pytest.raises(NoSuchKey):  # no version was committed
        await store.objects.get("b", "k2")
    assert store.committed == ["k"]  # no hook ran: no replication task, no event
    assert await store.usage() == usage(BIG, 1)


async def test_unversioned_overwrite_that_fits_after_freeing_is_accepted(store: Store) -> None:
    await store.bucket()
    await store.quotas.set("b", BucketQuota(max_bytes=1000, max_objects=1))
    await store.put("k", 800)
    await store.put("k", 900)  # replaces the 800 bytes: 900 ≤ 1000, still one object
    assert await store.usage() == usage(900, 1)


async def test_versioned_overwrite_keeps_the_old_bytes_and_is_refused(store: Store) -> None:
    await store.bucket(versioned=True)
    await store.quotas.set("b", BucketQuota(max_bytes=1000))
    await store.put("k", 800)
    with pytest.raises(BucketQuotaExceeded):
        await store.put("k", 300)


async def test_object_quota_refuses_new_objects_but_never_deletes(store: Store) -> None:
    await store.bucket(versioned=True)
    await store.quotas.set("b", BucketQuota(max_objects=2))
    await store.put("a", 1)
    await store.put("b", 1)
    with pytest.raises(BucketQuotaExceeded) as refused:
        await store.put("c", 1)
    assert refused.value.fields["limit"] == "objects"
    await store.objects.delete("b", "a")  # a delete marker: always allowed
    assert await store.usage() == usage(2, 2)


async def test_quota_lowered_below_usage_lets_the_bucket_only_shrink(store: Store) -> None:
    await store.bucket()
    await store.put("k", 500)
    await store.put("j", 500)
    await store.quotas.set("b", BucketQuota(max_bytes=100))
    with pytest.raises(BucketQuotaExceeded):
        await store.put("new", 1)
    await store.put("k", 50)  # smaller than what it replaces: allowed
    await store.objects.delete("b", "j")
    assert await store.usage() == usage(50, 1)


async def test_concurrent_writers_cannot_overshoot(store: Store) -> None:
    await store.bucket()
    await store.quotas.set("b", BucketQuota(max_bytes=1000))
    results = await asyncio.gather(
        *(store.put(f"k{n}", 300, declared=True) for n in range(8)), return_exceptions=True
    )
    accepted = [r for r in results if isinstance(r, str)]
    assert len(accepted) == 3
    assert all(isinstance(r, BucketQuotaExceeded) for r in results if not isinstance(r, str))
    assert await store.usage() == usage(900, 3)


async def test_parts_count_against_the_byte_quota(store: Store) -> None:
    await store.bucket()
    await store.quotas.set("b", BucketQuota(max_bytes=100))
    upload = await store.uploads.create("b", "mp", owner_id="o", attrs=ObjectAttributes())
    await store.uploads.put_part("b", "mp", upload.upload_id, 1, Bytes(b"a" * 60))
    payload = Bytes(b"b" * 60)
    with pytest.raises(BucketQuotaExceeded):
        await store.uploads.put_part("b", "mp", upload.upload_id, 2, payload, declared_size=60)
    assert not payload.read
    with pytest.raises(BucketQuotaExceeded):  # undeclared: refused at commit
        await store.uploads.put_part("b", "mp", upload.upload_id, 2, Bytes(b"b" * 60))
    # Re-uploading part 1 replaces its bytes, so it fits.
    await store.uploads.put_part("b", "mp", upload.upload_id, 1, Bytes(b"a" * 90))
    assert await store.usage() == usage(0, 0, 90)


async def test_completion_moves_counted_bytes_but_is_refused_over_the_object_quota(
    store: Store,
) -> None:
    await store.bucket()
    await store.quotas.set("b", BucketQuota(max_bytes=100, max_objects=1))
    upload = await store.uploads.create("b", "mp", owner_id="o", attrs=ObjectAttributes())
    part = await store.uploads.put_part("b", "mp", upload.upload_id, 1, Bytes(b"a" * 90))
    done = [CompletedPart(part_number=1, etag=part.etag)]
    await store.uploads.complete("b", "mp", upload.upload_id, done)  # 90 bytes already counted
    assert await store.usage() == usage(90, 1)
    second = await store.uploads.create("b", "mp2", owner_id="o", attrs=ObjectAttributes())
    part = await store.uploads.put_part("b", "mp2", second.upload_id, 1, Bytes(b"z" * 5))
    with pytest.raises(BucketQuotaExceeded):
        await store.uploads.complete(
            "b", "mp2", second.upload_id, [CompletedPart(part_number=1, etag=part.etag)]
        )
    await store.uploads.get("b", "mp2", second.upload_id)  # still there, to abort or retry
    assert await store.usage() == usage(90, 1, 5)


async def test_replica_over_the_destination_quota_is_refused_before_its_bytes(
    store: Store,
) -> None:
    await store.bucket(versioned=True)
    await store.quotas.set("b", BucketQuota(max_bytes=10))
    payload = Bytes(b"r" * 25)
    with pytest.raises(BucketQuotaExceeded):
        await store.replicas.put(
            "b", "k", payload, version_id="v1", last_modified=datetime(2026, 1, 1, tzinfo=UTC),
            owner_id="o", attrs=ObjectAttributes(size=25, etag="e"),
        )  # fmt: skip
    assert not payload.read
    assert await store.usage() == usage(0, 0)


async def test_quota_needs_a_limit_and_no_negative_ones(store: Store) -> None:
    await store.bucket()
    with pytest.raises(InvalidArgument):
        await store.quotas.set("b", BucketQuota())
    with pytest.raises(InvalidArgument):
        await store.quotas.set("b", BucketQuota(max_bytes=-1))
    with pytest.raises(NoSuchBucket):
        await store.quotas.set("missing", BucketQuota(max_bytes=1))
    status = await store.quotas.set("b", BucketQuota(max_bytes=0))
    assert status.quota == BucketQuota(max_bytes=0)
    cleared = await store.quotas.clear("b")
    assert cleared.quota.is_unlimited
