"""Side effects that must commit with the version they react to (Garage `updated(tx, old, new)`).

The replication planner and the event outbox implement VersionHook; `region.py` registers them,
so the store never imports either.
"""

from __future__ import annotations

from typing import Protocol

from ferry.store.db import Tx
from ferry.store.records import Version


class VersionHook(Protocol):
    def on_commit(self, tx: Tx, old: Version | None, new: Version | None) -> None:
        """Called inside the transaction that replaces `old` by `new` (either may be None)."""
        ...


class VersionHooks:
    def __init__(self) -> None:
        self._hooks: list[VersionHook] = []

    def register(self, hook: VersionHook) -> None:
        self._hooks.append(hook)

    def run(self, tx: Tx, old: Version | None, new: Version | None) -> None:
        for hook in self._hooks:
            hook.on_commit(tx, old, new)
