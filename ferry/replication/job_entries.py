"""A job's manifest entries and the replication tasks they become.

Each function runs inside the transaction the job runner gives it, which is what makes a job
checkpointed: an entry turns RUNNING in the transaction that enqueues its tasks, and
SUCCEEDED/FAILED in the one that adds it to the job's counters. Tasks are the engine's own
(`enqueue_task`, tagged with the job); a completed task's row is deleted by the worker, a
failed one stays FAILED with its reason, so an entry whose tasks are all gone succeeded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ferry.replication.manifest import ManifestEntry
from ferry.replication.retry import FailureReason
from ferry.replication.rules import destinations_for
from ferry.replication.tasks import Operation, enqueue_task, supersede_failed_task
from ferry.store import (
    Queue,
    ReplicationStatus,
    Tx,
    fetch_latest,
    fetch_replication_configuration,
    fetch_version,
    find_bucket_state,
    set_replication_status,
)
from ferry.store.records import is_sse_kms

# Per job: how far ahead of the workers a job enqueues. The runner tops it up every JOB_POLL_S,
# so this bounds a job's rate (512 per 0.2 s); enough that batched workers rarely wait for it.
MAX_RUNNING_ENTRIES = 512
_NOT_FOUND_REASONS = frozenset({"SrcObjectNotFound", "SrcVersionNotFound", "SrcBucketNotFound"})


class EntryStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryOutcome:
    """One finished entry, as the completion report shows it."""

    bucket: str
    key: str
    version_id: str | None
    succeeded: bool
    http_status: int
    error_code: str
    message: str


# A job's entries are a queue without leases or due times: the runner claims QUEUED entries
# (RUNNING) in the transaction that enqueues their tasks, and an entry stays claimed, across
# restarts, until its tasks are over (the checkpoint); SUCCEEDED entries are kept for the
# completion report, FAILED ones are its dead letters.
ENTRIES = Queue(
    table="batch_job_entries",
    ids=("job_id", "seq"),
    columns=("seq", "bucket", "key", "version_id"),
    order=("seq",),
    due=None,
    lease=None,
    attempts=None,
    last_attempt=None,
    error="message",
    status="status",
    pending=EntryStatus.QUEUED.value,
    claimed=EntryStatus.RUNNING.value,
    done=EntryStatus.SUCCEEDED.value,
    dead=EntryStatus.FAILED.value,
)


def insert_entries(tx: Tx, job_id: str, entries: Sequence[ManifestEntry]) -> None:
    rows = [
        {"job_id": job_id, "seq": n, "bucket": e.bucket, "key": e.key, "version_id": e.version_id}
        for n, e in enumerate(entries)
    ]
    ENTRIES.enqueue(tx, rows)


def count_entries(tx: Tx, job_id: str, status: EntryStatus) -> int:
    row = tx.execute(
        "SELECT COUNT(*) FROM batch_job_entries WHERE job_id = ? AND status = ?",
        (job_id, status.value),
    ).fetchone()
    return int(row[0])


# (bucket, key) → why the job's role may not replicate it, as (reason, message); None: it may
EntryJudge = Callable[[str, str], tuple[str, str] | None]


def enqueue_entries(
    tx: Tx, job_id: str, *, now_ms: int, judge: EntryJudge | None = None
) -> tuple[int, int]:
    """Start QUEUED entries until MAX_RUNNING_ENTRIES run. Returns (started, failed at once):
    an entry the job's role may not replicate (`judge`), or whose version is missing or not
    eligible, fails without a task."""
    room = MAX_RUNNING_ENTRIES - count_entries(tx, job_id, EntryStatus.RUNNING)
    if room <= 0:
        return 0, 0
    rows = ENTRIES.claim(tx, now_ms=now_ms, limit=room, where="t.job_id = ?", params=(job_id,))
    failed = 0
    for seq, bucket, key, version_id in rows:
        refusal = judge(bucket, key) if judge is not None else None
        if refusal is None:
            refusal = _start_entry(tx, job_id, seq, bucket, key, version_id, now_ms=now_ms)
        if refusal is not None:
            failed += 1
            code, message = refusal
            _finish_entry(tx, job_id, seq, succeeded=False, code=code, message=message)
    if failed:
        tx.execute("UPDATE batch_jobs SET failed = failed + ? WHERE job_id = ?", (failed, job_id))
    return len(rows), failed


def _start_entry(
    tx: Tx, job_id: str, seq: int, bucket: str, key: str, version_id: str | None, *, now_ms: int
) -> tuple[str, str] | None:
    """Enqueue the entry's tasks; or (reason, message) when it cannot replicate."""
    config = fetch_replication_configuration(tx, bucket)
    if config is None:
        if find_bucket_state(tx, bucket) is None:
            return FailureReason.SrcBucketNotFound.value, f"Bucket {bucket} is not in this region."
        return "SrcBucketReplicationConfigMissing", "The source bucket has no replication rules."
    version = (
        fetch_latest(tx, bucket, key, with_body=False)
        if version_id is None
        else fetch_version(tx, bucket, key, version_id, with_body=False)
    )
    if version is None:
        reason = "SrcVersionNotFound" if version_id is not None else "SrcObjectNotFound"
        return reason, "The source version does not exist."
    found_version, marker = version.version_id, version.is_delete_marker
    status = version.attrs.replication_status
    targets = destinations_for(
        config, key=key, tags=dict(version.attrs.tags), is_delete_marker=marker,
        storage_class=version.attrs.storage_class, sse_kms=is_sse_kms(version.attrs.encryption),
    )  # fmt: skip
    if not targets:
        return "SrcObjectNotEligible", "No enabled replication rule selects this version."
    for target in targets:
        supersede_failed_task(  # the job's new attempt takes the FAILED task's place
            tx, bucket=bucket, key=key, version_id=found_version, destination_bucket=target.bucket
        )
        enqueue_task(
            tx, bucket=bucket, key=key, version_id=found_version,
            operation=Operation.DELETE_MARKER if marker else Operation.OBJECT,
            rule_id=target.rule_id, destination_bucket=target.bucket,
            storage_class=target.storage_class,
            on_replica=status is ReplicationStatus.REPLICA, now_ms=now_ms,
            job_id=job_id, size_bytes=version.size,
        )  # fmt: skip
    if status is not ReplicationStatus.REPLICA:
        set_replication_status(
            tx, bucket=bucket, key=key, version_id=found_version,
            status=ReplicationStatus.PENDING,
        )  # fmt: skip
    if version_id is None:  # the report names the version the job replicated
        tx.execute(
            "UPDATE batch_job_entries SET version_id = ? WHERE job_id = ? AND seq = ?",
            (found_version, job_id, seq),
        )
    return None


def _finish_entry(
    tx: Tx, job_id: str, seq: int, *, succeeded: bool, code: str = "", message: str = ""
) -> None:
    http = 200 if succeeded else (404 if code in _NOT_FOUND_REASONS else 400)
    fields = {"http_status": http, "error_code": code or None, "message": message or None}
    if succeeded:
        ENTRIES.complete(tx, [(job_id, seq)], fields=fields)
    else:
        ENTRIES.dead_letter(tx, [(job_id, seq)], fields=fields)


def settle_entries(tx: Tx, job_id: str) -> tuple[int, int]:
    """Count RUNNING entries whose tasks are over. Returns (succeeded, failed) just settled."""
    running = tx.execute(
        "SELECT seq, bucket, key, version_id FROM batch_job_entries "
        "WHERE job_id = ? AND status = 'RUNNING'",
        (job_id,),
    ).fetchall()
    if not running:
        return 0, 0
    owed: dict[tuple[str, str, str], tuple[int, int, str, str]] = {}
    for bucket, key, version_id, pending, failed, reason, error in tx.execute(
        "SELECT bucket, key, version_id, SUM(CASE WHEN status = 'PENDING' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END), "
        "MAX(failure_reason), MAX(last_error) FROM replication_tasks WHERE job_id = ? "
        "GROUP BY bucket, key, version_id",
        (job_id,),
    ):
        owed[(bucket, key, version_id)] = (pending, failed, reason or "", error or "")
    succeeded = failed_now = 0
    for seq, bucket, key, version_id in running:
        pending, failed, reason, error = owed.get((bucket, key, version_id), (0, 0, "", ""))
        if pending:
            continue
        if failed:
            failed_now += 1
            _finish_entry(tx, job_id, seq, succeeded=False, code=reason, message=error)
        else:
            succeeded += 1
            _finish_entry(tx, job_id, seq, succeeded=True, message="Successful")
    tx.execute(
        "UPDATE batch_jobs SET succeeded = succeeded + ?, failed = failed + ? WHERE job_id = ?",
        (succeeded, failed_now, job_id),
    )
    return succeeded, failed_now


def entry_outcomes(tx: Tx, job_id: str, *, failed_only: bool) -> list[EntryOutcome]:
    wanted = "('FAILED')" if failed_only else "('SUCCEEDED', 'FAILED')"
    rows = tx.execute(
        "SELECT bucket, key, version_id, status, http_status, error_code, message "
        f"FROM batch_job_entries WHERE job_id = ? AND status IN {wanted} ORDER BY seq",
        (job_id,),
    ).fetchall()
    return [
        EntryOutcome(
            bucket=r[0],
            key=r[1],
            version_id=r[2],
            succeeded=r[3] == EntryStatus.SUCCEEDED,
            http_status=r[4] or 0,
            error_code=r[5] or "",
            message=r[6] or "",
        )
        for r in rows
    ]
