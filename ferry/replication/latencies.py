"""Replication latency per rule, as this process's workers measure it: from the version's
commit (its task's creation) to the replica's acknowledgement. Kept in memory, recent samples
only — what an operator watches live, not an archive (a separate `ferry worker` process keeps
its own)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

MAX_SAMPLES_PER_RULE = 512
WINDOW_MS = 5 * 60 * 1000  # what "recent" means


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencySummary:
    rule_id: str
    count: int  # replications finished within the window
    p50_s: float
    max_s: float
    last_s: float


class ReplicationLatencies:
    def __init__(self) -> None:
        # (bucket, rule_id) → (finished at ms, latency ms), oldest first
        self._samples: dict[tuple[str, str], deque[tuple[int, int]]] = {}

    def record(self, bucket: str, rule_id: str, *, created_ms: int, now_ms: int) -> None:
        samples = self._samples.setdefault((bucket, rule_id), deque(maxlen=MAX_SAMPLES_PER_RULE))
        samples.append((now_ms, max(0, now_ms - created_ms)))

    def summary(self, bucket: str, now_ms: int) -> list[LatencySummary]:
        rows = []
        for (owner, rule_id), samples in sorted(self._samples.items()):
            recent = [
                latency for at, latency in samples if owner == bucket and at > now_ms - WINDOW_MS
            ]
            if not recent:
                continue
            ordered = sorted(recent)
            rows.append(
                LatencySummary(
                    rule_id=rule_id,
                    count=len(recent),
                    p50_s=ordered[len(ordered) // 2] / 1000,
                    max_s=ordered[-1] / 1000,
                    last_s=recent[-1] / 1000,
                )
            )
        return rows
