"""The metadata database: one interface, SQLite now (PostgreSQL later, same callers).

Writes are *group-committed*: every write waiting when a transaction starts runs inside its
own SAVEPOINT of that transaction, then one COMMIT (one fsync) acknowledges them all; a write
that fails rolls back only its savepoint. The statements run on the event loop thread (they
take microseconds, and a worker thread would spend more than that waiting for the GIL); only
the COMMIT, which waits for the disk, runs in a worker thread, and new writes queue up behind
it for the next transaction. Reads use a second connection, also on the loop thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ferry.store.errors import Busy, StorageFull, StoreConflict

T = TypeVar("T")
Row = sqlite3.Row
MAX_GROUP_COMMIT = 512
LOCK_WAIT_S = 30.0
# Each package keeps the migrations of the tables it owns in `<package>/sql/<dialect>/`; a
# database is made of an ordered list of packages (dependency order), e.g. REGION_MIGRATIONS.
MIGRATIONS_FOLDER = ("sql", "sqlite")


SQLITE = "sqlite"
POSTGRESQL = "postgresql"


class Tx(Protocol):
    """What store functions get: a connection inside a transaction.

    SQL is written once, in the subset both engines share (`?` placeholders, `ON CONFLICT`,
    `RETURNING`); `dialect` names the engine for the few statements that must differ (a
    queue's claim takes `FOR UPDATE SKIP LOCKED` on PostgreSQL)."""

    @property
    def dialect(self) -> str: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor: ...

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> sqlite3.Cursor: ...


class Database(Protocol):
    async def write(self, fn: Callable[[Tx], T]) -> T: ...

    async def read(self, fn: Callable[[Tx], T]) -> T: ...

    def close(self) -> None: ...


@contextlib.contextmanager
def translate_db_errors() -> Iterator[None]:
    """No sqlite3 exception leaves this module."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise StoreConflict(str(exc)) from exc
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise Busy() from exc
        if "full" in text:
            raise StorageFull() from exc
        raise


class SqliteConnection(sqlite3.Connection):
    """A sqlite3 connection that says which engine it is (`Tx.dialect`)."""

    dialect = SQLITE


def _connect(path: Path) -> SqliteConnection:
    conn = sqlite3.connect(
        path,
        isolation_level=None,
        check_same_thread=False,
        timeout=30,
        factory=SqliteConnection,
    )
    assert isinstance(conn, SqliteConnection)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: every COMMIT fsyncs the WAL, so an acknowledged write survives power loss, not
    # only kill -9. Group commit pays for it.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


_Job = tuple[Callable[[Tx], Any], "asyncio.Future[Any]"]


class SqliteDatabase:
    def __init__(self, path: Path, migrations: Sequence[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = _connect(path)
        self._reader = _connect(path)
        self._reader.execute("PRAGMA query_only=ON")
        apply_migrations(self._writer, migrations)
        # From here on the writer never waits inside SQLite: see `_try_begin`.
        self._writer.execute("PRAGMA busy_timeout=0")
        self._pending: list[_Job] = []
        self._in_thread = threading.Event()  # set when no statement runs in a worker thread
        self._in_thread.set()
        self._committer: asyncio.Task[None] | None = None

    async def write(self, fn: Callable[[Tx], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((fn, future))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_pending())
        return await future

    async def read(self, fn: Callable[[Tx], T]) -> T:
        conn = self._reader
        with translate_db_errors():
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                conn.execute("COMMIT")

    def read_now(self, fn: Callable[[Tx], T]) -> T:
        """Synchronous read for start-up code (sweeper, migrations check)."""
        with translate_db_errors():
            return fn(self._reader)

    def close(self) -> None:
        # A COMMIT may still be running in its worker thread (shutdown racing a write):
        # closing the connection under it would crash the process. Wait for it.
        self._in_thread.wait(timeout=LOCK_WAIT_S)
        self._writer.close()
        self._reader.close()

    async def _in_worker_thread(self, fn: Callable[[], T]) -> T:
        self._in_thread.clear()
        try:
            return await asyncio.to_thread(fn)
        finally:
            self._in_thread.set()

    async def _commit_pending(self) -> None:
        """Runs while writes are waiting: one transaction per batch, one fsync per batch."""
        while self._pending:
            began = self._try_begin() or await self._in_worker_thread(self._begin_waiting)
            batch = self._pending[:MAX_GROUP_COMMIT]
            del self._pending[:MAX_GROUP_COMMIT]
            if not began:
                _resolve(batch, [(False, Busy())] * len(batch))
                continue
            results = self._run_batch(batch)
            # The disk wait happens off the loop (the GIL is released meanwhile). While the
            # COMMIT runs in its thread nothing else may touch the connection, not even on
            # cancellation: a ROLLBACK racing the COMMIT would corrupt the connection.
            commit = asyncio.ensure_future(self._in_worker_thread(self._commit))
            try:
                await asyncio.shield(commit)
            except asyncio.CancelledError:
                await asyncio.wait([commit])
                _resolve(batch, self._outcome(commit, batch, results))
                raise
            except Exception:
                pass  # the outcome below carries the error to every caller
            _resolve(batch, self._outcome(commit, batch, results))

    def _outcome(
        self,
        commit: asyncio.Future[None],
        batch: list[_Job],
        results: list[tuple[bool, Any]],
    ) -> list[tuple[bool, Any]]:
        failed = commit.exception()
        if failed is None:
            return results
        with contextlib.suppress(sqlite3.Error):
            self._writer.execute("ROLLBACK")
        return [(False, failed)] * len(batch)

    def _commit(self) -> None:
        with translate_db_errors():
            self._writer.execute("COMMIT")

    def _try_begin(self) -> bool:
        """Take the write lock without waiting (the common case: this process is the only
        writer). Another process may hold it (a `ferry worker`, another region on the shared
        control plane): then `_begin_waiting` waits in a thread, never on the event loop."""
        try:
            self._writer.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        return True

    def _begin_waiting(self) -> bool:
        deadline = time.monotonic() + LOCK_WAIT_S
        while time.monotonic() < deadline:
            if self._try_begin():
                return True
            time.sleep(0.002)
        return False

    def _run_batch(self, batch: list[_Job]) -> list[tuple[bool, Any]]:
        conn = self._writer
        results: list[tuple[bool, Any]] = []
        for fn, future in batch:
            if future.done():  # the caller went away (cancelled): skip its write
                results.append((False, None))
                continue
            conn.execute("SAVEPOINT job")
            try:
                with translate_db_errors():
                    value = fn(conn)
            except Exception as exc:  # the job's error belongs to its caller
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                results.append((False, exc))
            else:
                conn.execute("RELEASE job")
                results.append((True, value))
        return results


def _resolve(batch: list[_Job], results: list[tuple[bool, Any]]) -> None:
    for (_, future), (ok, value) in zip(batch, results, strict=True):
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


def migration_files(packages: Sequence[str]) -> list[Traversable]:
    """The SQLite migrations of `packages`, package by package in the order given (the
    dependency order), each package's in file-name order.

    `schema_migrations` is keyed by file name (the names predate per-package folders), so names
    must be unique across one database: a new migration takes the next number after every
    package's, whichever package it belongs to."""
    files: list[Traversable] = []
    seen: dict[str, str] = {}
    for package in packages:
        folder = resources.files(package).joinpath(*MIGRATIONS_FOLDER)
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".sql"):
                continue
            if entry.name in seen:
                raise ValueError(
                    f"migration {entry.name} of {package} clashes with {seen[entry.name]}'s"
                )
            seen[entry.name] = package
            files.append(entry)
    return files


def apply_migrations(conn: sqlite3.Connection, packages: Sequence[str]) -> list[str]:
    """Apply every migration of `packages` not yet applied, each in its own transaction.

    `packages` are the packages whose tables make up this database: the region's
    (store, crypto, replication, events), or the control plane's (control)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_ms INT)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    applied = []
    for entry in migration_files(packages):
        if entry.name in done:
            continue
        script = entry.read_text(encoding="utf-8")
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Several processes may open one database at once (the control plane is shared by
            # every region): only the first to take the write lock applies the migration.
            if _is_applied(conn, entry.name):
                conn.execute("COMMIT")
                continue
            for statement in _split_sql(script):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, CAST(strftime('%s','now') AS INT)*1000)",
                (entry.name,),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(entry.name)
    return applied


def _is_applied(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)).fetchone()
    return row is not None


def _split_sql(script: str) -> list[str]:
    """Statements of a migration; a trigger's `BEGIN … END` block stays one statement."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    statements: list[str] = []
    buffer = ""
    for piece in "\n".join(lines).split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n;"):
                statements.append(buffer.strip())
            buffer = ""
    return statements
