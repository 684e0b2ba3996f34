"""The durable outbox: events are written in the transaction that causes them, one row per
(event, target), and `delivery.py` sends them later (at least once).

`EventOutbox` is a VersionHook (ObjectCreated / ObjectRemoved events) and
`publish_replication_failure` is called by the replication engine inside the transaction that
marks a task FAILED, so neither a write nor a failure can commit without its events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ferry.core.clock import Clock, epoch_ms, from_epoch_ms
from ferry.events.config import BucketNotifications, ConfigurationCache, matching_targets
from ferry.events.records import (
    S3_PRINCIPAL,
    EventSource,
    ObjectInfo,
    ReplicationData,
    render_message,
    render_record,
)
from ferry.store import Database, Queue, Tx, Version, fetch_version
from ferry.store.hooks import WriteOrigin

# Ferry's replication operations (`replication.tasks.Operation`) as `s3Operation` values.
S3_OPERATIONS = {
    "OBJECT": "OBJECT_PUT",
    "DELETE_MARKER": "DELETE_MARKER_PUT",
    "METADATA": "OBJECT_METADATA_PUT",
}
FAILED_REPLICATION = "s3:Replication:OperationFailedReplication"
# Replication Time Control (docs/operations.md): published by replication.rtc.
MISSED_THRESHOLD = "s3:Replication:OperationMissedThreshold"
REPLICATED_AFTER_THRESHOLD = "s3:Replication:OperationReplicatedAfterThreshold"
NOT_TRACKED = "s3:Replication:OperationNotTracked"
MAX_ERROR_CHARS = 1000  # of a failed delivery's error, kept on its row
# No dead letter: an event waits (backing off) until its target takes it, or an operator
# removes the target.
OUTBOX = Queue(
    table="event_outbox",
    ids=("event_id",),
    columns=(
        "event_id", "target_arn", "bucket", "event_name", "payload", "created_ms", "attempts",
        "last_error",
    ),
    order=("event_id",),  # oldest first: a target receives its events in order
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxEvent:
    event_id: int
    target_arn: str
    bucket: str
    event_name: str
    payload: str
    created_ms: int
    attempts: int
    last_error: str | None


def lifecycle_event_name(old: Version | None, new: Version | None) -> str | None:
    """The S3 event a change made by lifecycle rules is."""
    if new is None:
        return "s3:LifecycleExpiration:Delete" if old is not None else None
    if old is not None and old.seq == new.seq:
        return "s3:LifecycleTransition"
    return "s3:LifecycleExpiration:DeleteMarkerCreated" if new.is_delete_marker else None


def object_event_name(old: Version | None, new: Version | None) -> str | None:
    """The S3 event a version change is, or None (metadata changes send none here)."""
    if new is None:
        return "s3:ObjectRemoved:Delete" if old is not None else None
    if old is not None and old.seq == new.seq:
        return None
    if new.is_delete_marker:
        return "s3:ObjectRemoved:DeleteMarkerCreated"
    if new.attrs.parts:
        return "s3:ObjectCreated:CompleteMultipartUpload"
    return "s3:ObjectCreated:Put"


class EventOutbox:
    """VersionHook: a committed version → one outbox row per matching configuration."""

    def __init__(self, clock: Clock, on_enqueue: Callable[[], None] | None = None) -> None:
        self._clock = clock
        self._on_enqueue = on_enqueue
        self._cache = ConfigurationCache()

    def on_commit(
        self, tx: Tx, old: Version | None, new: Version | None, origin: WriteOrigin
    ) -> None:
        lifecycle = origin is WriteOrigin.LIFECYCLE
        event_name = lifecycle_event_name(old, new) if lifecycle else object_event_name(old, new)
        version = new or old
        if event_name is None or version is None:
            return
        found = self._cache.load(tx, version.bucket)
        if found is None:
            return
        created = event_name.startswith(("s3:ObjectCreated:", "s3:LifecycleTransition"))
        obj = ObjectInfo(
            key=version.key,
            version_id=None if version.version_id == "null" else version.version_id,
            sequencer=version.seq,
            size=version.size if created else None,
            etag=version.etag if created else None,
        )
        now = self._clock.now()
        source = EventSource(
            region=found.region, bucket=version.bucket, owner_id=found.owner_id, time=now
        )
        principal = S3_PRINCIPAL if origin is not WriteOrigin.CLIENT else version.owner_id
        if enqueue_event(tx, found, event_name, source, obj, principal, None) and self._on_enqueue:
            self._on_enqueue()


def enqueue_event(
    tx: Tx,
    found: BucketNotifications,
    event_name: str,
    source: EventSource,
    obj: ObjectInfo,
    principal_id: str,
    replication: ReplicationData | None,
) -> int:
    """One row per matching configuration; returns how many."""
    now_ms = epoch_ms(source.time)
    rows = []
    for match in matching_targets(found.config, event_name, obj.key):
        record = render_record(
            event_name=event_name.removeprefix("s3:"),
            source=source,
            obj=obj,
            configuration_id=match.configuration_id,
            principal_id=principal_id,
            replication=replication,
        )
        rows.append(
            {
                "target_arn": match.arn, "bucket": source.bucket, "event_name": event_name,
                "payload": render_message(record), "created_ms": now_ms,
            }
        )  # fmt: skip
    OUTBOX.enqueue(tx, rows, due_ms=now_ms)
    return len(rows)


def publish_replication_failure(
    tx: Tx,
    *,
    bucket: str,
    key: str,
    version_id: str,
    operation: str,
    rule_id: str,
    destination_bucket: str,
    reason: str,
    requested_ms: int,
    now_ms: int,
) -> int:
    """`s3:Replication:OperationFailedReplication`, inside the transaction that records the
    failure. Returns how many outbox rows it wrote."""
    return publish_replication_event(
        tx, FAILED_REPLICATION, bucket=bucket, key=key, version_id=version_id,
        operation=operation, rule_id=rule_id, destination_bucket=destination_bucket,
        reason=reason, requested_ms=requested_ms, now_ms=now_ms,
    )  # fmt: skip


def publish_replication_event(
    tx: Tx,
    event_name: str,
    *,
    bucket: str,
    key: str,
    version_id: str,
    operation: str,
    rule_id: str,
    destination_bucket: str,
    requested_ms: int,
    now_ms: int,
    reason: str | None = None,
) -> int:
    """An `s3:Replication:*` event for one replication operation, inside the transaction that
    decides it (a failure, a missed threshold…). Returns how many outbox rows it wrote."""
    found = ConfigurationCache().load(tx, bucket)
    if found is None:
        return 0
    version = fetch_version(tx, bucket, key, version_id, with_body=False)
    obj = ObjectInfo(
        key=key,
        version_id=None if version_id == "null" else version_id,
        sequencer=version.seq if version else 0,
        size=version.size if version else None,
        etag=version.etag if version else None,
    )
    source = EventSource(
        region=found.region, bucket=bucket, owner_id=found.owner_id, time=from_epoch_ms(now_ms)
    )
    data = ReplicationData(
        rule_id=rule_id,
        destination_bucket=destination_bucket,
        s3_operation=S3_OPERATIONS.get(operation, operation),
        request_time=from_epoch_ms(requested_ms),
        failure_reason=reason,
    )
    return enqueue_event(tx, found, event_name, source, obj, S3_PRINCIPAL, data)


def _event(row: Any) -> OutboxEvent:
    return OutboxEvent(
        event_id=row[0], target_arn=row[1], bucket=row[2], event_name=row[3], payload=row[4],
        created_ms=row[5], attempts=row[6], last_error=row[7],
    )  # fmt: skip


def has_due_events(tx: Tx, *, now_ms: int) -> bool:
    return OUTBOX.has_due(tx, now_ms=now_ms)


def claim_due_events(tx: Tx, *, now_ms: int, limit: int, lease_ms: int) -> list[OutboxEvent]:
    """Oldest first; an event's attempts count the delivery now under way."""
    rows = OUTBOX.claim(tx, now_ms=now_ms, limit=limit, lease_ms=lease_ms)
    return [_event(r) for r in rows]


def mark_delivered(tx: Tx, event_ids: list[int]) -> None:
    OUTBOX.complete(tx, event_ids)


def reschedule_events(
    tx: Tx, event_ids: list[int], *, due_ms: int, now_ms: int, error: str
) -> None:
    OUTBOX.reschedule(tx, event_ids, due_ms=due_ms, now_ms=now_ms, error=error[:MAX_ERROR_CHARS])


def list_outbox(tx: Tx, *, limit: int) -> tuple[dict[str, int], list[OutboxEvent]]:
    """Undelivered events: counts per target, and the oldest `limit` of them."""
    counts = {
        str(r[0]): int(r[1])
        for r in tx.execute("SELECT target_arn, COUNT(*) FROM event_outbox GROUP BY target_arn")
    }
    rows = tx.execute(
        f"SELECT {', '.join(OUTBOX.columns)} FROM event_outbox ORDER BY event_id LIMIT ?",
        (limit,),
    ).fetchall()
    return counts, [_event(r) for r in rows]


class Outbox:
    """Read-only view of the region's outbox, for operators (`GET /_ferry/events/outbox`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def pending(self, limit: int) -> tuple[dict[str, int], list[OutboxEvent]]:
        return await self._db.read(lambda tx: list_outbox(tx, limit=limit))
