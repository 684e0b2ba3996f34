"""The failure store: every replication that failed, with its cause, until an operator purges it.

One record per (bucket, key, version_id, destination_bucket, operation). The engine writes it
inside the transaction that records the task's outcome (`tasks.reschedule_task`,
`tasks.fail_task`, `tasks.finish_task`), so a failure is never lost and never outlives the truth:
    RETRYING  a transient failure; the task is retried at `next_attempt_ms`
    FAILED    the engine gave up (a permanent reason); the version is FAILED
    RESOLVED  the version replicated after all; kept as history, with `resolved_ms`
Counts per (rule, reason, state) are kept by triggers (migration 0004), so the summary reads a
handful of rows however many failures there are.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from ferry.store import SQLITE, Database, Tx

MAX_MESSAGE_CHARS = 2048
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


class FailureState(StrEnum):
    RETRYING = "RETRYING"
    FAILED = "FAILED"
    RESOLVED = "RESOLVED"


class FailedTask(Protocol):
    """What the store needs of a replication task (`tasks.Task` is one)."""

    @property
    def bucket(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def version_id(self) -> str: ...
    @property
    def operation(self) -> str: ...
    @property
    def rule_id(self) -> str: ...
    @property
    def destination_bucket(self) -> str: ...
    @property
    def attempts(self) -> int: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    failure_id: int
    bucket: str
    key: str
    version_id: str
    operation: str
    rule_id: str
    destination_bucket: str
    destination_region: str | None
    state: FailureState
    reason: str
    message: str
    attempts: int
    first_failure_ms: int
    last_failure_ms: int
    next_attempt_ms: int | None
    resolved_ms: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureFilter:
    """Conditions that all hold; None matches anything. Times bound `last_failure_ms`:
    `since_ms` inclusive, `until_ms` exclusive."""

    rule_id: str | None = None
    bucket: str | None = None
    destination_bucket: str | None = None
    reason: str | None = None
    state: FailureState | None = None
    since_ms: int | None = None
    until_ms: int | None = None

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__slots__)

    def where(self, dialect: str) -> tuple[str, list[Any]]:
        """The SQL condition and its parameters. Without statistics SQLite may pick a poor
        index when several columns are filtered, so the most selective one drives the index
        (in this order) and the others are written `+column`, which no index serves; state
        stays indexable beside rule or reason (the (state, rule|reason, time) indexes), and
        reason beside bucket (the (bucket, reason, time) index).
        PostgreSQL's planner has statistics (and no unary + on text): plain columns."""
        clauses: list[str] = []
        params: list[Any] = []
        driver: str | None = None
        for column, value in (
            ("bucket", self.bucket),
            ("destination_bucket", self.destination_bucket),
            ("rule_id", self.rule_id),
            ("reason", self.reason),
            ("state", self.state.value if self.state else None),
        ):
            if value is None:
                continue
            indexed = (
                driver is None
                or (column == "state" and driver in ("rule_id", "reason"))
                or (column == "reason" and driver == "bucket")
            )
            driver = driver or column
            hidden = not indexed and dialect == SQLITE
            clauses.append(f"{'+' if hidden else ''}{column} = ?")
            params.append(value)
        if self.since_ms is not None:
            clauses.append("last_failure_ms >= ?")
            params.append(self.since_ms)
        if self.until_ms is not None:
            clauses.append("last_failure_ms < ?")
            params.append(self.until_ms)
        return " AND ".join(clauses) or "1 = 1", params


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureCursor:
    """Where the next page starts: after this (last_failure_ms, failure_id), newest first."""

    last_failure_ms: int
    failure_id: int

    def render(self) -> str:
        raw = f"{self.last_failure_ms}.{self.failure_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def parse(cls, text: str) -> FailureCursor:
        """Raises ValueError for anything `render` did not produce."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            ms, failure_id = raw.split(".")
            return cls(last_failure_ms=int(ms), failure_id=int(failure_id))
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"invalid cursor {text!r}") from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class FailurePage:
    failures: list[Failure]
    next_cursor: FailureCursor | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureCounts:
    """How many records per state, for each rule and for each reason."""

    by_rule: dict[str, dict[FailureState, int]]
    by_reason: dict[str, dict[FailureState, int]]


_COLUMNS = (
    "failure_id, bucket, key, version_id, operation, rule_id, destination_bucket, "
    "destination_region, state, reason, message, attempts, first_failure_ms, last_failure_ms, "
    "next_attempt_ms, resolved_ms"
)
_IDENTITY = "bucket = ? AND key = ? AND version_id = ? AND destination_bucket = ? AND operation = ?"
_OBJECT, _METADATA = "OBJECT", "METADATA"  # tasks.Operation's values (tasks imports this module)


def _failure(row: Any) -> Failure:
    return Failure(
        failure_id=row[0],
        bucket=row[1],
        key=row[2],
        version_id=row[3],
        operation=row[4],
        rule_id=row[5],
        destination_bucket=row[6],
        destination_region=row[7],
        state=FailureState(row[8]),
        reason=row[9],
        message=row[10],
        attempts=row[11],
        first_failure_ms=row[12],
        last_failure_ms=row[13],
        next_attempt_ms=row[14],
        resolved_ms=row[15],
    )


def _identity(task: FailedTask) -> tuple[str, str, str, str, str]:
    return (task.bucket, task.key, task.version_id, task.destination_bucket, str(task.operation))


def record_failure(
    tx: Tx,
    task: FailedTask,
    *,
    state: FailureState,
    reason: str,
    message: str,
    now_ms: int,
    next_attempt_ms: int | None = None,
    destination_region: str | None = None,
) -> None:
    """Insert or update the task's record. A record that was RESOLVED starts a new episode
    (its first failure time is now); otherwise the first failure time is kept."""
    assert state is not FailureState.RESOLVED, "resolve_failure resolves"
    tx.execute(
        f"INSERT INTO replication_failures ({_COLUMNS.removeprefix('failure_id, ')}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) "
        "ON CONFLICT (bucket, key, version_id, destination_bucket, operation) DO UPDATE SET "
        "rule_id = excluded.rule_id, "
        # Qualified: PostgreSQL reads a bare column here as ambiguous with `excluded`'s.
        "destination_region = COALESCE(excluded.destination_region, "
        "  replication_failures.destination_region), "
        "first_failure_ms = CASE WHEN replication_failures.state = 'RESOLVED' "
        "  THEN excluded.first_failure_ms ELSE replication_failures.first_failure_ms END, "
        "state = excluded.state, reason = excluded.reason, message = excluded.message, "
        "attempts = excluded.attempts, last_failure_ms = excluded.last_failure_ms, "
        "next_attempt_ms = excluded.next_attempt_ms, resolved_ms = NULL",
        (task.bucket, task.key, task.version_id, str(task.operation), task.rule_id,
         task.destination_bucket, destination_region, state.value, reason,
         message[:MAX_MESSAGE_CHARS], task.attempts, now_ms, now_ms, next_attempt_ms),
    )  # fmt: skip


def resolve_failure(tx: Tx, task: FailedTask, *, now_ms: int | None) -> None:
    """The task's version reached its destination: its record, if any, becomes history. A
    whole object settles its failed tag/ACL changes there too (the replica carries the
    source's tags and ACL, also when it was there already: a re-drive). Without `now_ms`, the
    database's clock stamps it."""
    operation = str(task.operation)
    also = _METADATA if operation == _OBJECT else operation
    tx.execute(
        "UPDATE replication_failures SET state = 'RESOLVED', "
        "resolved_ms = ?, next_attempt_ms = NULL "
        "WHERE bucket = ? AND key = ? AND version_id = ? AND destination_bucket = ? "
        "AND operation IN (?, ?) AND state != 'RESOLVED'",
        (
            now_ms if now_ms is not None else int(time.time() * 1000),
            *_identity(task)[:-1],
            operation,
            also,
        ),
    )


def list_failures(
    tx: Tx,
    where: FailureFilter,
    *,
    limit: int = DEFAULT_PAGE_SIZE,
    after: FailureCursor | None = None,
) -> FailurePage:
    """Newest first (by last failure time, then id), keyset-paginated."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    clause, params = where.where(tx.dialect)
    if after is not None:
        clause += " AND (last_failure_ms, failure_id) < (?, ?)"
        params += [after.last_failure_ms, after.failure_id]
    rows = tx.execute(
        f"SELECT {_COLUMNS} FROM replication_failures WHERE {clause} "
        "ORDER BY last_failure_ms DESC, failure_id DESC LIMIT ?",
        (*params, limit + 1),
    ).fetchall()
    failures = [_failure(r) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = failures[-1]
        next_cursor = FailureCursor(
            last_failure_ms=last.last_failure_ms, failure_id=last.failure_id
        )
    return FailurePage(failures=failures, next_cursor=next_cursor)


def get_failure(tx: Tx, failure_id: int) -> Failure | None:
    row = tx.execute(
        f"SELECT {_COLUMNS} FROM replication_failures WHERE failure_id = ?", (failure_id,)
    ).fetchone()
    return None if row is None else _failure(row)


def count_failures(tx: Tx) -> FailureCounts:
    """From the trigger-kept counts table: a few rows per rule and reason, never a scan."""
    groups: list[dict[str, dict[FailureState, int]]] = []
    for column in ("rule_id", "reason"):
        group: dict[str, dict[FailureState, int]] = {}
        for name, state, count in tx.execute(
            f"SELECT {column}, state, SUM(count) FROM replication_failure_counts "
            f"WHERE count > 0 GROUP BY {column}, state ORDER BY {column}"
        ):
            group.setdefault(name, {})[FailureState(state)] = int(count)
        groups.append(group)
    return FailureCounts(by_rule=groups[0], by_reason=groups[1])


def purge_failures(tx: Tx, where: FailureFilter) -> int:
    """Delete the matching records (an operator's action); returns how many went."""
    clause, params = where.where(tx.dialect)
    deleted = tx.execute(f"DELETE FROM replication_failures WHERE {clause}", params).rowcount
    tx.execute("DELETE FROM replication_failure_counts WHERE count <= 0")
    return int(deleted)


class FailureStore:
    """The failure store as the admin API sees it: queries and purge, each its own
    transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def query(
        self, where: FailureFilter, *, limit: int, after: FailureCursor | None
    ) -> FailurePage:
        return await self._db.read(lambda tx: list_failures(tx, where, limit=limit, after=after))

    async def get(self, failure_id: int) -> Failure | None:
        return await self._db.read(lambda tx: get_failure(tx, failure_id))

    async def counts(self) -> FailureCounts:
        return await self._db.read(count_failures)

    async def purge(self, where: FailureFilter) -> int:
        return await self._db.write(lambda tx: purge_failures(tx, where))
