"""Replication latency: from the version's commit (its task's creation) to the replica's
acknowledgement, per (source bucket, rule, destination bucket), as a histogram in the region's
database (`replication_latency`, migration 0011). The worker records a latency in the
transaction that finishes the task, so the histogram is exact and shared by every process of
the region (`ferry serve` nodes and `ferry worker`s alike); quantiles are read off it.

On PostgreSQL each backend adds to its own slot of a bucket (see the migration); the
`replication_latency` view sums them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ferry.store import POSTGRESQL, Tx

# Upper bounds of the histogram's buckets, in ms (Prometheus' `le`); the last is +Inf.
LATENCY_BOUNDS_MS: tuple[int, ...] = (
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000,
    900_000, 1_800_000, 3_600_000, 21_600_000,
)  # fmt: skip
INFINITY_MS = 2**62  # the +Inf bucket's bound as stored

_SLOTTED = (
    "INSERT INTO replication_latency_slots (bucket, rule_id, destination_bucket, le_ms, slot, "
    "count, sum_ms) VALUES (?, ?, ?, ?, pg_backend_pid() % 64, 1, ?) "
    "ON CONFLICT (bucket, rule_id, destination_bucket, le_ms, slot) DO UPDATE "
    "SET count = replication_latency_slots.count + 1, "
    "sum_ms = replication_latency_slots.sum_ms + EXCLUDED.sum_ms"
)
_PLAIN = (
    "INSERT INTO replication_latency (bucket, rule_id, destination_bucket, le_ms, count, sum_ms) "
    "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (bucket, rule_id, destination_bucket, le_ms) "
    "DO UPDATE SET count = count + 1, sum_ms = sum_ms + excluded.sum_ms"
)


def bound_for(latency_ms: int) -> int:
    return next((b for b in LATENCY_BOUNDS_MS if latency_ms <= b), INFINITY_MS)


def record_latency(
    tx: Tx, *, bucket: str, rule_id: str, destination_bucket: str, latency_ms: int
) -> None:
    latency_ms = max(0, latency_ms)
    sql = _SLOTTED if tx.dialect == POSTGRESQL else _PLAIN
    tx.execute(sql, (bucket, rule_id, destination_bucket, bound_for(latency_ms), latency_ms))


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyHistogram:
    """Counts per bucket bound (not cumulative), and the sum of every latency."""

    counts: Mapping[int, int]  # le_ms → latencies in (previous bound, le_ms]
    sum_ms: int

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    def cumulative(self) -> list[tuple[int, int]]:
        """(le_ms, latencies ≤ le_ms) for every bound, +Inf (INFINITY_MS) last."""
        total, rows = 0, []
        for bound in (*LATENCY_BOUNDS_MS, INFINITY_MS):
            total += self.counts.get(bound, 0)
            rows.append((bound, total))
        return rows

    def quantile_s(self, q: float) -> float | None:
        """As Prometheus' histogram_quantile: linear within the bucket the rank falls in (the
        +Inf bucket answers its lower bound). None: nothing recorded."""
        total = self.count
        if total == 0:
            return None
        rank = q * total
        lower, below = 0, 0
        for bound, upto in self.cumulative():
            if upto >= rank and upto > below:
                if bound == INFINITY_MS:
                    return lower / 1000
                inside = (rank - below) / (upto - below)
                return (lower + (bound - lower) * inside) / 1000
            lower, below = bound, upto
        return lower / 1000


def read_histograms(
    tx: Tx, bucket: str | None = None
) -> dict[tuple[str, str, str], LatencyHistogram]:
    """(bucket, rule_id, destination_bucket) → its histogram; all buckets when None."""
    where, params = ("WHERE bucket = ?", (bucket,)) if bucket is not None else ("", ())
    counts: dict[tuple[str, str, str], dict[int, int]] = {}
    sums: dict[tuple[str, str, str], int] = {}
    for row in tx.execute(
        "SELECT bucket, rule_id, destination_bucket, le_ms, count, sum_ms "
        f"FROM replication_latency {where}",
        params,
    ):
        series = (row[0], row[1], row[2])
        counts.setdefault(series, {})[int(row[3])] = int(row[4])
        sums[series] = sums.get(series, 0) + int(row[5])
    return {s: LatencyHistogram(counts=c, sum_ms=sums[s]) for s, c in counts.items()}


def merge(histograms: Sequence[LatencyHistogram]) -> LatencyHistogram:
    counts: dict[int, int] = {}
    for histogram in histograms:
        for bound, count in histogram.counts.items():
            counts[bound] = counts.get(bound, 0) + count
    return LatencyHistogram(counts=counts, sum_ms=sum(h.sum_ms for h in histograms))
