"""Replication metrics, read exactly from the region's database: per (source bucket, rule,
destination bucket) the counts the migration's triggers keep in the transactions that change
tasks and failure records (`replication_metrics`), the latency histogram
(`replication.latencies`), and the age of the oldest pending task; and the batch jobs still
running, with their progress. Read at once in one transaction, so a snapshot is consistent.
Nothing here is sampled or kept in memory: every process of a region reports the same."""

from __future__ import annotations

from dataclasses import dataclass, field

from ferry.core.clock import Clock, epoch_ms
from ferry.replication.jobs import TERMINAL
from ferry.replication.latencies import LatencyHistogram, merge, read_histograms
from ferry.store import Database, Tx

_EMPTY = LatencyHistogram(counts={}, sum_ms=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesMetrics:
    """One (bucket, rule, destination)'s replication, as AWS's replication metrics name it."""

    bucket: str
    rule_id: str
    destination_bucket: str
    pending_ops: int = 0  # OperationsPendingReplication
    pending_bytes: int = 0  # BytesPendingReplication
    failed_ops: int = 0  # OperationsFailedReplication (failed now, not ever)
    replicated_ops: int = 0
    replicated_bytes: int = 0
    rtc_tracked: int = 0  # operations tracked by Replication Time Control
    rtc_missed: int = 0  # of which missed the threshold
    oldest_pending_s: float | None = None
    latency: LatencyHistogram = field(default_factory=lambda: _EMPTY)  # ReplicationLatency

    @property
    def rtc_miss_rate(self) -> float | None:
        return self.rtc_missed / self.rtc_tracked if self.rtc_tracked else None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobProgress:
    job_id: str
    status: str
    total: int
    succeeded: int
    failed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricsSnapshot:
    series: list[SeriesMetrics]
    jobs: list[JobProgress]  # batch jobs not yet terminated

    @property
    def pending_ops(self) -> int:
        """The replication queue's depth: every task still owed."""
        return sum(s.pending_ops for s in self.series)


def per_rule(series: list[SeriesMetrics]) -> list[SeriesMetrics]:
    """The series summed per (bucket, rule), destination ""."""
    grouped: dict[tuple[str, str], list[SeriesMetrics]] = {}
    for s in series:
        grouped.setdefault((s.bucket, s.rule_id), []).append(s)
    rows = []
    for (bucket, rule_id), parts in sorted(grouped.items()):
        ages = [p.oldest_pending_s for p in parts if p.oldest_pending_s is not None]
        rows.append(
            SeriesMetrics(
                bucket=bucket, rule_id=rule_id, destination_bucket="",
                pending_ops=sum(p.pending_ops for p in parts),
                pending_bytes=sum(p.pending_bytes for p in parts),
                failed_ops=sum(p.failed_ops for p in parts),
                replicated_ops=sum(p.replicated_ops for p in parts),
                replicated_bytes=sum(p.replicated_bytes for p in parts),
                rtc_tracked=sum(p.rtc_tracked for p in parts),
                rtc_missed=sum(p.rtc_missed for p in parts),
                oldest_pending_s=max(ages) if ages else None,
                latency=merge([p.latency for p in parts]),
            )
        )  # fmt: skip
    return rows


class ReplicationMetrics:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def snapshot(self, bucket: str | None = None) -> MetricsSnapshot:
        """Every series of the region (of one source bucket, when given)."""
        now_ms = epoch_ms(self._clock.now())
        return await self._db.read(lambda tx: read_snapshot(tx, bucket, now_ms=now_ms))


def read_snapshot(tx: Tx, bucket: str | None, *, now_ms: int) -> MetricsSnapshot:
    where, params = ("AND bucket = ?", (bucket,)) if bucket is not None else ("", ())
    oldest = {
        (row[0], row[1], row[2]): int(row[3])
        for row in tx.execute(
            "SELECT bucket, rule_id, destination_bucket, MIN(created_ms) FROM replication_tasks "
            f"WHERE status = 'PENDING' {where} GROUP BY bucket, rule_id, destination_bucket",
            params,
        )
    }
    histograms = read_histograms(tx, bucket)
    series = []
    for row in tx.execute(
        "SELECT bucket, rule_id, destination_bucket, pending_ops, pending_bytes, failed_ops, "
        "replicated_ops, replicated_bytes, rtc_tracked, rtc_missed FROM replication_metrics "
        f"WHERE 1 = 1 {where} ORDER BY bucket, rule_id, destination_bucket",
        params,
    ):
        key = (row[0], row[1], row[2])
        created = oldest.get(key)
        series.append(
            SeriesMetrics(
                bucket=row[0], rule_id=row[1], destination_bucket=row[2],
                pending_ops=int(row[3]), pending_bytes=int(row[4]), failed_ops=int(row[5]),
                replicated_ops=int(row[6]), replicated_bytes=int(row[7]),
                rtc_tracked=int(row[8]), rtc_missed=int(row[9]),
                oldest_pending_s=None if created is None else max(0, now_ms - created) / 1000,
                latency=histograms.get(key, _EMPTY),
            )
        )  # fmt: skip
    terminal = ", ".join(f"'{status.value}'" for status in sorted(TERMINAL))
    jobs = [
        JobProgress(
            job_id=row[0],
            status=row[1],
            total=int(row[2]),
            succeeded=int(row[3]),
            failed=int(row[4]),
        )
        for row in tx.execute(
            "SELECT job_id, status, total, succeeded, failed FROM batch_jobs "
            f"WHERE status NOT IN ({terminal}) ORDER BY job_id"
        )
    ]
    return MetricsSnapshot(series=series, jobs=jobs)
