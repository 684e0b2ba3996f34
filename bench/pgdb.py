"""Fresh PostgreSQL databases for the benchmarks: one per server per run, dropped afterwards.

The server is the one on this machine (127.0.0.1:5432, user postgres, trust auth) unless
FERRY_BENCH_PG_URL names another (any database on it: this module only connects there to run
CREATE/DROP DATABASE). Each database's name carries the benchmark's pid, so concurrent runs on
a shared server never collide.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ADMIN_URL = os.environ.get("FERRY_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CONNECT_TIMEOUT_S = 5


class PostgresUnavailable(Exception):
    """The PostgreSQL server cannot be reached or refused to create a database."""


def url_for(database: str) -> str:
    """ADMIN_URL with its database replaced by `database`."""
    return urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{database}"))


def fresh_name(label: str) -> str:
    slug = "".join(c if c.isalnum() else "_" for c in label.lower())
    return f"ferry_bench_{slug}_{os.getpid()}_{secrets.token_hex(3)}"


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        raise PostgresUnavailable(f"PostgreSQL at {ADMIN_URL}: {exc}".strip()) from exc


def create(name: str) -> str:
    """CREATE DATABASE `name`; return its URL."""
    with _admin() as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            raise PostgresUnavailable(f"CREATE DATABASE {name}: {exc}".strip()) from exc
    return url_for(name)


def drop(name: str) -> None:
    """DROP DATABASE `name`, ending any session still in it (a killed server's, say)."""
    with contextlib.suppress(PostgresUnavailable, psycopg.Error), _admin() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextlib.contextmanager
def fresh_database(label: str) -> Iterator[str]:
    """A new empty database for the block; its URL. Dropped on the way out."""
    name = fresh_name(label)
    url = create(name)
    try:
        yield url
    finally:
        drop(name)


def durability_settings() -> dict[str, str]:
    """The server-wide settings that make a commit durable, as SHOW reports them. Ferry sets
    synchronous_commit = on in every session it opens (ferry/store/postgres.py), whatever
    the server's default; fsync cannot be set per session."""
    names = ("fsync", "synchronous_commit", "wal_sync_method", "full_page_writes", "server_version")
    with _admin() as conn:
        return {name: str(conn.execute(f"SHOW {name}").fetchone()[0]) for name in names}  # type: ignore[index]


def activity(database: str) -> dict[str, int]:
    """Counters to show that commits reach the disk: the cluster's WAL flushes (pg_stat_wal,
    every database on the server together) and `database`'s committed transactions."""
    with _admin() as conn:
        wal = conn.execute("SELECT wal_sync, wal_write FROM pg_stat_wal").fetchone()
        commits = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (database,)
        ).fetchone()
    return {
        "wal_sync": int(wal[0]) if wal else 0,  # type: ignore[call-overload]
        "wal_write": int(wal[1]) if wal else 0,  # type: ignore[call-overload]
        "xact_commit": int(commits[0]) if commits else 0,  # type: ignore[call-overload]
    }
