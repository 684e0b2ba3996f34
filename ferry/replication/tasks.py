"""Replication tasks: what the engine still owes, durably, in the region's database.

Every function takes the transaction it runs in: the planner enqueues inside the write that
committed the version; a worker's outcome (finish, reschedule, fail) and the version's status
change commit together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any

from ferry.events import publish_replication_failure
from ferry.replication.failures import FailureState, record_failure, resolve_failure
from ferry.replication.latencies import record_latency
from ferry.replication.rtc import replicated_after_threshold
from ferry.store import Queue, ReplicationStatus, Tx, set_replication_status


class Operation(StrEnum):
    OBJECT = "OBJECT"
    DELETE_MARKER = "DELETE_MARKER"
    METADATA = "METADATA"  # tags and ACL of a version already replicated


class TaskStatus(StrEnum):
    PENDING = "PENDING"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    task_id: int
    bucket: str
    key: str
    version_id: str
    operation: Operation
    rule_id: str
    destination_bucket: str
    storage_class: str | None
    on_replica: bool
    attempts: int
    created_ms: int
    size_bytes: int = 0  # the version's size: what the task owes, in bytes (0: no data)
    rtc_deadline_ms: int | None = None  # S3 RTC: replicated by then, or missed (None: no RTC)


# The queue's columns; the per-key order and the fairness between live and batch work are
# replication's, in the conditions `claim_due_tasks` gives the claim.
TASKS = Queue(
    table="replication_tasks",
    ids=("task_id",),
    columns=(
        "task_id", "bucket", "key", "version_id", "operation", "rule_id", "destination_bucket",
        "storage_class", "on_replica", "attempts", "created_ms", "size_bytes", "rtc_deadline_ms",
    ),
    first_failure="first_failure_ms",
    status="status",
    pending=TaskStatus.PENDING.value,
    dead=TaskStatus.FAILED.value,  # the dead letter: it stays, with its reason, until re-driven
)  # fmt: skip
# A task waits while an earlier task for its key and destination is owed, claimed or not: a
# delete marker never overtakes the version it covers.
_IN_KEY_ORDER = (
    "NOT EXISTS (SELECT 1 FROM replication_tasks e WHERE e.bucket = t.bucket "
    "AND e.key = t.key AND e.destination_bucket = t.destination_bucket "
    "AND e.task_id < t.task_id AND e.status = 'PENDING')"
)
_LIVE = f"t.job_id IS NULL AND {_IN_KEY_ORDER}"
_BATCH = f"t.job_id IS NOT NULL AND {_IN_KEY_ORDER}"


def _task(row: Any) -> Task:
    return Task(
        task_id=row[0],
        bucket=row[1],
        key=row[2],
        version_id=row[3],
        operation=Operation(row[4]),
        rule_id=row[5],
        destination_bucket=row[6],
        storage_class=row[7],
        on_replica=bool(row[8]),
        attempts=row[9],
        created_ms=row[10],
        size_bytes=int(row[11]),
        rtc_deadline_ms=row[12],
    )


def enqueue_task(
    tx: Tx,
    *,
    bucket: str,
    key: str,
    version_id: str,
    operation: Operation,
    rule_id: str,
    destination_bucket: str,
    storage_class: str | None,
    on_replica: bool,
    now_ms: int,
    job_id: str | None = None,
    size_bytes: int = 0,
    rtc_deadline_ms: int | None = None,
) -> None:
    """`job_id` tags a task a batch replication job owes (None: live replication);
    `size_bytes` is what it owes (the replication metrics' bytes pending and replicated);
    `rtc_deadline_ms`: the task is tracked by Replication Time Control (replication.rtc)."""
    task = {
        "bucket": bucket, "key": key, "version_id": version_id, "operation": operation.value,
        "rule_id": rule_id, "destination_bucket": destination_bucket,
        "storage_class": storage_class, "on_replica": int(on_replica), "created_ms": now_ms,
        "job_id": job_id, "size_bytes": size_bytes, "rtc_deadline_ms": rtc_deadline_ms,
    }  # fmt: skip
    TASKS.enqueue(tx, [task], due_ms=now_ms)


def is_task_owed(
    tx: Tx, *, bucket: str, key: str, version_id: str, destination_bucket: str
) -> bool:
    """A task for this version and destination is still PENDING (claimed or not)."""
    row = tx.execute(
        "SELECT 1 FROM replication_tasks WHERE bucket = ? AND key = ? AND version_id = ? "
        "AND destination_bucket = ? AND status = ?",
        (bucket, key, version_id, destination_bucket, TaskStatus.PENDING.value),
    ).fetchone()
    return row is not None


def supersede_failed_task(
    tx: Tx, *, bucket: str, key: str, version_id: str, destination_bucket: str
) -> None:
    """Drop the dead letter (FAILED task) a version left for this destination: a new attempt
    (a batch job's entry, a `ferry verify --repair`) takes its place; the failure record stays
    and resolves when the new task succeeds."""
    tx.execute(
        "DELETE FROM replication_tasks WHERE bucket = ? AND key = ? AND version_id = ? "
        "AND destination_bucket = ? AND status = ?",
        (bucket, key, version_id, destination_bucket, TaskStatus.FAILED.value),
    )


def claim_due_tasks(tx: Tx, *, now_ms: int, limit: int, lease_ms: int) -> list[Task]:
    """Due, unleased tasks whose key has no earlier task still pending for the same
    destination. Claimed tasks are leased, so a worker that dies releases them when the lease
    runs out; their attempts count the attempt now under way.

    Live tasks (job_id NULL) and batch-job tasks are claimed separately; when both are due,
    batch work gets at most half of the slots (rounded down), so a large job never starves
    live replication, and takes whatever live work leaves free."""
    claim = partial(TASKS.claim, tx, now_ms=now_ms, lease_ms=lease_ms)
    batch = claim(limit=limit // 2, where=_BATCH)
    live = claim(limit=limit - len(batch), where=_LIVE)
    batch += claim(limit=limit - len(batch) - len(live), where=_BATCH)
    return [_task(row) for row in live + batch]


def renew_leases(tx: Tx, task_ids: Iterable[int], *, until_ms: int) -> None:
    """Keep claimed tasks leased while their transfers run."""
    TASKS.renew(tx, list(task_ids), until_ms=until_ms)


def finish_task(tx: Tx, task: Task, *, now_ms: int | None = None) -> None:
    """The replica is acknowledged: the task goes (the metrics' triggers count it replicated),
    its latency joins the histogram, and an RTC task late past its threshold says so."""
    if now_ms is not None:
        record_latency(
            tx, bucket=task.bucket, rule_id=task.rule_id,
            destination_bucket=task.destination_bucket, latency_ms=now_ms - task.created_ms,
        )  # fmt: skip
        if task.rtc_deadline_ms is not None and now_ms > task.rtc_deadline_ms:
            replicated_after_threshold(tx, task, now_ms=now_ms)
    TASKS.complete(tx, [task.task_id])
    _refresh_version_status(tx, task)
    resolve_failure(tx, task, now_ms=now_ms)  # same transaction: the failure store agrees


def reschedule_task(
    tx: Tx,
    task: Task,
    *,
    due_ms: int,
    reason: str,
    message: str,
    now_ms: int,
    destination_region: str | None = None,
) -> None:
    TASKS.reschedule(
        tx, [task.task_id], due_ms=due_ms, now_ms=now_ms, error=message,
        fields={"failure_reason": reason},
    )  # fmt: skip
    record_failure(
        tx, task, state=FailureState.RETRYING, reason=reason, message=message, now_ms=now_ms,
        next_attempt_ms=due_ms, destination_region=destination_region,
    )  # fmt: skip


def fail_task(
    tx: Tx,
    task: Task,
    *,
    reason: str,
    message: str,
    now_ms: int,
    destination_region: str | None = None,
) -> None:
    TASKS.dead_letter(
        tx, [task.task_id], now_ms=now_ms, error=message, fields={"failure_reason": reason}
    )
    _refresh_version_status(tx, task)
    record_failure(
        tx, task, state=FailureState.FAILED, reason=reason, message=message, now_ms=now_ms,
        destination_region=destination_region,
    )  # fmt: skip
    publish_replication_failure(
        tx, bucket=task.bucket, key=task.key, version_id=task.version_id,
        operation=task.operation.value, rule_id=task.rule_id,
        destination_bucket=task.destination_bucket, reason=reason,
        requested_ms=task.created_ms, now_ms=now_ms,
    )  # fmt: skip  # s3:Replication:OperationFailedReplication, in the same transaction


def _refresh_version_status(tx: Tx, task: Task) -> None:
    """A version is FAILED if any destination failed, PENDING while any is owed, else done."""
    statuses = {
        row[0]
        for row in tx.execute(
            "SELECT status FROM replication_tasks WHERE bucket = ? AND key = ? AND version_id = ?",
            (task.bucket, task.key, task.version_id),
        )
    }
    if TaskStatus.FAILED in statuses:
        status = ReplicationStatus.FAILED
    elif TaskStatus.PENDING in statuses:
        status = ReplicationStatus.PENDING
    else:
        status = ReplicationStatus.REPLICA if task.on_replica else ReplicationStatus.COMPLETED
    set_replication_status(
        tx, bucket=task.bucket, key=task.key, version_id=task.version_id, status=status
    )


def retry_now(tx: Tx, *, destination_buckets: Iterable[str], reason: str, now_ms: int) -> int:
    """Make the tasks waiting out `reason` for these destination buckets due now (their
    destination is back: the rest of the backoff would only delay them). Returns how many."""
    buckets = sorted(set(destination_buckets))
    if not buckets:
        return 0
    marks = ", ".join("?" * len(buckets))
    return TASKS.make_due(
        tx,
        now_ms=now_ms,
        where=f"failure_reason = ? AND destination_bucket IN ({marks})",
        params=(reason, *buckets),
    )


def count_tasks(tx: Tx, status: TaskStatus) -> int:
    row = tx.execute(
        "SELECT COUNT(*) FROM replication_tasks WHERE status = ?", (status.value,)
    ).fetchone()
    return int(row[0])
