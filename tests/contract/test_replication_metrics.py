"""Replication metrics on both engines: the counts the migration's triggers keep always equal
what the queue and the failure store hold (pending, failed now, replicated), through enqueue,
retry, dead letter, re-drive and completion, also under concurrent writers (PostgreSQL's
slots); the latency histogram is written in the finishing transaction."""

from __future__ import annotations

import asyncio
from typing import Any

from ferry.core.clock import FakeClock
from ferry.replication.failures import FailureState, record_failure
from ferry.replication.metrics import read_snapshot
from ferry.replication.rtc import sweep_thresholds
from ferry.replication.tasks import (
    Operation,
    Task,
    claim_due_tasks,
    enqueue_task,
    fail_task,
    finish_task,
    reschedule_task,
    supersede_failed_task,
)
from ferry.store import Buckets, Database, Tx, VersioningStatus

NOW_MS = 1_000_000


def enqueue(tx: Tx, key: str, size: int, destination: str = "dst", rule: str = "r1") -> None:
    enqueue_task(
        tx, bucket="src", key=key, version_id="v1", operation=Operation.OBJECT, rule_id=rule,
        destination_bucket=destination, storage_class=None, on_replica=False, now_ms=NOW_MS,
        size_bytes=size,
    )  # fmt: skip


def claim(tx: Tx) -> list[Task]:
    return claim_due_tasks(tx, now_ms=NOW_MS + 10**9, limit=1000, lease_ms=60_000)


def queue_state(tx: Tx) -> dict[tuple[str, str, str], tuple[int, int, int]]:
    """(bucket, rule, destination) → (pending ops, pending bytes, FAILED records), from the
    queue and the failure store themselves."""
    state: dict[tuple[str, str, str], list[int]] = {}
    for row in tx.execute(
        "SELECT bucket, rule_id, destination_bucket, COUNT(*), SUM(size_bytes) "
        "FROM replication_tasks WHERE status = 'PENDING' GROUP BY bucket, rule_id, "
        "destination_bucket"
    ):
        state.setdefault((row[0], row[1], row[2]), [0, 0, 0])[:2] = [int(row[3]), int(row[4])]
    for row in tx.execute(
        "SELECT bucket, rule_id, destination_bucket, COUNT(*) FROM replication_failures "
        "WHERE state = 'FAILED' GROUP BY bucket, rule_id, destination_bucket"
    ):
        state.setdefault((row[0], row[1], row[2]), [0, 0, 0])[2] = int(row[3])
    return {k: (v[0], v[1], v[2]) for k, v in state.items()}


def metrics_state(tx: Tx) -> dict[tuple[str, str, str], tuple[int, int, int]]:
    return {
        (s.bucket, s.rule_id, s.destination_bucket): (s.pending_ops, s.pending_bytes, s.failed_ops)
        for s in read_snapshot(tx, "src", now_ms=NOW_MS).series
        if (s.pending_ops, s.pending_bytes, s.failed_ops) != (0, 0, 0)
    }


async def assert_metrics_match_queue(db: Database) -> Any:
    def check(tx: Tx) -> Any:
        assert metrics_state(tx) == queue_state(tx)
        return read_snapshot(tx, "src", now_ms=NOW_MS)

    return await db.read(check)


async def test_metrics_follow_the_queue_through_retry_failure_redrive_and_success(
    region_db: Database,
) -> None:
    def first(tx: Tx) -> None:
        for i, size in enumerate((10, 20, 30)):
            enqueue(tx, f"k{i}", size)
        enqueue(tx, "other", 5, destination="dst2")

    await region_db.write(first)
    snapshot = await assert_metrics_match_queue(region_db)
    by_destination = {s.destination_bucket: s for s in snapshot.series}
    assert (by_destination["dst"].pending_ops, by_destination["dst"].pending_bytes) == (3, 60)
    assert by_destination["dst"].oldest_pending_s == 0
    tasks = {t.key: t for t in await region_db.write(claim)}

    def outcomes(tx: Tx) -> None:
        finish_task(tx, tasks["k0"], now_ms=tasks["k0"].created_ms + 1_500)
        reschedule_task(
            tx, tasks["k1"], due_ms=NOW_MS, reason="DstRegionUnavailable", message="down",
            now_ms=NOW_MS,
        )  # fmt: skip
        fail_task(tx, tasks["k2"], reason="DstBucketNotFound", message="gone", now_ms=NOW_MS)

    await region_db.write(outcomes)
    snapshot = await assert_metrics_match_queue(region_db)
    dst = next(s for s in snapshot.series if s.destination_bucket == "dst")
    assert (dst.pending_ops, dst.pending_bytes, dst.failed_ops) == (1, 20, 1)
    assert (dst.replicated_ops, dst.replicated_bytes) == (1, 10)
    assert dst.latency.count == 1 and dst.latency.sum_ms == 1_500
    assert dst.latency.counts == {2_500: 1}

    def redrive(tx: Tx) -> None:  # what a batch job's entry does
        supersede_failed_task(tx, bucket="src", key="k2", version_id="v1", destination_bucket="dst")
        enqueue(tx, "k2", 30)

    await region_db.write(redrive)
    snapshot = await assert_metrics_match_queue(region_db)
    dst = next(s for s in snapshot.series if s.destination_bucket == "dst")
    assert (dst.pending_ops, dst.failed_ops) == (2, 1)  # failed until the re-drive succeeds
    for task in await region_db.write(claim):
        await region_db.write(lambda tx, t=task: finish_task(tx, t, now_ms=NOW_MS + 100))
    snapshot = await assert_metrics_match_queue(region_db)
    dst = next(s for s in snapshot.series if s.destination_bucket == "dst")
    assert (dst.pending_ops, dst.pending_bytes, dst.failed_ops) == (0, 0, 0)
    assert (dst.replicated_ops, dst.replicated_bytes) == (3, 60)
    assert dst.oldest_pending_s is None
    assert snapshot.pending_ops == 1  # dst2's task is still claimed, not yet finished


async def test_a_failure_purged_or_retried_again_leaves_the_failed_count(
    region_db: Database,
) -> None:
    await region_db.write(lambda tx: enqueue(tx, "k", 1))
    [task] = await region_db.write(claim)
    await region_db.write(
        lambda tx: fail_task(tx, task, reason="DstBucketNotFound", message="x", now_ms=NOW_MS)
    )
    # the same record back to RETRYING (a later attempt of a re-drive that failed again)
    await region_db.write(
        lambda tx: record_failure(
            tx,
            task,
            state=FailureState.RETRYING,
            reason="DstRegionUnavailable",
            message="down",
            now_ms=NOW_MS + 1,
            next_attempt_ms=NOW_MS + 2,
        )
    )
    await assert_metrics_match_queue(region_db)
    await region_db.write(
        lambda tx: record_failure(
            tx,
            task,
            state=FailureState.FAILED,
            reason="DstBucketNotFound",
            message="x",
            now_ms=NOW_MS + 3,
        )
    )
    await assert_metrics_match_queue(region_db)
    await region_db.write(lambda tx: tx.execute("DELETE FROM replication_failures"))
    snapshot = await assert_metrics_match_queue(region_db)
    assert [s.failed_ops for s in snapshot.series] == [0]


async def test_concurrent_writers_count_every_task(region_db: Database) -> None:
    writers, each = 8, 25

    async def write(n: int) -> None:
        for i in range(each):
            await region_db.write(lambda tx, k=f"w{n}-{i}": enqueue(tx, k, 3))

    await asyncio.gather(*(write(n) for n in range(writers)))
    snapshot = await assert_metrics_match_queue(region_db)
    [series] = snapshot.series
    assert (series.pending_ops, series.pending_bytes) == (writers * each, 3 * writers * each)


RTC_RULE = (
    "<ReplicationConfiguration><Role>arn:aws:iam::000000000001:role/r</Role><Rule><ID>r1</ID>"
    "<Priority>1</Priority><Status>Enabled</Status><Filter><Prefix></Prefix></Filter>"
    "<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>"
    "<Destination><Bucket>arn:aws:s3:::dst</Bucket>"
    "<ReplicationTime><Status>Enabled</Status><Time><Minutes>15</Minutes></Time></ReplicationTime>"
    "<Metrics><Status>Enabled</Status><EventThreshold><Minutes>15</Minutes></EventThreshold>"
    "</Metrics></Destination></Rule></ReplicationConfiguration>"
)


async def test_rtc_deadlines_are_swept_once_and_count_missed(region_db: Database) -> None:
    buckets = Buckets(region_db, FakeClock(), "us-east-1")
    await buckets.create("src", "owner", ())
    await buckets.set_versioning("src", VersioningStatus.ENABLED)
    await buckets.set_replication("src", RTC_RULE)

    def tracked(tx: Tx) -> None:
        for key in ("late", "later"):
            enqueue_task(
                tx, bucket="src", key=key, version_id="v1", operation=Operation.OBJECT,
                rule_id="r1", destination_bucket="dst", storage_class=None, on_replica=False,
                now_ms=NOW_MS, rtc_deadline_ms=NOW_MS + 1_000,
            )  # fmt: skip
        enqueue(tx, "untracked", 1)

    await region_db.write(tracked)
    assert await region_db.write(lambda tx: sweep_thresholds(tx, now_ms=NOW_MS + 999)) == 0
    assert await region_db.write(lambda tx: sweep_thresholds(tx, now_ms=NOW_MS + 1_000)) == 2
    assert await region_db.write(lambda tx: sweep_thresholds(tx, now_ms=NOW_MS + 5_000)) == 0
    tasks = {t.key: t for t in await region_db.write(claim)}
    assert tasks["late"].rtc_deadline_ms == NOW_MS + 1_000
    for task in tasks.values():
        await region_db.write(lambda tx, t=task: finish_task(tx, t, now_ms=NOW_MS + 6_000))
    [series] = (await region_db.read(lambda tx: read_snapshot(tx, "src", now_ms=NOW_MS))).series
    assert (series.rtc_tracked, series.rtc_missed, series.rtc_miss_rate) == (2, 2, 1.0)
    assert series.replicated_ops == 3 and series.latency.counts == {10_000: 3}


async def test_a_task_whose_rule_lost_rtc_is_no_longer_tracked(region_db: Database) -> None:
    def tracked(tx: Tx) -> None:  # no such bucket, so no rule with RTC any more
        enqueue_task(
            tx, bucket="src", key="k", version_id="v1", operation=Operation.OBJECT,
            rule_id="r1", destination_bucket="dst", storage_class=None, on_replica=False,
            now_ms=NOW_MS, rtc_deadline_ms=NOW_MS + 1_000,
        )  # fmt: skip

    await region_db.write(tracked)
    assert await region_db.write(lambda tx: sweep_thresholds(tx, now_ms=NOW_MS + 2_000)) == 1
    [task] = await region_db.write(claim)
    assert task.rtc_deadline_ms is None
    [series] = (await region_db.read(lambda tx: read_snapshot(tx, "src", now_ms=NOW_MS))).series
    assert (series.rtc_tracked, series.rtc_missed) == (1, 0)
