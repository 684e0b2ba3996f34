"""Throw-away PostgreSQL databases for tests. A test run creates one database of its own (and
drops it at the end); each test, or each database of a test deployment, gets a schema of its
own inside it, which is as isolated as a database for Ferry and far quicker to make. The server
is FERRY_TEST_PG_DSN's (default: the machine's PostgreSQL at 127.0.0.1:5432, trust auth);
`.ci/run` starts it when it is down."""

from __future__ import annotations

import os
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CONNECT_TIMEOUT_S = 5
_run_database: list[str] = []  # this test run's database, made on first use


def admin_url() -> str:
    return os.environ.get("FERRY_TEST_PG_DSN") or DEFAULT_ADMIN_URL


def unavailable_reason() -> str | None:
    """Why PostgreSQL cannot be used by the tests, or None when it can."""
    try:
        psycopg.connect(admin_url(), connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {admin_url()} is unreachable ({str(exc).strip()[:200]})"
    return None


def _with_path(url: str, database: str, query: str = "") -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}", query=query))


def run_database_url() -> str:
    if not _run_database:
        name = f"ferry_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        _run_database.append(name)
    return _with_path(admin_url(), _run_database[0])


def create_database(prefix: str = "t") -> str:
    """A new empty database for Ferry (a schema of the run's database); returns its URL."""
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(run_database_url(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    options = quote(f"-csearch_path={schema}")
    return _with_path(admin_url(), _run_database[0], f"options={options}")


def drop_database(url: str) -> None:
    query = urlsplit(url).query
    schema = query.split("search_path%3D", 1)[1]
    with psycopg.connect(run_database_url(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def drop_run_database() -> None:
    """At the end of the run: the run's database goes, whatever a test left in it."""
    if _run_database:
        with psycopg.connect(admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{_run_database.pop()}" WITH (FORCE)')
