"""The doctor's loop search: from a source bucket, each reachable bucket's replication
destinations, breadth first and bounded. The caller fetches each bucket's configuration from
its region (synchronously in `ferry doctor`, asynchronously in the console), so the walk is a
state machine: ask `next_bucket`, answer `found`, then judge with `findings`."""

from __future__ import annotations

from collections.abc import Sequence

from ferry.replication.doctor_destination import diagnose_topology
from ferry.replication.doctor_documents import next_hops
from ferry.replication.findings import Finding

MAX_FOLLOWED_BUCKETS = 64


class TopologyWalk:
    def __init__(self, source: str, destinations: Sequence[str]) -> None:
        self._source = source
        self._edges: dict[str, list[str]] = {source: list(destinations)}
        self._queue = list(destinations)

    def next_bucket(self) -> str | None:
        """The next bucket whose configuration is wanted; None when the walk is done."""
        while self._queue and len(self._edges) < MAX_FOLLOWED_BUCKETS:
            bucket = self._queue.pop(0)
            if bucket not in self._edges:
                return bucket
        return None

    def found(self, bucket: str, replication: str | None) -> None:
        """`bucket`'s replication configuration (None: none, or no such bucket)."""
        self._edges[bucket] = next_hops(replication)
        self._queue += self._edges[bucket]

    def findings(self) -> list[Finding]:
        return diagnose_topology(self._source, self._edges)
