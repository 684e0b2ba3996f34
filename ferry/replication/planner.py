"""The planner: a VersionHook that turns a committed version into replication tasks.

It runs inside the transaction that commits the version (Garage `updated(tx, old, new)`), so a
crash can lose neither the write nor the tasks it owes. The version's status becomes PENDING in
that same transaction. Replicas and changes applied by replication are never planned again:
that is what keeps two-way replication from looping.
"""

from __future__ import annotations

from collections.abc import Callable

from ferry.core.clock import Clock, epoch_ms
from ferry.protocol.xml.replication import ReplicationConfiguration
from ferry.replication.rtc import RTC_THRESHOLD_S
from ferry.replication.rules import ReplicationTarget, destinations_for
from ferry.replication.tasks import Operation, enqueue_task
from ferry.store import (
    ReplicationStatus,
    Tx,
    Version,
    fetch_replication_configuration,
    set_replication_status,
)
from ferry.store.hooks import WriteOrigin
from ferry.store.records import is_sse_kms


class ReplicationPlanner:
    def __init__(
        self,
        clock: Clock,
        on_enqueue: Callable[[], None] | None = None,
        *,
        rtc_threshold_s: float = RTC_THRESHOLD_S,
    ) -> None:
        self._clock = clock
        self._on_enqueue = on_enqueue
        self._rtc_threshold_ms = int(rtc_threshold_s * 1000)

    def on_commit(
        self, tx: Tx, old: Version | None, new: Version | None, origin: WriteOrigin
    ) -> None:
        if origin is not WriteOrigin.CLIENT or new is None:
            # replica writes, and deletes of a specific version, are never replicated; nor
            # are lifecycle's changes (AWS: its delete markers stay in the source bucket)
            return
        config = fetch_replication_configuration(tx, new.bucket)
        if config is None:
            return
        if old is not None and old.seq == new.seq:
            targets = self._metadata_targets(config, old, new)
            operation = Operation.METADATA
        else:
            if new.attrs.replication_status is ReplicationStatus.REPLICA:
                return
            targets = self._targets(config, new, new)
            operation = Operation.DELETE_MARKER if new.is_delete_marker else Operation.OBJECT
        if not targets:
            return
        now_ms = epoch_ms(self._clock.now())
        on_replica = new.attrs.replication_status is ReplicationStatus.REPLICA
        size = new.size if operation is Operation.OBJECT else 0  # metadata and markers: no data
        for target in targets:
            tracked = target.replication_time and target.metrics  # AWS requires both for RTC
            enqueue_task(
                tx,
                bucket=new.bucket,
                key=new.key,
                version_id=new.version_id,
                operation=operation,
                rule_id=target.rule_id,
                destination_bucket=target.bucket,
                storage_class=target.storage_class,
                on_replica=on_replica,
                now_ms=now_ms,
                size_bytes=size,
                rtc_deadline_ms=now_ms + self._rtc_threshold_ms if tracked else None,
            )
        set_replication_status(
            tx,
            bucket=new.bucket,
            key=new.key,
            version_id=new.version_id,
            status=ReplicationStatus.PENDING,
        )
        if self._on_enqueue is not None:
            self._on_enqueue()

    def _targets(
        self, config: ReplicationConfiguration, judged: Version, new: Version
    ) -> list[ReplicationTarget]:
        # Filters are judged on the version as it was created (AWS: adding a matching tag
        # later does not trigger replication).
        return destinations_for(
            config,
            key=judged.key,
            tags=dict(judged.attrs.tags),
            is_delete_marker=new.is_delete_marker,
            storage_class=judged.attrs.storage_class,
            sse_kms=is_sse_kms(judged.attrs.encryption),  # opt-in: SseKmsEncryptedObjects
        )

    def _metadata_targets(
        self, config: ReplicationConfiguration, old: Version, new: Version
    ) -> list[ReplicationTarget]:
        """Tags/ACL changed on one version: send the change where the version went."""
        status = old.attrs.replication_status
        if status is None or new.is_delete_marker:
            return []  # never eligible: nothing to keep in sync
        targets = self._targets(config, old, new)
        if status is ReplicationStatus.REPLICA:
            # Replica modification sync: only back along rules that ask for it.
            return [t for t in targets if t.replica_modifications]
        return targets
