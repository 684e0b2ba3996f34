"""Replicas at a destination on both engines: the source's version ID and time are kept, a
retried replica is stored once even when the retries race, and a late one never hides a
newer version."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

from ferry.api.body import BytesPayload
from ferry.store import ObjectAttributes, Version
from tests.contract.region_store import ENABLED, OWNER, RegionStore

T0 = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)


async def replicate(store: RegionStore, version_id: str, when: datetime, data: bytes) -> Version:
    attrs = ObjectAttributes(size=len(data), etag=hashlib.md5(data).hexdigest())
    return await store.replicas.put(
        "b", "k", BytesPayload(data), version_id=version_id, last_modified=when, owner_id=OWNER,
        attrs=attrs,
    )  # fmt: skip


async def test_racing_retries_of_one_replica_store_it_once(engine: str, store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    racing = store.racing(engine, 5)
    results = await asyncio.gather(*(replicate(racing, "v1", T0, b"same") for _ in range(5)))
    assert {r.version_id for r in results} == {"v1"}
    [version] = (await store.listings.versions("b")).versions
    assert (version.version_id, version.last_modified, version.is_latest) == ("v1", T0, True)
    assert version.attrs.replication_status == "REPLICA"
    assert await store.read("b", "k") == b"same"
    assert (await store.quotas.status("b")).usage.stored_bytes == 4


async def test_a_late_replica_does_not_hide_a_newer_version(store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    await replicate(store, "v2", T0 + timedelta(milliseconds=1), b"newer")
    await replicate(store, "v1", T0, b"older")
    versions = (await store.listings.versions("b")).versions
    assert [(v.version_id, v.is_latest) for v in versions] == [("v1", False), ("v2", True)]
    assert await store.read("b", "k") == b"newer"
    marker = await store.replicas.put_delete_marker(
        "b", "k", version_id="v3", last_modified=T0 + timedelta(seconds=1), owner_id=OWNER
    )
    assert marker.is_delete_marker and marker.is_latest
