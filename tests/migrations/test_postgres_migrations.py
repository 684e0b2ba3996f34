"""PostgreSQL migrations: each package's `sql/postgresql/` twin of its SQLite migrations,
applied once, refusing a schema newer than the code, and leaving the same tables, columns and
indexes as SQLite's (a statement that works on one engine finds its columns on the other)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from ferry.control import CONTROL_MIGRATIONS
from ferry.region import REGION_MIGRATIONS
from ferry.store import PostgresDatabase, migrate_postgres
from ferry.store.db import apply_migrations
from ferry.store.errors import SchemaMismatch
from ferry.store.migrations import POSTGRESQL, SQLITE, known_migrations
from tests import postgres

DATABASES = {"region": REGION_MIGRATIONS, "control": CONTROL_MIGRATIONS}
# Tables only PostgreSQL has, each behind a view with a SQLite table's name and columns (so the
# same SQL reads both): bucket_usage and replication_failure_counts sum their slots (see
# store/sql/postgresql/0010_bucket_quota.sql and replication/sql/postgresql/0004_…).
POSTGRESQL_ONLY_TABLES = {
    "bucket_usage_slots",
    "replication_failure_count_slots",
    "replication_metrics_slots",
    "replication_latency_slots",
}


@pytest.fixture
def pg_url() -> Iterator[str]:
    reason = postgres.unavailable_reason()
    if reason is not None:
        if os.environ.get("FERRY_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    url = postgres.create_database()
    yield url
    postgres.drop_database(url)


def _pg_columns(db: PostgresDatabase) -> dict[str, set[str]]:
    rows = db.read_now(
        lambda tx: tx.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name != 'schema_migrations'"
        ).fetchall()
    )
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    return tables


def _pg_indexes(db: PostgresDatabase) -> set[str]:
    rows = db.read_now(
        lambda tx: tx.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)"  # keys' own indexes
        ).fetchall()
    )
    return {r[0] for r in rows}


def _sqlite_schema(packages: Sequence[str], path: Path) -> tuple[dict[str, set[str]], set[str]]:
    conn = sqlite3.connect(path)
    apply_migrations(conn, packages)
    tables = {
        name: {row[1] for row in conn.execute(f"PRAGMA table_info({name})")}
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'"
        )
    }
    indexes = {
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
        )
    }
    conn.close()
    return tables, indexes


@pytest.mark.parametrize("component", sorted(DATABASES))
def test_every_sqlite_migration_has_its_postgresql_twin(component: str) -> None:
    packages = DATABASES[component]
    assert [m.name for m in known_migrations(packages, POSTGRESQL)] == [
        m.name for m in known_migrations(packages, SQLITE)
    ]


@pytest.mark.parametrize("component", sorted(DATABASES))
def test_postgresql_schema_matches_sqlite(component: str, pg_url: str, tmp_path: Path) -> None:
    packages = DATABASES[component]
    db = PostgresDatabase(pg_url)
    try:
        applied = migrate_postgres(db, packages, component=component, apply=True, where="t")
        assert applied == [m.name for m in known_migrations(packages, POSTGRESQL)]
        assert migrate_postgres(db, packages, component=component, apply=True, where="t") == []
        tables, indexes = _sqlite_schema(packages, tmp_path / "schema.sqlite3")
        columns = _pg_columns(db)
        assert {t: c for t, c in columns.items() if t not in POSTGRESQL_ONLY_TABLES} == tables
        assert _pg_indexes(db) == indexes
    finally:
        db.close()


def test_pending_migrations_are_refused_unless_applied(pg_url: str) -> None:
    db = PostgresDatabase(pg_url)
    try:
        with pytest.raises(SchemaMismatch, match="ferry migrate"):
            migrate_postgres(db, REGION_MIGRATIONS, component="region", apply=False, where="t")
        migrate_postgres(db, REGION_MIGRATIONS, component="region", apply=True, where="t")
        assert (
            migrate_postgres(db, REGION_MIGRATIONS, component="region", apply=False, where="t")
            == []
        )
    finally:
        db.close()


def test_a_schema_newer_than_the_code_is_refused(pg_url: str) -> None:
    db = PostgresDatabase(pg_url)
    try:
        migrate_postgres(db, CONTROL_MIGRATIONS, component="control", apply=True, where="t")
        db.read_now(
            lambda tx: tx.execute(
                "INSERT INTO schema_migrations VALUES ('control:9999_from_the_future.sql', 0)"
            )
        )
        with pytest.raises(SchemaMismatch, match=r"9999_from_the_future\.sql"):
            migrate_postgres(db, CONTROL_MIGRATIONS, component="control", apply=True, where="t")
    finally:
        db.close()


def test_a_region_and_the_control_plane_may_share_one_database(pg_url: str) -> None:
    db = PostgresDatabase(pg_url)
    try:
        migrate_postgres(db, REGION_MIGRATIONS, component="region", apply=True, where="t")
        migrate_postgres(db, CONTROL_MIGRATIONS, component="control", apply=True, where="t")
        assert (
            migrate_postgres(db, REGION_MIGRATIONS, component="region", apply=False, where="t")
            == []
        )
    finally:
        db.close()
