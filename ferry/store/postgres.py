"""The metadata database on PostgreSQL, through psycopg 3 and its connection pool.

The store's contract is a synchronous function run inside one transaction (`Database.write(fn)`
with `fn(tx)`): version hooks run inside the commit as plain functions, as in Garage. So each
transaction runs in a worker thread on a pooled connection (psycopg releases the GIL while it
waits for the server), and the event loop only awaits it. PostgreSQL's own WAL group commit
takes the place of SQLite's: every transaction commits on its own, `synchronous_commit` on.

SQL is written once with `?` placeholders; `PostgresTx` turns them into psycopg's `%s`.
Concurrency differs from SQLite, where one writer at a time made every read-then-write safe:
here transactions run side by side under READ COMMITTED, so code that reads a key's state and
then writes it takes `Tx.lock(...)` first (a transaction-scoped advisory lock), and a deadlock or
serialisation failure re-runs the whole function (it only runs SQL, so running it again is safe).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
import psycopg.errors
import psycopg_pool
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.rows import tuple_row

from ferry.store.db import Tx
from ferry.store.errors import (
    Busy,
    DatabaseUnavailable,
    InvalidArgument,
    SchemaMismatch,
    StorageFull,
    StoreConflict,
)
from ferry.store.migrations import (
    CREATE_LEDGER_SQL,
    MIGRATIONS_LOCK,
    POSTGRESQL,
    known_migrations,
    plan,
)

log = logging.getLogger("ferry.store.postgres")

T = TypeVar("T")
POOL_MAX_SIZE = 16
CONNECT_TIMEOUT_S = 10.0
MAX_TRANSACTION_RETRIES = 8
MAX_LOST_RACE_RETRIES = 2
RETRY_PAUSE_S = 0.005
NUL_TEXT_MESSAGE = "Names and values may not contain the character U+0000 on this store"


class _BoolAsIntDumper(Dumper):
    """Flags are INTEGER 0/1 columns (as in SQLite): a Python bool goes in as an int8."""

    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


class _IntegralNumericLoader(Loader):
    """SUM() of a BIGINT is a NUMERIC in PostgreSQL and an INTEGER in SQLite: give callers the
    same int (or a float for a fractional value, which Ferry's SQL never produces)."""

    format = Format.TEXT

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        try:
            return int(text)
        except ValueError:
            return float(text)


class Row(tuple[Any, ...]):
    """A result row readable by position and by column name, like `sqlite3.Row`."""

    _names: dict[str, int] = {}

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, str):
            return tuple.__getitem__(self, self._names[index])
        return tuple.__getitem__(self, index)

    def keys(self) -> list[str]:
        return list(self._names)


_ROW_CLASSES: dict[tuple[str, ...], type[Row]] = {}


def _row_class(names: tuple[str, ...]) -> type[Row]:
    cls = _ROW_CLASSES.get(names)
    if cls is None:
        cls = type("Row", (Row,), {"_names": {n: i for i, n in enumerate(names)}})
        _ROW_CLASSES[names] = cls
    return cls


def _row_factory(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], Row]:
    names = tuple(c.name for c in cursor.description or ())
    cls = _row_class(names)
    return lambda values: cls(values)


class Result:
    """A statement's rows, read from the server at once (psycopg's client-side cursor holds
    them all anyway), so that the transaction's one cursor is free for the next statement.
    Each row becomes a `Row` only when it is handed out."""

    __slots__ = ("_cls", "_next", "_rows", "rowcount")

    def __init__(self, cls: type[Row], rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._cls = cls
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    def fetchone(self) -> Row | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._cls(self._rows[self._next - 1])

    def fetchall(self) -> list[Row]:
        cls, rows = self._cls, self._rows[self._next :]
        self._next = len(self._rows)
        return [cls(values) for values in rows]

    def __iter__(self) -> Iterator[Row]:
        while (row := self.fetchone()) is not None:
            yield row


_TUPLES_OK = psycopg.pq.ExecStatus.TUPLES_OK
# The row class of each statement's result columns, by SQL text (a statement's columns never
# change), so that a result costs no column descriptions.
_ROW_CLASS_BY_SQL: dict[str, type[Row]] = {}


def _result(cursor: psycopg.Cursor[Any], sql: str) -> Result:
    pgresult = cursor.pgresult
    if pgresult is None or pgresult.status != _TUPLES_OK:
        return Result(Row, [], cursor.rowcount)
    cls = _ROW_CLASS_BY_SQL.get(sql)
    if cls is None:
        names = tuple((pgresult.fname(i) or b"").decode() for i in range(pgresult.nfields))
        cls = _row_class(names)
        if len(_ROW_CLASS_BY_SQL) < 10_000:
            _ROW_CLASS_BY_SQL[sql] = cls
    return Result(cls, cursor.fetchall(), cursor.rowcount)


_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?|%")
_TRANSLATED: dict[str, str] = {}


def translate_placeholders(sql: str) -> str:
    """`?` → `%s`, and every literal `%` → `%%` (psycopg reads `%` inside quoted strings too);
    a `?` inside a quoted string is text, and stays."""
    translated = _TRANSLATED.get(sql)
    if translated is None:

        def replace(match: re.Match[str]) -> str:
            token = match.group(0)
            return "%s" if token == "?" else token.replace("%", "%%")

        translated = _PLACEHOLDER.sub(replace, sql)
        if len(_TRANSLATED) < 10_000:
            _TRANSLATED[sql] = translated
    return translated


class PostgresTx:
    """What store functions get on PostgreSQL: a connection inside a transaction.

    One cursor serves every statement of the transaction (a cursor per statement cost as
    much client CPU as the statement itself, measured); each result is read at once."""

    dialect = POSTGRESQL

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn
        self._cursor: psycopg.Cursor[Any] = conn.cursor(row_factory=tuple_row)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        cursor = self._cursor
        if not params:  # without parameters psycopg sends the text as it is: `%` stays `%`
            cursor.execute(sql)
        else:
            cursor.execute(translate_placeholders(sql), params)
        return _result(cursor, sql)

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Result:
        cursor = self._cursor
        cursor.executemany(translate_placeholders(sql), params)
        return Result(Row, [], cursor.rowcount)

    def lock(self, scope: str) -> None:
        """Serialise this transaction with every other one that locks `scope`, until commit."""
        self._cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (scope,))


_RETRIED = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)
_LOST_RACE = (psycopg.errors.UniqueViolation, psycopg.errors.ForeignKeyViolation)


@contextlib.contextmanager
def translate_pg_errors() -> Iterator[None]:
    """No psycopg exception leaves this module."""
    try:
        yield
    except psycopg.errors.DiskFull as exc:
        raise StorageFull() from exc
    except psycopg.errors.UntranslatableCharacter as exc:
        raise InvalidArgument(NUL_TEXT_MESSAGE) from exc
    except psycopg.DataError as exc:
        # PostgreSQL text cannot hold U+0000 (SQLite's can): a key or value with one is refused.
        message = NUL_TEXT_MESSAGE if "NUL" in str(exc) else _first_line(exc)
        raise InvalidArgument(message) from exc
    except psycopg.IntegrityError as exc:
        raise StoreConflict(str(exc).strip()) from exc
    except (psycopg.errors.LockNotAvailable, psycopg_pool.PoolTimeout, *_RETRIED) as exc:
        raise Busy() from exc
    except psycopg.OperationalError as exc:
        raise Busy() from exc


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_dumper(bool, _BoolAsIntDumper)
    conn.adapters.register_loader("numeric", _IntegralNumericLoader)
    # Durable on acknowledgement, whatever the server's default says.
    conn.execute("SET synchronous_commit = on")
    conn.commit()


class PostgresDatabase:
    """`Database` on PostgreSQL. `key` names the ferry.toml setting the URL came from."""

    dialect = POSTGRESQL

    def __init__(self, url: str, *, key: str = "database", max_size: int = POOL_MAX_SIZE) -> None:
        self.url = url
        self._key = key
        self._pool: psycopg_pool.ConnectionPool[psycopg.Connection[Row]] = (
            psycopg_pool.ConnectionPool(
                url,
                min_size=1,
                max_size=max_size,
                kwargs={"row_factory": _row_factory, "autocommit": False},
                configure=_configure,
                open=False,
                name=key,
                timeout=CONNECT_TIMEOUT_S,
            )
        )
        self._executor = ThreadPoolExecutor(max_workers=max_size, thread_name_prefix="ferry-pg")
        self._open()

    def _open(self) -> None:
        # Connect once by hand first: the pool would only retry quietly until its timeout.
        try:
            psycopg.connect(self.url, connect_timeout=int(CONNECT_TIMEOUT_S)).close()
        except psycopg.Error as exc:
            raise DatabaseUnavailable(
                key=self._key, url=redact_url(self.url), reason=_first_line(exc)
            ) from exc
        self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Row]]:
        """A pooled connection for the migration runner (outside any transaction)."""
        with self._pool.connection() as conn:
            yield conn

    async def write(self, fn: Callable[[Tx], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transaction, fn)

    async def read(self, fn: Callable[[Tx], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._read, fn)

    def read_now(self, fn: Callable[[Tx], T]) -> T:
        """Synchronous read, for start-up code and the per-request key lookup (cached)."""
        return self._read(fn)

    def _read(self, fn: Callable[[Tx], T]) -> T:
        """A read runs in autocommit mode: under READ COMMITTED every statement takes its own
        snapshot even inside a transaction, so wrapping reads in one only added its BEGIN and
        COMMIT round trips (two of a lookup's three, measured). A `Tx.lock` in a read (a quota
        pre-check) then waits for the writer holding it and is released at once, which is all
        a pre-check needs: the write checks again under the lock."""
        with translate_pg_errors(), self._pool.connection() as conn:
            conn.autocommit = True
            try:
                return fn(PostgresTx(conn))
            finally:
                with contextlib.suppress(psycopg.Error):  # a broken one: the pool discards it
                    conn.autocommit = False

    def _transaction(self, fn: Callable[[Tx], T]) -> T:
        lost_races = 0
        for attempt in range(MAX_TRANSACTION_RETRIES):
            try:
                with (
                    translate_pg_errors(),
                    self._pool.connection() as conn,
                    conn.transaction(),
                ):
                    return fn(PostgresTx(conn))
            except Busy as exc:
                if not isinstance(exc.__cause__, _RETRIED):
                    raise
            except StoreConflict as exc:
                # A function that checked a row and then wrote lost a race to a transaction
                # that committed first: it inserted a name just taken (a user, a bucket claim),
                # or a version into a bucket just deleted. Run again, it sees that commit and
                # answers as on SQLite, where writers take turns (EntityAlreadyExists,
                # NoSuchBucket, BucketNotEmpty...); a conflict it does not check for comes back
                # the same and is raised.
                if not isinstance(exc.__cause__, _LOST_RACE):
                    raise
                lost_races += 1
                if lost_races > MAX_LOST_RACE_RETRIES:
                    raise
            log.debug("transaction retried", extra={"attempt": attempt + 1})
            time.sleep(RETRY_PAUSE_S * (attempt + 1))
        raise Busy()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._pool.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def migrate_postgres(
    db: PostgresDatabase,
    packages: Sequence[str],
    *,
    component: str,
    apply: bool,
    where: str,
) -> list[str]:
    """Apply the pending migrations of `packages` (when `apply`) in one transaction: all of
    them or none (DDL is transactional here). A session advisory lock makes nodes that start
    together take turns. Without `apply`, a database with pending migrations is refused with
    what to run.

    The ledger names each migration `component:file` ("region:0001_initial.sql"), so that a
    region's metadata and the control plane may share one PostgreSQL database (their tables
    never share a name); only `component`'s own rows are judged."""
    prefix = f"{component}:"
    with translate_pg_errors(), db.connection() as conn:
        conn.autocommit = True
        conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (MIGRATIONS_LOCK,))
        try:
            conn.execute(CREATE_LEDGER_SQL)
            done = {
                row[0].removeprefix(prefix)
                for row in conn.execute("SELECT name FROM schema_migrations")
                if row[0].startswith(prefix)
            }
            pending = plan(done, known_migrations(packages, POSTGRESQL), where)
            if pending and not apply:
                raise SchemaMismatch(
                    f"{where}: {len(pending)} migration(s) to apply "
                    f"({', '.join(m.name for m in pending)}): run `ferry migrate --config FILE`"
                )
            with conn.transaction():
                for migration in pending:
                    conn.execute(migration.script.encode())  # several statements, no parameters
                    conn.execute(
                        "INSERT INTO schema_migrations VALUES (%s, "
                        "(extract(epoch FROM now()) * 1000)::bigint)",
                        (prefix + migration.name,),
                    )
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (MIGRATIONS_LOCK,))
            conn.autocommit = False
    return [m.name for m in pending]
