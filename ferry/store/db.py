"""The metadata database: one interface, SQLite now (PostgreSQL later, same callers).

Writes go through one writer thread that *group-commits*: it takes every write waiting in its
queue, runs each inside its own SAVEPOINT of one transaction, then COMMITs once, so a single
fsync acknowledges many requests. A failing write rolls back only its savepoint. Reads run on
the caller's thread against a second connection: SQLite point reads in WAL mode take
microseconds, which is cheaper than any thread hop.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ferry.store.errors import Busy, StorageFull, StoreConflict

T = TypeVar("T")
Row = sqlite3.Row
MAX_GROUP_COMMIT = 256


class Tx(Protocol):
    """What store functions get: a connection inside a transaction."""

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


class _Job:
    __slots__ = ("fn", "future", "loop")

    def __init__(self, fn: Callable[[Tx], Any], future: asyncio.Future[Any]) -> None:
        self.fn = fn
        self.future = future
        self.loop = future.get_loop()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: every COMMIT fsyncs the WAL, so an acknowledged write survives power loss, not
    # only kill -9. Group commit pays for it.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class SqliteDatabase:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = _connect(path)
        self._reader = _connect(path)
        self._reader.execute("PRAGMA query_only=ON")
        apply_migrations(self._writer)
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ferry-db-writer", daemon=True)
        self._thread.start()

    async def write(self, fn: Callable[[Tx], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put(_Job(fn, future))
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
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._writer.close()
        self._reader.close()

    # -- writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_GROUP_COMMIT:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._queue.put(None)
                    break
                batch.append(job)
            self._commit_batch(batch)

    def _commit_batch(self, batch: list[_Job]) -> None:
        conn = self._writer
        results: list[tuple[_Job, bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                conn.execute("SAVEPOINT job")
                try:
                    with translate_db_errors():
                        value = job.fn(conn)
                except BaseException as exc:  # the job's error belongs to its caller
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    results.append((job, False, exc))
                else:
                    conn.execute("RELEASE job")
                    results.append((job, True, value))
            with translate_db_errors():
                conn.execute("COMMIT")
        except BaseException as exc:  # the commit itself failed: nobody's write happened
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            results = [(job, False, exc) for job in batch]
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, bool, Any]]] = {}
        for item in results:
            by_loop.setdefault(item[0].loop, []).append(item)
        for loop, items in by_loop.items():
            with contextlib.suppress(RuntimeError):  # loop closed during shutdown
                loop.call_soon_threadsafe(_resolve, items)


def _resolve(items: list[tuple[_Job, bool, Any]]) -> None:
    for job, ok, value in items:
        if job.future.done():
            continue
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet applied, each in its own transaction."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_ms INT)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    applied = []
    folder = resources.files("ferry.store.sql") / "migrations"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql") or entry.name in done:
            continue
        script = entry.read_text(encoding="utf-8")
        conn.execute("BEGIN IMMEDIATE")
        try:
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


def _split_sql(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
