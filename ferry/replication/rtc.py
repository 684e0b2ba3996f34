"""S3 Replication Time Control: a task of a rule with `ReplicationTime` (and `Metrics`, which
AWS requires beside it) Enabled is tracked against the threshold (15 minutes; `[replication]
rtc_threshold_s` shortens it for tests). Its deadline is written when it is enqueued
(`tasks.enqueue_task`); then, each in the transaction that decides it:

- `sweep_thresholds`: a tracked task still pending at its deadline is marked missed and
  `s3:Replication:OperationMissedThreshold` is published; one whose rule no longer has RTC
  (the configuration changed since) stops being tracked: `s3:Replication:OperationNotTracked`.
- `replicated_after_threshold`: a tracked task replicated after its deadline publishes
  `s3:Replication:OperationReplicatedAfterThreshold` (and counts missed, if the sweep had not
  seen it yet).

The replication metrics' `rtc_tracked`/`rtc_missed` counts follow from the task's columns by
the migration's triggers. Batch replication and repairs are never tracked (AWS: RTC covers
live replication)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial
from typing import Protocol

from ferry.core.clock import Clock, epoch_ms
from ferry.events import publish_replication_event
from ferry.events.outbox import MISSED_THRESHOLD, NOT_TRACKED, REPLICATED_AFTER_THRESHOLD
from ferry.protocol.xml.replication import ReplicationRuleStatus
from ferry.store import Database, Tx, fetch_replication_configuration

log = logging.getLogger("ferry.replication")

RTC_THRESHOLD_S = 15 * 60.0
MAX_SWEPT = 1000  # tasks one sweep decides, at most (the next sweep takes the rest)
_ENABLED = ReplicationRuleStatus.ENABLED


class TrackedTask(Protocol):
    """What RTC needs of a replication task (`tasks.Task` is one)."""

    @property
    def task_id(self) -> int: ...
    @property
    def bucket(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def version_id(self) -> str: ...
    @property
    def operation(self) -> str: ...
    @property
    def rule_id(self) -> str: ...
    @property
    def destination_bucket(self) -> str: ...
    @property
    def created_ms(self) -> int: ...


def has_rtc(tx: Tx, bucket: str, rule_id: str) -> bool:
    """Whether the bucket's rule `rule_id` has Replication Time Control (and metrics) now."""
    config = fetch_replication_configuration(tx, bucket)
    rule = next((r for r in config.rules if (r.id or "") == rule_id), None) if config else None
    if rule is None or rule.status is not _ENABLED:
        return False
    time, metrics = rule.destination.replication_time, rule.destination.metrics
    return (
        time is not None
        and time.status is _ENABLED
        and metrics is not None
        and metrics.status is _ENABLED
    )


def sweep_thresholds(tx: Tx, *, now_ms: int) -> int:
    """Decide the tracked tasks whose deadline has passed. Returns how many."""
    rows = tx.execute(
        "SELECT task_id, bucket, key, version_id, operation, rule_id, destination_bucket, "
        "created_ms FROM replication_tasks WHERE rtc_deadline_ms IS NOT NULL "
        "AND rtc_missed = 0 AND rtc_deadline_ms <= ? AND status = 'PENDING' "
        "ORDER BY rtc_deadline_ms LIMIT ?",
        (now_ms, MAX_SWEPT),
    ).fetchall()
    tracked: dict[tuple[str, str], bool] = {}
    for row in rows:
        task_id, bucket, key, version_id, operation, rule_id, destination, created_ms = row
        rule = (bucket, rule_id)
        if rule not in tracked:
            tracked[rule] = has_rtc(tx, bucket, rule_id)
        if tracked[rule]:
            tx.execute("UPDATE replication_tasks SET rtc_missed = 1 WHERE task_id = ?", (task_id,))
            event = MISSED_THRESHOLD
        else:
            tx.execute(
                "UPDATE replication_tasks SET rtc_deadline_ms = NULL WHERE task_id = ?",
                (task_id,),
            )
            event = NOT_TRACKED
        publish_replication_event(
            tx, event, bucket=bucket, key=key, version_id=version_id, operation=operation,
            rule_id=rule_id, destination_bucket=destination, requested_ms=created_ms,
            now_ms=now_ms,
        )  # fmt: skip
    return len(rows)


def replicated_after_threshold(tx: Tx, task: TrackedTask, *, now_ms: int) -> None:
    """The task, tracked and past its deadline, was replicated: say so (before its row goes)."""
    row = tx.execute(
        "SELECT rtc_deadline_ms, rtc_missed FROM replication_tasks WHERE task_id = ?",
        (task.task_id,),
    ).fetchone()
    if row is None or row[0] is None:
        return  # no longer tracked (the sweep found its rule without RTC)
    if not row[1]:
        tx.execute("UPDATE replication_tasks SET rtc_missed = 1 WHERE task_id = ?", (task.task_id,))
    publish_replication_event(
        tx, REPLICATED_AFTER_THRESHOLD, bucket=task.bucket, key=task.key,
        version_id=task.version_id, operation=str(task.operation), rule_id=task.rule_id,
        destination_bucket=task.destination_bucket, requested_ms=task.created_ms, now_ms=now_ms,
    )  # fmt: skip


class ThresholdWatch:
    """Sweeps the region's tracked tasks every `interval_s` (a fraction of the threshold)."""

    def __init__(self, db: Database, clock: Clock, *, threshold_s: float) -> None:
        self._db = db
        self._clock = clock
        self._interval_s = min(max(threshold_s / 10, 0.2), 30.0)
        self._runner: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="replication-rtc")

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._runner

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                while await self._sweep() >= MAX_SWEPT:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop's boundary: the next sweep tries again
                log.exception("replication time control sweep failed")

    async def _sweep(self) -> int:
        now_ms = epoch_ms(self._clock.now())
        if not await self._db.read(partial(_has_due, now_ms=now_ms)):
            return 0  # a read: no write lock taken while nothing is late
        return await self._db.write(partial(sweep_thresholds, now_ms=now_ms))


def _has_due(tx: Tx, *, now_ms: int) -> bool:
    row = tx.execute(
        "SELECT 1 FROM replication_tasks WHERE rtc_deadline_ms IS NOT NULL AND rtc_missed = 0 "
        "AND rtc_deadline_ms <= ? AND status = 'PENDING' LIMIT 1",
        (now_ms,),
    ).fetchone()
    return row is not None
