"""What a bucket's replication still owes, per rule: pending operations and their bytes, the
oldest pending task's age, and its failures by state. Read from the replication tasks, the
replication metrics' counts (exact, kept by the migration's triggers) and the failure store,
for the console's operating view."""

from __future__ import annotations

from dataclasses import dataclass, field

from ferry.core.clock import Clock, epoch_ms
from ferry.store import Database, Tx


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleBacklog:
    rule_id: str
    pending: int = 0  # tasks not yet replicated (first try or retrying)
    pending_bytes: int = 0  # their versions' sizes
    retrying: int = 0  # of which failed at least once and wait for their next attempt
    oldest_pending_s: float | None = None  # age of the oldest pending task
    failures: dict[str, int] = field(default_factory=dict)  # failure state → records


class ReplicationBacklog:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def per_rule(self, bucket: str) -> list[RuleBacklog]:
        now_ms = epoch_ms(self._clock.now())
        return await self._db.read(lambda tx: _per_rule(tx, bucket, now_ms))


def _per_rule(tx: Tx, bucket: str, now_ms: int) -> list[RuleBacklog]:
    pending: dict[str, tuple[int, int, int]] = {}
    for rule_id, count, retrying, oldest in tx.execute(
        "SELECT rule_id, COUNT(*), SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), "
        "MIN(created_ms) FROM replication_tasks WHERE bucket = ? AND status = 'PENDING' "
        "GROUP BY rule_id",
        (bucket,),
    ):
        pending[rule_id] = (int(count), int(retrying or 0), int(oldest))
    sized = {
        str(rule_id): int(size)
        for rule_id, size in tx.execute(
            "SELECT rule_id, SUM(pending_bytes) FROM replication_metrics WHERE bucket = ? "
            "GROUP BY rule_id",
            (bucket,),
        )
    }
    failures: dict[str, dict[str, int]] = {}
    for rule_id, state, count in tx.execute(
        "SELECT rule_id, state, COUNT(*) FROM replication_failures WHERE bucket = ? "
        "GROUP BY rule_id, state",
        (bucket,),
    ):
        failures.setdefault(rule_id, {})[state] = int(count)
    rows = []
    for rule_id in sorted(pending.keys() | failures.keys()):
        count, retrying, oldest = pending.get(rule_id, (0, 0, now_ms))
        rows.append(
            RuleBacklog(
                rule_id=rule_id,
                pending=count,
                pending_bytes=sized.get(rule_id, 0) if count else 0,
                retrying=retrying,
                oldest_pending_s=max(0.0, (now_ms - oldest) / 1000) if count else None,
                failures=failures.get(rule_id, {}),
            )
        )
    return rows
