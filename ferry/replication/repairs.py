"""Repairs `ferry verify --repair` asks for: one replication task per (source version,
destination) it found missing or different, in the engine's own task queue, so the workers,
the retry policy and the failure store treat it as any other task.

A repair names the version and the destination only; the rule, the operation and the storage
class come from the source bucket's configuration as it is now (`rules.destinations_for`), as
the planner would decide for that version. A repair the rules do not allow is refused with
its reason rather than queued.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ferry.core.clock import Clock, epoch_ms
from ferry.replication.rules import destinations_for
from ferry.replication.tasks import (
    Operation,
    enqueue_task,
    is_task_owed,
    supersede_failed_task,
)
from ferry.store import (
    Database,
    ReplicationStatus,
    Tx,
    fetch_replication_configuration,
    fetch_version,
    set_replication_status,
)
from ferry.store.records import is_sse_kms

MAX_REPAIRS_PER_REQUEST = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class RepairRequest:
    key: str
    version_id: str
    destination_bucket: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RepairOutcome:
    request: RepairRequest
    queued: bool
    rule_id: str | None = None
    operation: Operation | None = None
    reason: str = ""  # why it was not queued


class RepairQueue:
    def __init__(self, db: Database, clock: Clock, on_enqueue: Callable[[], None]) -> None:
        self._db = db
        self._clock = clock
        self._on_enqueue = on_enqueue

    async def enqueue(self, bucket: str, requests: Sequence[RepairRequest]) -> list[RepairOutcome]:
        """One transaction for all of them: a repair is queued whole or not at all."""
        now_ms = epoch_ms(self._clock.now())
        outcomes = await self._db.write(
            lambda tx: [enqueue_repair(tx, bucket, r, now_ms=now_ms) for r in requests]
        )
        if any(o.queued for o in outcomes):
            self._on_enqueue()
        return outcomes


def enqueue_repair(tx: Tx, bucket: str, request: RepairRequest, *, now_ms: int) -> RepairOutcome:
    config = fetch_replication_configuration(tx, bucket)
    if config is None:
        return RepairOutcome(
            request=request, queued=False, reason="SrcBucketReplicationConfigMissing"
        )
    version = fetch_version(tx, bucket, request.key, request.version_id, with_body=False)
    if version is None:
        return RepairOutcome(request=request, queued=False, reason="SrcVersionNotFound")
    if version.attrs.replication_status is ReplicationStatus.REPLICA:
        return RepairOutcome(request=request, queued=False, reason="SrcObjectIsReplica")
    targets = destinations_for(
        config, key=version.key, tags=dict(version.attrs.tags),
        is_delete_marker=version.is_delete_marker, storage_class=version.attrs.storage_class,
        sse_kms=is_sse_kms(version.attrs.encryption),
    )  # fmt: skip
    target = next((t for t in targets if t.bucket == request.destination_bucket), None)
    if target is None:
        return RepairOutcome(request=request, queued=False, reason="SrcObjectNotEligible")
    operation = Operation.DELETE_MARKER if version.is_delete_marker else Operation.OBJECT
    task = {"bucket": bucket, "key": version.key, "version_id": version.version_id,
            "destination_bucket": target.bucket}  # fmt: skip
    if is_task_owed(tx, **task):
        return RepairOutcome(request=request, queued=False, rule_id=target.rule_id,
                             operation=operation, reason="AlreadyQueued")  # fmt: skip
    # A FAILED task the version left for this destination is superseded by the repair (its
    # failure record resolves when the repair succeeds), as a batch job's entry does.
    supersede_failed_task(tx, **task)
    enqueue_task(
        tx, bucket=bucket, key=version.key, version_id=version.version_id,
        destination_bucket=target.bucket, operation=operation, rule_id=target.rule_id,
        storage_class=target.storage_class, on_replica=False, now_ms=now_ms,
        size_bytes=version.size,
    )  # fmt: skip
    set_replication_status(
        tx, bucket=bucket, key=version.key, version_id=version.version_id,
        status=ReplicationStatus.PENDING,
    )  # fmt: skip
    return RepairOutcome(request=request, queued=True, rule_id=target.rule_id, operation=operation)
