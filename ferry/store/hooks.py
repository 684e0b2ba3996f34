"""Side effects that must commit with the version they react to (Garage `updated(tx, old, new)`).

The replication planner and the event outbox implement VersionHook; `region.py` registers them,
so the store never imports either.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from ferry.store.db import Tx
from ferry.store.records import Version


class WriteOrigin(StrEnum):
    """Who caused a change: a client, the replication engine applying a replica, or a
    bucket's lifecycle rules. Changes of replication origin must never be replicated again
    (that is what prevents loops); lifecycle's are not replicated either (AWS: delete markers
    that lifecycle adds stay in the source bucket)."""

    CLIENT = "CLIENT"
    REPLICATION = "REPLICATION"
    LIFECYCLE = "LIFECYCLE"


class VersionHook(Protocol):
    def on_commit(
        self, tx: Tx, old: Version | None, new: Version | None, origin: WriteOrigin
    ) -> None:
        """Called inside the transaction that replaces `old` by `new` (either may be None).

        `old` and `new` with the same `seq` mean a metadata change (tags, ACL) of one version.
        """
        ...


class VersionHooks:
    def __init__(self) -> None:
        self._hooks: list[VersionHook] = []

    def register(self, hook: VersionHook) -> None:
        self._hooks.append(hook)

    def run(
        self,
        tx: Tx,
        old: Version | None,
        new: Version | None,
        origin: WriteOrigin = WriteOrigin.CLIENT,
    ) -> None:
        for hook in self._hooks:
            hook.on_commit(tx, old, new, origin)
