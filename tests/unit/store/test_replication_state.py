"""What the store keeps for replication: a version's status (one enum, set by one function),
the bucket's configuration parsed once per document, and versions scanned for manifests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ferry.protocol.xml.replication import ReplicationConfiguration
from ferry.store import (
    ReplicationStatus,
    Tx,
    VersioningStatus,
    fetch_replication_configuration,
    fetch_version,
    scan_versions,
    set_replication_status,
)
from ferry.store.versions import Version
from tests.unit.store.test_store import Store

DOCUMENT = (
    "<ReplicationConfiguration><Role>arn:aws:iam::1:role/r</Role><Rule><ID>{rule}</ID>"
    "<Status>Enabled</Status><Prefix></Prefix>"
    "<Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination></Rule>"
    "</ReplicationConfiguration>"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path)
    yield s
    s.db.close()


async def versioned(store: Store, name: str = "b") -> str:
    await store.buckets.create(name, "o", ())
    await store.buckets.set_versioning(name, VersioningStatus.ENABLED)
    return name


async def configuration(store: Store, bucket: str) -> ReplicationConfiguration | None:
    return await store.db.read(lambda tx: fetch_replication_configuration(tx, bucket))


async def test_status_is_set_and_read_back_as_the_enum(store: Store) -> None:
    bucket = await versioned(store)
    version_id = await store.put(bucket, "k", b"x")

    def mark(tx: Tx) -> None:
        set_replication_status(
            tx, bucket=bucket, key="k", version_id=version_id, status=ReplicationStatus.FAILED
        )

    await store.db.write(mark)
    version = await store.db.read(lambda tx: fetch_version(tx, bucket, "k", version_id))
    assert version is not None
    assert version.attrs.replication_status is ReplicationStatus.FAILED


async def test_no_bucket_or_no_document_has_no_configuration(store: Store) -> None:
    assert await configuration(store, "missing") is None
    bucket = await versioned(store)
    assert await configuration(store, bucket) is None


async def test_a_document_is_parsed_once_and_a_new_one_is_seen_at_once(store: Store) -> None:
    bucket = await versioned(store)
    await store.buckets.set_replication(bucket, DOCUMENT.format(rule="first"))
    first = await configuration(store, bucket)
    assert first is not None
    assert [r.id for r in first.rules] == ["first"]
    assert await configuration(store, bucket) is first  # the one cache served it

    await store.buckets.set_replication(bucket, DOCUMENT.format(rule="second"))
    second = await configuration(store, bucket)
    assert second is not None
    assert [r.id for r in second.rules] == ["second"]

    await store.buckets.set_replication(bucket, None)
    assert await configuration(store, bucket) is None


async def test_scan_gives_every_version_oldest_write_first_without_bodies(store: Store) -> None:
    bucket = await versioned(store)
    other = await versioned(store, "other")
    written = [await store.put(bucket, key, b"data") for key in ("b", "a", "b")]
    await store.put(other, "a", b"not scanned")

    def scan(tx: Tx) -> list[Version]:
        return list(scan_versions(tx, bucket))

    scanned = await store.db.read(scan)
    assert [(v.key, v.version_id) for v in scanned] == list(zip("bab", written, strict=True))
    assert all(v.body.inline is None for v in scanned)
