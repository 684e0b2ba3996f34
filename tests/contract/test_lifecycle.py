"""Lifecycle on both engines: the configuration store, and the worker's passes driven by a
FakeClock — bounded per pass, resumed from the committed checkpoint (also after a pass that
failed mid-batch), usage exact after expiry."""

from __future__ import annotations

import pytest

from ferry.config import LifecycleSettings
from ferry.lifecycle import LifecycleWorker
from ferry.protocol.xml.lifecycle import (
    LifecycleConfiguration,
    LifecycleFilter,
    LifecycleRule,
    NoncurrentExpiration,
)
from ferry.store import BucketLifecycle, BucketUsage, Tx, Version, VersionHooks, WriteOrigin
from ferry.store.errors import NoSuchLifecycleConfiguration
from ferry.store.lifecycle import fetch_lifecycle_progress
from ferry.store.records import VersioningStatus
from tests.contract.region_store import ENABLED, RegionStore

DAY_S = 10.0
EXPIRE = LifecycleConfiguration(
    rules=(LifecycleRule(rule_id="r", enabled=True, expiration_days=1),)
)


def worker(
    store: RegionStore, hooks: VersionHooks | None = None, **settings: int
) -> LifecycleWorker:
    return LifecycleWorker(
        store.db, hooks or VersionHooks(), store.blobs, store.clock,
        LifecycleSettings(day_seconds=DAY_S, **settings),
    )  # fmt: skip


async def keys(store: RegionStore, bucket: str = "b") -> list[str]:
    listing = await store.listings.objects(bucket)
    return [v.key for v in listing.versions]


async def test_configuration_is_stored_replaced_and_gone_with_the_bucket(
    store: RegionStore,
) -> None:
    lifecycle = BucketLifecycle(store.db)
    await store.bucket()
    with pytest.raises(NoSuchLifecycleConfiguration):
        await lifecycle.get("b")
    await lifecycle.put("b", EXPIRE)
    assert await lifecycle.get("b") == EXPIRE
    other = LifecycleConfiguration(
        rules=(LifecycleRule(rule_id="x", enabled=False, abort_days=2),),
        transition_min_size="varies_by_storage_class",
    )
    await lifecycle.put("b", other)
    assert await lifecycle.get("b") == other
    await lifecycle.delete("b")
    assert await lifecycle.find("b") is None
    await lifecycle.put("b", EXPIRE)
    await store.buckets.delete("b")
    await store.bucket()
    assert await lifecycle.find("b") is None  # a namesake does not inherit it


async def test_passes_are_bounded_and_resume_after_the_checkpoint(store: RegionStore) -> None:
    await store.bucket()
    for i in range(7):
        await store.put("b", f"k{i}", b"x" * 10)
    await BucketLifecycle(store.db).put("b", EXPIRE)
    store.clock.advance(3 * DAY_S)
    lifecycle = worker(store, keys_per_pass=3, keys_per_transaction=2)
    first = await lifecycle.run_pass()
    assert (first.keys, first.expired, first.finished) == (3, 3, [])
    assert await keys(store) == ["k3", "k4", "k5", "k6"]
    progress = await store.db.read(fetch_lifecycle_progress)
    assert progress[0].after_key == "k2"
    second = await lifecycle.run_pass()
    assert (second.keys, second.expired) == (3, 3)
    third = await lifecycle.run_pass()
    assert (third.expired, third.finished) == (1, ["b"])
    assert await keys(store) == []
    assert (await store.db.read(fetch_lifecycle_progress))[0].after_key is None
    assert (await store.quotas.status("b")).usage == BucketUsage(
        stored_bytes=0, objects=0, upload_bytes=0
    )


class FailOnKey:
    """A version hook that fails the transaction changing `key` (a crash mid-batch)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.armed = True

    def on_commit(
        self, tx: Tx, old: Version | None, new: Version | None, origin: WriteOrigin
    ) -> None:
        version = new or old
        assert origin is WriteOrigin.LIFECYCLE
        if self.armed and version is not None and version.key == self.key:
            raise RuntimeError("crash")


async def test_a_failed_batch_changes_nothing_and_the_next_pass_redoes_it(
    store: RegionStore,
) -> None:
    await store.bucket(versioning=ENABLED)
    for i in range(4):
        await store.put("b", f"k{i}", b"x")
    await BucketLifecycle(store.db).put("b", EXPIRE)
    store.clock.advance(3 * DAY_S)
    hooks = VersionHooks()
    failing = FailOnKey("k3")
    hooks.register(failing)
    lifecycle = worker(store, hooks, keys_per_transaction=2)
    with pytest.raises(RuntimeError):
        await lifecycle.run_pass()
    assert await keys(store) == ["k2", "k3"]  # the first batch committed, the second not
    assert (await store.db.read(fetch_lifecycle_progress))[0].after_key == "k1"
    failing.armed = False
    again = await lifecycle.run_pass()
    assert (again.keys, again.expired, again.finished) == (2, 2, ["b"])
    assert await keys(store) == []
    listing = await store.listings.versions("b")
    assert sum(v.is_delete_marker for v in listing.versions) == 4  # one marker each, not two


async def test_noncurrent_expiration_and_markers_keep_usage_exact(store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    await store.put("b", "k", b"x" * 100)
    await store.put("b", "k", b"x" * 50)
    await store.objects.delete("b", "k")
    config = LifecycleConfiguration(
        rules=(
            LifecycleRule(
                rule_id="purge", enabled=True, filter=LifecycleFilter(prefix="k"),
                expired_object_delete_marker=True,
                noncurrent_expiration=NoncurrentExpiration(noncurrent_days=1),
            ),
        )
    )  # fmt: skip
    await BucketLifecycle(store.db).put("b", config)
    store.clock.advance(3 * DAY_S)
    report = await worker(store).run_pass()
    assert (report.deleted, report.expired) == (3, 0)  # two versions, then the lone marker
    assert (await store.listings.versions("b")).versions == []
    assert (await store.quotas.status("b")).usage == BucketUsage(
        stored_bytes=0, objects=0, upload_bytes=0
    )
    assert (await store.buckets.get("b")).versioning is VersioningStatus.ENABLED


async def test_a_version_under_object_lock_outlives_noncurrent_expiration(
    store: RegionStore,
) -> None:
    await store.buckets.create("b", "owner", (), object_lock=True)
    held = await store.put("b", "k", b"x" * 100)
    await store.objects.update_lock("b", "k", held.version_id, legal_hold=True)
    await store.put("b", "k", b"y" * 10)
    rule = LifecycleRule(
        rule_id="purge", enabled=True, expiration_days=1,
        noncurrent_expiration=NoncurrentExpiration(noncurrent_days=1),
    )  # fmt: skip
    await BucketLifecycle(store.db).put("b", LifecycleConfiguration(rules=(rule,)))
    store.clock.advance(3 * DAY_S)
    report = await worker(store).run_pass()
    # The current version went noncurrent under a marker and was then deleted for good; the
    # held one stays: lifecycle counts it as held, never as deleted.
    versions = (await store.listings.versions("b")).versions
    assert held.version_id in {v.version_id for v in versions}
    assert report.held >= 1
    await store.objects.update_lock("b", "k", held.version_id, legal_hold=False)
    store.clock.advance(DAY_S)
    await worker(store).run_pass()
    remaining = (await store.listings.versions("b")).versions
    assert held.version_id not in {v.version_id for v in remaining}
