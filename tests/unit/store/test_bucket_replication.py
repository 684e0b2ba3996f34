"""The bucket's replication document: stored as text, and guarded against unversioned
buckets in both directions (no document without versioning, no suspending under one)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ferry.core.clock import FakeClock
from ferry.region import REGION_MIGRATIONS
from ferry.store import Buckets, SqliteDatabase, VersioningStatus
from ferry.store.errors import InvalidBucketState, NoSuchBucket, VersioningNotEnabled

DOCUMENT = "<ReplicationConfiguration><Role>r</Role></ReplicationConfiguration>"


@pytest.fixture
def buckets(tmp_path: Path) -> Iterator[Buckets]:
    db = SqliteDatabase(tmp_path / "meta.sqlite3", REGION_MIGRATIONS)
    yield Buckets(db, FakeClock(), "us-east-1")
    db.close()


async def versioned(buckets: Buckets, name: str = "b") -> str:
    await buckets.create(name, "owner", ())
    await buckets.set_versioning(name, VersioningStatus.ENABLED)
    return name


async def test_document_is_stored_read_back_and_removed(buckets: Buckets) -> None:
    name = await versioned(buckets)
    assert await buckets.get_replication(name) is None

    await buckets.set_replication(name, DOCUMENT)
    assert await buckets.get_replication(name) == DOCUMENT
    assert (await buckets.get(name)).replication == DOCUMENT

    await buckets.set_replication(name, None)
    assert await buckets.get_replication(name) is None


@pytest.mark.parametrize("status", [None, VersioningStatus.SUSPENDED])
async def test_document_needs_versioning_enabled(
    buckets: Buckets, status: VersioningStatus | None
) -> None:
    await buckets.create("b", "owner", ())
    if status is not None:
        await buckets.set_versioning("b", status)

    with pytest.raises(VersioningNotEnabled):
        await buckets.set_replication("b", DOCUMENT)
    await buckets.set_replication("b", None)  # removing nothing is fine
    assert await buckets.get_replication("b") is None


async def test_suspending_versioning_under_a_document_is_invalid_bucket_state(
    buckets: Buckets,
) -> None:
    name = await versioned(buckets)
    await buckets.set_replication(name, DOCUMENT)

    with pytest.raises(InvalidBucketState) as caught:
        await buckets.set_versioning(name, VersioningStatus.SUSPENDED)
    assert caught.value.message.startswith("A replication configuration is present")
    await buckets.set_versioning(name, VersioningStatus.ENABLED)
    assert (await buckets.get(name)).versioning is VersioningStatus.ENABLED


async def test_replication_of_a_missing_bucket_is_no_such_bucket(buckets: Buckets) -> None:
    with pytest.raises(NoSuchBucket):
        await buckets.set_replication("missing", DOCUMENT)
    with pytest.raises(NoSuchBucket):
        await buckets.get_replication("missing")
