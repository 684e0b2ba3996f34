"""What a contract test may need to know of its engine: how to make concurrent transactions
interleave at their worst, and how to mark a behaviour one engine gets wrong today."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ferry.store import Database, Tx
from ferry.store.db import Cursor

T = TypeVar("T")
RENDEZVOUS_TIMEOUT_S = 10.0
# A statement that writes, or that locks what it reads.
_WRITES_OR_LOCKS = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b|\bFOR\s+(UPDATE|SHARE)\b", re.I)


def rendezvous(engine: str, parties: int) -> Callable[[], None]:
    """A point that `parties` transactions reach before any of them goes on. PostgreSQL runs
    each transaction in its own thread and connection, so they really overlap; SQLite runs one
    write transaction at a time (a lock on the file), so there is nothing to line up and
    waiting would only deadlock."""
    if engine == "sqlite":
        return lambda: None
    barrier = threading.Barrier(parties, timeout=RENDEZVOUS_TIMEOUT_S)

    def meet() -> None:
        barrier.wait()

    return meet


class _MeetingTx:
    """A transaction that calls `meet` once, just before its first statement that writes or
    locks (or its first `lock`): every transaction lined up has read what it decides on, and
    none has written anything yet. That is the interleaving that read-then-write code gets
    wrong; code that locks first or claims with FOR UPDATE meets before its lock, then takes
    turns at it."""

    def __init__(self, tx: Tx, meet: Callable[[], None]) -> None:
        self._tx = tx
        self._meet: Callable[[], None] | None = meet
        self.dialect = tx.dialect

    def _before(self, sql: str | None) -> None:
        if self._meet is not None and (sql is None or _WRITES_OR_LOCKS.search(sql)):
            meet, self._meet = self._meet, None
            meet()

    def lock(self, scope: str) -> None:
        self._before(None)
        self._tx.lock(scope)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        self._before(sql)
        return self._tx.execute(sql, params)

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Cursor:
        self._before(sql)
        return self._tx.executemany(sql, params)


class LinedUp:
    """`db` whose write transactions meet (see `_MeetingTx`): a facade built on it races its
    concurrent calls at their worst. Only a transaction's first run meets: an engine may run
    one again (PostgreSQL after a deadlock or a lost unique-index race)."""

    def __init__(self, db: Database, meet: Callable[[], None]) -> None:
        self._db = db
        self._meet = meet
        self.dialect = db.dialect

    async def write(self, fn: Callable[[Tx], T]) -> T:
        runs: list[None] = []

        def lined_up(tx: Tx) -> T:
            first = not runs
            runs.append(None)
            return fn(_MeetingTx(tx, self._meet) if first else tx)

        return await self._db.write(lined_up)

    async def read(self, fn: Callable[[Tx], T]) -> T:
        return await self._db.read(fn)

    def read_now(self, fn: Callable[[Tx], T]) -> T:
        return self._db.read_now(fn)

    def close(self) -> None:
        self._db.close()
