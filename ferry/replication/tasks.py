"""Replication tasks: what the engine still owes, durably, in the region's database.

Every function takes the transaction it runs in: the planner enqueues inside the write that
committed the version; a worker's outcome (finish, reschedule, fail) and the version's status
change commit together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from ferry.events import publish_replication_failure
from ferry.replication.failures import FailureState, record_failure, resolve_failure
from ferry.store import ReplicationStatus, Tx, set_replication_status


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


_COLUMNS = (
    "task_id, bucket, key, version_id, operation, rule_id, destination_bucket, storage_class, "
    "on_replica, attempts, created_ms"
)


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
) -> None:
    """`job_id` tags a task a batch replication job owes (None: live replication)."""
    tx.execute(
        "INSERT INTO replication_tasks (bucket, key, version_id, operation, rule_id, "
        "destination_bucket, storage_class, on_replica, status, created_ms, due_ms, job_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?)",
        (bucket, key, version_id, operation.value, rule_id, destination_bucket, storage_class,
         int(on_replica), now_ms, now_ms, job_id),
    )  # fmt: skip


def claim_due_tasks(tx: Tx, *, now_ms: int, limit: int, lease_ms: int) -> list[Task]:
    """Due, unleased tasks whose key has no earlier task still pending for the same
    destination: a delete marker never overtakes the version it covers. Claimed tasks are
    leased, so a worker that dies releases them when the lease runs out.

    Live tasks (job_id NULL) and batch-job tasks are claimed separately; when both are due,
    batch work gets at most half of the slots (rounded down), so a large job never starves
    live replication, and takes whatever live work leaves free."""
    live = _due(tx, "t.job_id IS NULL", now_ms=now_ms, limit=limit)
    batch = _due(tx, "t.job_id IS NOT NULL", now_ms=now_ms, limit=limit)
    live_share = min(len(live), limit - min(len(batch), limit // 2))
    rows = live[:live_share] + batch[: limit - live_share]
    tasks = [_task(r) for r in rows]
    tx.executemany(
        "UPDATE replication_tasks SET leased_until_ms = ?, attempts = attempts + 1, "
        "last_attempt_ms = ? WHERE task_id = ?",
        [(now_ms + lease_ms, now_ms, t.task_id) for t in tasks],
    )
    return [replace(t, attempts=t.attempts + 1) for t in tasks]  # the attempt now under way


def _due(tx: Tx, kind: str, *, now_ms: int, limit: int) -> list[Any]:
    return tx.execute(
        f"SELECT {_COLUMNS} FROM replication_tasks t "
        f"WHERE t.status = 'PENDING' AND t.due_ms <= ? AND t.leased_until_ms <= ? AND {kind} "
        "AND NOT EXISTS (SELECT 1 FROM replication_tasks e WHERE e.bucket = t.bucket "
        "  AND e.key = t.key AND e.destination_bucket = t.destination_bucket "
        "  AND e.task_id < t.task_id AND e.status = 'PENDING') "
        "ORDER BY t.due_ms, t.task_id LIMIT ?",
        (now_ms, now_ms, limit),
    ).fetchall()


def finish_task(tx: Tx, task: Task, *, now_ms: int | None = None) -> None:
    tx.execute("DELETE FROM replication_tasks WHERE task_id = ?", (task.task_id,))
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
    tx.execute(
        "UPDATE replication_tasks SET due_ms = ?, leased_until_ms = 0, failure_reason = ?, "
        "last_error = ?, first_failure_ms = COALESCE(first_failure_ms, ?) WHERE task_id = ?",
        (due_ms, reason, message, now_ms, task.task_id),
    )
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
    tx.execute(
        "UPDATE replication_tasks SET status = 'FAILED', leased_until_ms = 0, "
        "failure_reason = ?, last_error = ?, first_failure_ms = COALESCE(first_failure_ms, ?) "
        "WHERE task_id = ?",
        (reason, message, now_ms, task.task_id),
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
    marks = ", ".join("?" * len(buckets))
    cursor = tx.execute(
        "UPDATE replication_tasks SET due_ms = ? WHERE status = 'PENDING' AND due_ms > ? "
        f"AND failure_reason = ? AND destination_bucket IN ({marks})",
        (now_ms, now_ms, reason, *buckets),
    )
    return int(cursor.rowcount)


def count_tasks(tx: Tx, status: TaskStatus) -> int:
    row = tx.execute(
        "SELECT COUNT(*) FROM replication_tasks WHERE status = ?", (status.value,)
    ).fetchone()
    return int(row[0])
