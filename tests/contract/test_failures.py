"""The failure store on both engines: one record per (version, destination, operation),
queries newest first with filters and cursors, summary counts kept by triggers (also under
concurrent writers), resolution and purge."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ferry.replication import FailureCursor, FailureFilter, FailureState, FailureStore
from ferry.replication.failures import record_failure, resolve_failure
from ferry.store import Database, Tx

FAILED, RETRYING, RESOLVED = FailureState.FAILED, FailureState.RETRYING, FailureState.RESOLVED


@dataclass(frozen=True)
class FailedTask:
    key: str = "k"
    version_id: str = "v1"
    bucket: str = "src"
    operation: str = "OBJECT"
    rule_id: str = "r1"
    destination_bucket: str = "dst"
    attempts: int = 1


def retrying(tx: Tx, task: FailedTask, now_ms: int, reason: str = "DstRegionUnavailable") -> None:
    record_failure(
        tx, task, state=RETRYING, reason=reason, message="down", now_ms=now_ms,
        next_attempt_ms=now_ms + 500, destination_region="eu-west-1",
    )  # fmt: skip


def failed(tx: Tx, task: FailedTask, now_ms: int, reason: str = "DstBucketUnversioned") -> None:
    record_failure(tx, task, state=FAILED, reason=reason, message="no", now_ms=now_ms)


async def keys(failures: FailureStore, where: FailureFilter) -> list[str]:
    page = await failures.query(where, limit=1000, after=None)
    return [f.key for f in page.failures]


async def test_retries_update_one_record_and_keep_the_first_failure_time(
    region_db: Database,
) -> None:
    failures = FailureStore(region_db)
    await region_db.write(lambda tx: retrying(tx, FailedTask(attempts=1), 1000))
    await region_db.write(lambda tx: retrying(tx, FailedTask(attempts=2), 2000))
    await region_db.write(lambda tx: failed(tx, FailedTask(attempts=3), 3000))
    [failure] = (await failures.query(FailureFilter(), limit=10, after=None)).failures
    assert failure.state is FAILED and failure.reason == "DstBucketUnversioned"
    assert (failure.first_failure_ms, failure.last_failure_ms) == (1000, 3000)
    assert failure.attempts == 3 and failure.next_attempt_ms is None
    assert failure.destination_region == "eu-west-1"  # kept from when it was known
    assert await failures.get(failure.failure_id) == failure
    assert await failures.get(failure.failure_id + 1000) is None


async def test_each_version_destination_and_operation_has_its_own_record(
    region_db: Database,
) -> None:
    await region_db.write(lambda tx: failed(tx, FailedTask(), 1))
    await region_db.write(lambda tx: failed(tx, FailedTask(destination_bucket="dst2"), 2))
    await region_db.write(lambda tx: failed(tx, FailedTask(operation="METADATA"), 3))
    await region_db.write(lambda tx: failed(tx, FailedTask(version_id="v2"), 4))
    page = await FailureStore(region_db).query(FailureFilter(), limit=10, after=None)
    assert [f.last_failure_ms for f in page.failures] == [4, 3, 2, 1]


async def test_resolving_keeps_history_and_a_new_failure_starts_a_new_episode(
    region_db: Database,
) -> None:
    failures = FailureStore(region_db)
    await region_db.write(lambda tx: retrying(tx, FailedTask(), 1000))
    await region_db.write(lambda tx: resolve_failure(tx, FailedTask(), now_ms=1500))
    await region_db.write(lambda tx: resolve_failure(tx, FailedTask(), now_ms=9999))  # no-op
    [resolved] = (await failures.query(FailureFilter(), limit=10, after=None)).failures
    assert resolved.state is RESOLVED
    assert (resolved.resolved_ms, resolved.next_attempt_ms) == (1500, None)
    await region_db.write(lambda tx: failed(tx, FailedTask(), 2000))
    again = await failures.get(resolved.failure_id)
    assert again is not None and again.state is FAILED
    assert (again.first_failure_ms, again.resolved_ms) == (2000, None)


async def test_filters_combine_and_the_time_range_is_half_open(region_db: Database) -> None:
    def seed(tx: Tx) -> None:
        for i in range(10):
            task = FailedTask(key=f"k{i}", rule_id=f"r{i % 2}", bucket="ab"[i % 2 == 0])
            (failed if i < 6 else retrying)(tx, task, 100 * i)

    await region_db.write(seed)
    failures = FailureStore(region_db)
    assert await keys(failures, FailureFilter(rule_id="r1")) == ["k9", "k7", "k5", "k3", "k1"]
    assert await keys(failures, FailureFilter(state=RETRYING, rule_id="r0")) == ["k8", "k6"]
    assert await keys(failures, FailureFilter(since_ms=300, until_ms=500)) == ["k4", "k3"]
    assert await keys(failures, FailureFilter(reason="DstRegionUnavailable", bucket="b")) == [
        "k8",
        "k6",
    ]
    assert await keys(failures, FailureFilter(destination_bucket="elsewhere")) == []


async def test_pages_are_newest_first_and_the_cursor_survives_equal_times(
    region_db: Database,
) -> None:
    def seed(tx: Tx) -> None:
        for i in range(7):
            failed(tx, FailedTask(key=f"k{i}"), 1000 if i < 4 else 2000)

    await region_db.write(seed)
    failures = FailureStore(region_db)
    seen: list[str] = []
    cursor: FailureCursor | None = None
    while True:
        page = await failures.query(FailureFilter(), limit=3, after=cursor)
        seen += [f.key for f in page.failures]
        if page.next_cursor is None:
            break
        cursor = FailureCursor.parse(page.next_cursor.render())
    assert seen == ["k6", "k5", "k4", "k3", "k2", "k1", "k0"]


async def test_counts_follow_inserts_state_changes_and_purge(region_db: Database) -> None:
    failures = FailureStore(region_db)
    await region_db.write(lambda tx: retrying(tx, FailedTask(key="a"), 1))
    await region_db.write(lambda tx: retrying(tx, FailedTask(key="b"), 2))
    await region_db.write(lambda tx: failed(tx, FailedTask(key="b"), 3))
    await region_db.write(lambda tx: failed(tx, FailedTask(key="c", rule_id="r2"), 4))
    counts = await failures.counts()
    assert counts.by_rule == {"r1": {FAILED: 1, RETRYING: 1}, "r2": {FAILED: 1}}
    assert counts.by_reason == {
        "DstBucketUnversioned": {FAILED: 2},
        "DstRegionUnavailable": {RETRYING: 1},
    }
    assert await failures.purge(FailureFilter(rule_id="r1")) == 2
    assert (await failures.counts()).by_rule == {"r2": {FAILED: 1}}
    assert await failures.purge(FailureFilter()) == 1
    assert (await failures.counts()).by_reason == {}


async def test_counts_stay_exact_under_concurrent_writers(region_db: Database) -> None:
    async def episode(n: int) -> None:
        task = FailedTask(key=f"k{n}")
        await region_db.write(lambda tx: retrying(tx, task, n))
        await region_db.write(lambda tx: failed(tx, task, n + 100))
        if n % 3 == 0:
            await region_db.write(lambda tx: resolve_failure(tx, task, now_ms=n + 200))

    await asyncio.gather(*(episode(n) for n in range(24)))
    counts = await FailureStore(region_db).counts()
    assert counts.by_rule == {"r1": {FAILED: 16, RESOLVED: 8}}
    assert counts.by_reason == {"DstBucketUnversioned": {FAILED: 16, RESOLVED: 8}}
