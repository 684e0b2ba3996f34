"""Every migration applies in order on an empty database, once, and leaves the schema the
store expects. Each package keeps its own tables' migrations (`<package>/sql/sqlite/`); a
database applies them package by package, in dependency order."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from ferry.control import CONTROL_MIGRATIONS
from ferry.region import REGION_MIGRATIONS
from ferry.store.db import _split_sql, apply_migrations, migration_files

DATABASES = {"region": REGION_MIGRATIONS, "control": CONTROL_MIGRATIONS}


def migration_names(packages: Sequence[str]) -> list[str]:
    return [entry.name for entry in migration_files(packages)]


def schema(conn: sqlite3.Connection) -> set[tuple[str, str, str]]:
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master"
        " WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'"
    )
    return {(r[0], r[1], " ".join(r[2].split())) for r in rows}


@pytest.mark.parametrize("database", DATABASES)
def test_migrations_are_numbered_without_gaps_across_the_database(database: str) -> None:
    # Names are unique across a database's packages (schema_migrations is keyed by name).
    numbers = sorted(int(name.split("_", 1)[0]) for name in migration_names(DATABASES[database]))
    assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.parametrize("database", DATABASES)
def test_fresh_database_gets_every_migration_once(tmp_path: Path, database: str) -> None:
    packages = DATABASES[database]
    conn = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    assert apply_migrations(conn, packages) == migration_names(packages)
    assert apply_migrations(conn, packages) == []
    conn.close()


def test_region_database_holds_every_package_s_tables(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    apply_migrations(conn, REGION_MIGRATIONS)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "buckets",
        "versions",
        "uploads",
        "parts",
        "schema_migrations",
        "kms_keys",
        "replication_tasks",
        "batch_jobs",
        "event_outbox",
    } <= tables
    conn.close()


def test_package_order_gives_the_schema_of_the_historical_order(tmp_path: Path) -> None:
    """Databases created before migrations moved into their packages applied them by number
    alone (0001 … 0010, interleaving packages); a fresh database applies them package by
    package. Both must end with the same schema."""
    fresh = sqlite3.connect(tmp_path / "fresh.sqlite3", isolation_level=None)
    apply_migrations(fresh, REGION_MIGRATIONS)
    historical = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)
    by_number = sorted(migration_files(REGION_MIGRATIONS), key=lambda e: e.name)
    for entry in by_number:
        for statement in _split_sql(entry.read_text(encoding="utf-8")):
            historical.execute(statement)
    assert schema(fresh) == schema(historical)
    fresh.close()
    historical.close()


def test_a_database_migrated_before_the_move_gets_nothing_again(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_ms INT)")
    for entry in sorted(migration_files(REGION_MIGRATIONS), key=lambda e: e.name):
        for statement in _split_sql(entry.read_text(encoding="utf-8")):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, 0)", (entry.name,))
    assert apply_migrations(conn, REGION_MIGRATIONS) == []
    conn.close()


def test_a_failing_migration_leaves_nothing_half_applied(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    conn.execute("CREATE TABLE buckets (name TEXT)")  # clashes with 0001
    try:
        apply_migrations(conn, REGION_MIGRATIONS)
    except sqlite3.OperationalError:
        pass
    else:
        raise AssertionError("the clashing migration should have failed")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "versions" not in tables
    assert list(conn.execute("SELECT name FROM schema_migrations")) == []
    conn.close()
