"""May lifecycle act on a version now? The one place that says so (docs/lifecycle.md).

Every lifecycle action on a version (expiring it, deleting it for good, transitioning it)
asks `may_expire` first, inside the transaction that would make the change. Today one thing
holds a version back: replication it still owes (PENDING) or that failed (FAILED) — AWS does
not expire or transition a version before it is replicated, and Ferry never lets lifecycle
remove the only copy of data a destination has not received. The version becomes eligible
once its task completes (COMPLETED), or once a re-drive succeeds. Object Lock holds back
only permanent deletion: a locked version may still become noncurrent under a lifecycle
delete marker and may be transitioned, as on AWS; the worker asks the store's
`is_version_locked` before it removes a version for good.
"""

from __future__ import annotations

from datetime import datetime

from ferry.store import ReplicationStatus, Tx, Version

AWAITING_REPLICATION = frozenset({ReplicationStatus.PENDING, ReplicationStatus.FAILED})


def is_awaiting_replication(version: Version) -> bool:
    return version.attrs.replication_status in AWAITING_REPLICATION


def may_expire(tx: Tx, version: Version, now: datetime) -> bool:
    """Whether lifecycle may change or remove `version` at `now` (`tx`: the transaction that
    would do it, for checks that read the store)."""
    del tx, now  # for checks that read the store or the clock
    return not is_awaiting_replication(version)
