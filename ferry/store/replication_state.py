"""What the store keeps for the replication engine, read and written only through here: a
version's replication status and a bucket's parsed replication configuration.

Replication (a package above the store) calls these inside its own transactions: the planner
sets PENDING in the transaction that commits the version, a task's outcome sets COMPLETED,
FAILED or REPLICA in the one that records it.

The configuration is the document GetBucketReplication returns (`buckets.replication`, written
by `Buckets.set_replication`), parsed once per document for every reader of the process: the
planner on each write, the replicator's source checks, batch jobs. The cache is keyed by the
document, which Put/DeleteBucketReplication replace, so each process (`ferry serve` and every
`ferry worker`) sees a change at its next read without being told of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from ferry.protocol.xml.replication import (
    ReplicationConfiguration,
    parse_replication_configuration,
)
from ferry.store.db import Tx
from ferry.store.records import (
    VERSION_COLUMNS_WITHOUT_BODY,
    ReplicationStatus,
    Version,
    version_from_row,
)

MAX_CACHED_CONFIGURATIONS = 1024


def set_replication_status(
    tx: Tx, *, bucket: str, key: str, version_id: str, status: ReplicationStatus
) -> None:
    tx.execute(
        "UPDATE versions SET replication_status = ? WHERE bucket = ? AND key = ? "
        "AND version_id = ?",
        (status.value, bucket, key, version_id),
    )


def fetch_replication_configuration(tx: Tx, bucket: str) -> ReplicationConfiguration | None:
    """None: no such bucket, or no replication configuration on it."""
    row = tx.execute("SELECT replication FROM buckets WHERE name = ?", (bucket,)).fetchone()
    if row is None or not row[0]:
        return None
    return _parsed(str(row[0]))


@lru_cache(maxsize=MAX_CACHED_CONFIGURATIONS)
def _parsed(document: str) -> ReplicationConfiguration:
    # The result is frozen all the way down, so every caller may share it.
    return parse_replication_configuration(document.encode())


def scan_versions(tx: Tx, bucket: str) -> Iterator[Version]:
    """Every version and delete marker of `bucket` (bodies left out), oldest write first: what
    a batch job's manifest generator filters."""
    rows = tx.execute(
        f"SELECT {VERSION_COLUMNS_WITHOUT_BODY} FROM versions WHERE bucket = ? ORDER BY seq",
        (bucket,),
    )
    for row in rows:
        yield version_from_row(row)
