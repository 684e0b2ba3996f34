"""The trail's storage: time-partitioned segment files, each a small SQLite database of one
`trail_events` table (one column per `TrailEvent` field) with the indexes the queries filter on.

A writer appends to one open segment, `<start_ms>-<writer>.open.sqlite3`, and seals it (renamed
`<start_ms>-<end_ms>-<writer>.sqlite3`) when it grows past its size or age limit, or when the
writer stops. A sealed segment's name tells its time range, so a query `--since 1h` never opens
the segments before it, and retention deletes whole files. A segment left open by a crash is
sealed by the next writer of the same name when it starts.

Durability: each batch is one transaction in WAL mode with `synchronous=NORMAL` — a committed
batch survives a crash of the process (kill -9); a power loss may take the last batches.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ferry.events.trail.records import COLUMNS, column_type

TABLE = "trail_events"
OPEN_SUFFIX = ".open.sqlite3"
SEALED_SUFFIX = ".sqlite3"
_OPEN_NAME = re.compile(r"^(\d+)-([A-Za-z0-9_.-]+)\.open\.sqlite3$")
_SEALED_NAME = re.compile(r"^(\d+)-(\d+)-([A-Za-z0-9_.-]+)\.sqlite3$")
# The filters `ferry trail query` has; each leads with its column(s), then time (newest
# first). `by_bucket` serves seed 003's question (a bucket's PutObjects, by invokedBy) whole.
INDEXES = (
    ("by_time", "time_ms"),
    ("by_name", "event_name, time_ms"),
    ("by_bucket", "bucket, event_name, invoked_by, time_ms"),
    ("by_key", "key, bucket, time_ms"),
    ("by_arn", "arn, time_ms"),
    ("by_invoked", "invoked_by, event_name, time_ms"),
)
_PLACEHOLDERS = ", ".join("?" for _ in COLUMNS)
INSERT_SQL = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({_PLACEHOLDERS})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """One segment file; `end_ms` None: still open (or left open by a crash)."""

    path: Path
    start_ms: int
    end_ms: int | None
    writer: str

    @property
    def segment_id(self) -> str:
        """Stable across sealing (the rename): start and writer."""
        return f"{self.start_ms}-{self.writer}"

    def may_hold(self, since_ms: int | None, until_ms: int | None) -> bool:
        if since_ms is not None and self.end_ms is not None and self.end_ms < since_ms:
            return False
        return until_ms is None or self.start_ms <= until_ms


def parse_segment(path: Path) -> Segment | None:
    name = path.name
    found = _OPEN_NAME.match(name)
    if found:
        return Segment(path=path, start_ms=int(found[1]), end_ms=None, writer=found[2])
    found = _SEALED_NAME.match(name)
    if found:
        return Segment(path=path, start_ms=int(found[1]), end_ms=int(found[2]), writer=found[3])
    return None


def list_segments(directory: Path) -> list[Segment]:
    """Every segment in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    found = [s for p in directory.iterdir() if (s := parse_segment(p)) is not None]
    return sorted(found, key=lambda s: (s.start_ms, s.writer))


def _schema() -> list[str]:
    columns = ", ".join(f"{name} {column_type(name)} NOT NULL" for name in COLUMNS)
    statements = [f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY, {columns})"]
    statements += [
        f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} ({cols})" for name, cols in INDEXES
    ]
    return statements


def connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    if not create and not path.exists():
        raise FileNotFoundError(path)
    uri = f"file:{path}" + ("" if create else "?mode=rw")
    connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA busy_timeout = 5000")
    if create:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        # One transaction: a crash leaves the file without the table or with all of it.
        connection.execute("BEGIN")
        for statement in _schema():
            connection.execute(statement)
        connection.execute("COMMIT")
    return connection


class SegmentFile:
    """The open segment a writer appends to (one thread uses it)."""

    def __init__(self, directory: Path, writer: str, start_ms: int) -> None:
        self.start_ms = start_ms
        self.writer = writer
        self.path = directory / f"{start_ms}-{writer}{OPEN_SUFFIX}"
        self._db = connect(self.path, create=True)
        self.last_ms = start_ms

    def append(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """One transaction: the batch is in the file, or none of it is."""
        self._db.execute("BEGIN")
        try:
            self._db.executemany(INSERT_SQL, rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self.last_ms = max(self.last_ms, max(row[0] for row in rows))

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.stat(f"{self.path}{suffix}").st_size
            except FileNotFoundError:
                pass
        return total

    def seal(self) -> Path:
        """Close the file and give it its sealed name (its time range). ANALYZE first: the
        planner then picks the most selective index of a query with several filters."""
        self._db.execute("ANALYZE")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()
        return seal_path(self.path, self.start_ms, self.last_ms, self.writer)


def seal_path(path: Path, start_ms: int, end_ms: int, writer: str) -> Path:
    sealed = path.with_name(f"{start_ms}-{end_ms}-{writer}{SEALED_SUFFIX}")
    os.replace(path, sealed)
    for suffix in ("-wal", "-shm"):
        leftover = Path(f"{path}{suffix}")
        if leftover.exists():
            leftover.unlink()
    fsync_directory(path.parent)
    return sealed


def seal_leftovers(directory: Path, writer: str) -> None:
    """Seal the open segments a crashed writer of this name left behind (their end: the
    newest event they hold). One killed before its table was made holds nothing: removed."""
    for segment in list_segments(directory):
        if segment.end_ms is not None or segment.writer != writer:
            continue
        db = connect(segment.path)
        try:
            made = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
            ).fetchone()
            newest = None
            if made:
                newest = db.execute(f"SELECT MAX(time_ms) FROM {TABLE}").fetchone()[0]
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
        if made:
            seal_path(segment.path, segment.start_ms, newest or segment.start_ms, writer)
        else:
            _remove_with_journals(segment.path)


def _remove_with_journals(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    fsync_directory(path.parent)


def delete_expired(directory: Path, before_ms: int) -> int:
    """Remove the sealed segments whose newest event is older than `before_ms`."""
    removed = 0
    for segment in list_segments(directory):
        if segment.end_ms is not None and segment.end_ms < before_ms:
            segment.path.unlink(missing_ok=True)
            removed += 1
    return removed


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rows_of(
    path: Path, where: str, params: Sequence[Any], *, order: str, limit: int | None
) -> Iterator[tuple[Any, ...]]:
    """`(id, *COLUMNS)` rows of one segment matching `where` (a trusted SQL fragment of this
    package), in `order`."""
    try:
        db = connect(path)
    except (FileNotFoundError, sqlite3.OperationalError):
        return  # sealed (renamed) or expired meanwhile
    try:
        sql = f"SELECT id, {', '.join(COLUMNS)} FROM {TABLE} WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        yield from db.execute(sql, tuple(params))
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
    finally:
        db.close()
