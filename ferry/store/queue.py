"""The durable queue: rows a package owes work for, claimed under a lease, in the owner's table.

One primitive for every queue of a region (replication tasks, the event outbox, batch job
entries). The owning package keeps its table, its columns and its row-specific SQL, and
describes the table's queue columns in a `Queue`; every statement of the mechanics (enqueue,
claim, renew, complete, reschedule with backoff, dead-letter) is built here from that
description. Table and column names come from the owner's code, never from input.

A claimed row is *leased*: its lease column holds the epoch ms until which its claimer owns
it; a claimer that dies releases it when the lease runs out, and a later claim takes it again.
A queue without a lease column holds a claim by status instead (`claimed`): the row stays
claimed until its owner completes it, across restarts (a batch job's entry stays RUNNING).

Every method runs in the caller's transaction, so a row's outcome commits together with
whatever its owner writes beside it (a version's status, a failure record, an event).

The claim: on SQLite, the writer's transaction holds the database's write lock
(`BEGIN IMMEDIATE`), so one `UPDATE … RETURNING` picks and leases the rows with no other
claimer in between. On PostgreSQL claimers run at once: `FOR UPDATE SKIP LOCKED` makes each
take only rows no other transaction holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ferry.store.db import POSTGRESQL, Tx

# A row's id: the value of its id column, or a tuple of values for a composite id.
RowId = Any
NO_FIELDS: Mapping[str, object] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class Queue:
    """Which columns of `table` carry the queue. None: the table has no such column.

    A claim's `where` condition names the candidate row `t`."""

    table: str
    ids: tuple[str, ...]  # the primary key's columns
    columns: tuple[str, ...]  # what a claim returns, in this order
    order: tuple[str, ...] = ()  # claim order, ascending; default (due, *ids)
    due: str | None = "due_ms"
    lease: str | None = "leased_until_ms"
    attempts: str | None = "attempts"
    last_attempt: str | None = "last_attempt_ms"
    error: str | None = "last_error"
    first_failure: str | None = None
    status: str | None = None
    pending: str = "PENDING"  # status of a row still owed
    claimed: str | None = None  # status of a claimed row, for a queue without a lease
    done: str | None = None  # status a completed row keeps; None: completing deletes it
    dead: str | None = None  # status of a dead letter; None: the queue keeps none

    def __post_init__(self) -> None:
        assert self.lease is not None or (self.status and self.claimed), "a claim must hold"
        assert self.status is not None or not (self.done or self.dead), "states need a column"

    # --- writing work -------------------------------------------------------------------

    def enqueue(
        self, tx: Tx, rows: Sequence[Mapping[str, object]], *, due_ms: int | None = None
    ) -> None:
        """Insert rows (the owner's columns, the same in each), due at `due_ms`."""
        if not rows:
            return
        assert due_ms is not None or self.due is None, "when is the work due?"
        fields = {**self._pending_state(), **({self.due: due_ms} if self.due else {})}
        names = [*rows[0], *fields]
        tx.executemany(
            f"INSERT INTO {self.table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [(*row.values(), *fields.values()) for row in rows],
        )

    # --- taking work --------------------------------------------------------------------

    def claim(
        self,
        tx: Tx,
        *,
        now_ms: int,
        limit: int,
        lease_ms: int = 0,
        where: str = "",
        params: Sequence[object] = (),
    ) -> list[tuple[Any, ...]]:
        """Claim up to `limit` due, unclaimed rows matching `where`, in claim order. Each is
        leased until `now_ms + lease_ms` (or marked `claimed`), and its attempts count the
        attempt now under way. Returns the rows' `columns`."""
        if limit <= 0:
            return []
        sets = [f"{self.lease} = ?" if self.lease else f"{self.status} = ?"]
        set_params: list[object] = [now_ms + lease_ms if self.lease else self.claimed]
        if self.attempts:
            sets.append(f"{self.attempts} = {self.attempts} + 1")
        if self.last_attempt:
            sets.append(f"{self.last_attempt} = ?")
            set_params.append(now_ms)
        conditions, condition_params = self._claimable(now_ms, where, params)
        order = self.order or (*((self.due,) if self.due else ()), *self.ids)
        picked = (
            f"SELECT {_qualified(self.ids)} FROM {self.table} t WHERE {conditions} "
            f"ORDER BY {_qualified(order)} LIMIT ?"
        )
        returned = (*self.columns, *order)
        if tx.dialect == POSTGRESQL:
            # Lock the picked rows, skipping those another claimer holds (procrastinate's fetch).
            sql = (
                f"WITH c AS ({picked} FOR UPDATE SKIP LOCKED) "
                f"UPDATE {self.table} AS t SET {', '.join(sets)} FROM c "
                f"WHERE {' AND '.join(f't.{c} = c.{c}' for c in self.ids)} "
                f"RETURNING {_qualified(returned)}"
            )
            values = [*condition_params, limit, *set_params]
        else:
            # The writer's transaction already holds the write lock: nobody claims in between.
            sql = (
                f"UPDATE {self.table} SET {', '.join(sets)} "
                f"WHERE {_tuple(self.ids)} IN ({picked}) RETURNING {', '.join(returned)}"
            )
            values = [*set_params, *condition_params, limit]
        rows = [tuple(row) for row in tx.execute(sql, values).fetchall()]
        rows.sort(key=lambda row: row[len(self.columns) :])  # RETURNING's order is arbitrary
        return [row[: len(self.columns)] for row in rows]

    def has_due(
        self, tx: Tx, *, now_ms: int, where: str = "", params: Sequence[object] = ()
    ) -> bool:
        """Whether a claim now would find anything (a read: no write lock taken)."""
        conditions, values = self._claimable(now_ms, where, params)
        row = tx.execute(
            f"SELECT 1 FROM {self.table} t WHERE {conditions} LIMIT 1", values
        ).fetchone()
        return row is not None

    def renew(self, tx: Tx, ids: Sequence[RowId], *, until_ms: int) -> None:
        """Extend the leases of rows still claimed. A row whose outcome committed meanwhile
        (rescheduled or dead: lease 0) is not leased again, or it would sit out a whole lease
        before its retry could run."""
        assert self.lease is not None, "only a leased claim is renewed"
        tx.executemany(
            f"UPDATE {self.table} SET {self.lease} = ? WHERE {self._is_row} AND {self.lease} > 0",
            [(until_ms, *_values(i)) for i in ids],
        )

    # --- outcomes -----------------------------------------------------------------------

    def complete(
        self, tx: Tx, ids: Sequence[RowId], *, fields: Mapping[str, object] = NO_FIELDS
    ) -> None:
        """The work is done: the row goes (or keeps its `done` status and the owner's fields)."""
        if self.done is None:
            assert not fields, "a deleted row keeps no fields"
            tx.executemany(
                f"DELETE FROM {self.table} WHERE {self._is_row}", [_values(i) for i in ids]
            )
            return
        assert self.status is not None
        self._update(tx, ids, {**self._released(), self.status: self.done, **fields})

    def reschedule(
        self,
        tx: Tx,
        ids: Sequence[RowId],
        *,
        due_ms: int,
        now_ms: int,
        error: str | None = None,
        fields: Mapping[str, object] = NO_FIELDS,
    ) -> None:
        """Try again at `due_ms` (the owner's retry policy chose it): the claim is released
        now, so no renewal can hold the row past its retry."""
        assert self.due is not None, "a queue without due times cannot back off"
        retry = {self.due: due_ms, **self._released(), **self._pending_state()}
        self._update(tx, ids, {**retry, **self._failure(error), **fields}, failed_ms=now_ms)

    def dead_letter(
        self,
        tx: Tx,
        ids: Sequence[RowId],
        *,
        now_ms: int | None = None,
        error: str | None = None,
        fields: Mapping[str, object] = NO_FIELDS,
    ) -> None:
        """Give up: the row stays, with status `dead`, for operators and re-drives.
        `now_ms` is when it failed (needed when the queue keeps a first failure time)."""
        assert self.status is not None and self.dead is not None, "the queue keeps no dead letters"
        assert now_ms is not None or not self.first_failure, "when did it fail?"
        dead = {**self._released(), self.status: self.dead, **self._failure(error), **fields}
        self._update(tx, ids, dead, failed_ms=now_ms)

    def make_due(
        self, tx: Tx, *, now_ms: int, where: str = "", params: Sequence[object] = ()
    ) -> int:
        """Cut short the backoff of waiting rows matching `where` (what they waited for is
        back). Returns how many."""
        assert self.due is not None, "a queue without due times has nothing to hurry"
        pending, pending_params = self._pending_condition()
        conditions = [f"{self.due} > ?", *pending, *([f"({where})"] if where else [])]
        cursor = tx.execute(
            f"UPDATE {self.table} SET {self.due} = ? WHERE {' AND '.join(conditions)}",
            (now_ms, now_ms, *pending_params, *params),
        )
        return int(cursor.rowcount)

    # --- SQL pieces ---------------------------------------------------------------------

    @property
    def _is_row(self) -> str:
        return " AND ".join(f"{c} = ?" for c in self.ids)

    def _pending_condition(self) -> tuple[list[str], list[object]]:
        if self.status is None:
            return [], []
        return [f"{self.status} = ?"], [self.pending]

    def _claimable(
        self, now_ms: int, where: str, params: Sequence[object]
    ) -> tuple[str, list[object]]:
        conditions = [f"t.{self.status} = ?"] if self.status else []
        values: list[object] = [self.pending] if self.status else []
        for column in (self.due, self.lease):
            if column is not None:
                conditions.append(f"t.{column} <= ?")
                values.append(now_ms)
        if where:
            conditions.append(f"({where})")
            values.extend(params)
        return " AND ".join(conditions) or "1 = 1", values

    def _pending_state(self) -> dict[str, object]:
        return {self.status: self.pending} if self.status else {}

    def _released(self) -> dict[str, object]:
        return {self.lease: 0} if self.lease else {}

    def _failure(self, error: str | None) -> dict[str, object]:
        return {self.error: error} if self.error and error is not None else {}

    def _update(
        self,
        tx: Tx,
        ids: Sequence[RowId],
        values: Mapping[str, object],
        *,
        failed_ms: int | None = None,
    ) -> None:
        """`failed_ms`: the row failed then (kept as its first failure unless it has one)."""
        sets = [f"{column} = ?" for column in values]
        params = list(values.values())
        if failed_ms is not None and self.first_failure:
            sets.append(f"{self.first_failure} = COALESCE({self.first_failure}, ?)")
            params.append(failed_ms)
        tx.executemany(
            f"UPDATE {self.table} SET {', '.join(sets)} WHERE {self._is_row}",
            [(*params, *_values(i)) for i in ids],
        )


def _values(row_id: RowId) -> tuple[object, ...]:
    return row_id if isinstance(row_id, tuple) else (row_id,)


def _qualified(columns: Sequence[str]) -> str:
    return ", ".join(f"t.{c}" for c in columns)


def _tuple(columns: Sequence[str]) -> str:
    return columns[0] if len(columns) == 1 else f"({', '.join(columns)})"
