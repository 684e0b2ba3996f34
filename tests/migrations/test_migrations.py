"""Every migration applies in order on an empty database, once, and leaves the schema the
store expects."""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path

from ferry.store.db import apply_migrations


def migration_names() -> list[str]:
    folder = resources.files("ferry.store.sql") / "migrations"
    return sorted(e.name for e in folder.iterdir() if e.name.endswith(".sql"))


def test_migrations_are_numbered_without_gaps() -> None:
    numbers = [int(name.split("_", 1)[0]) for name in migration_names()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_fresh_database_gets_every_migration_once(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    assert apply_migrations(conn) == migration_names()
    assert apply_migrations(conn) == []
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"buckets", "versions", "uploads", "parts", "schema_migrations"} <= tables
    conn.close()


def test_a_failing_migration_leaves_nothing_half_applied(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    conn.execute("CREATE TABLE buckets (name TEXT)")  # clashes with 0001
    try:
        apply_migrations(conn)
    except sqlite3.OperationalError:
        pass
    else:
        raise AssertionError("the clashing migration should have failed")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "versions" not in tables
    assert list(conn.execute("SELECT name FROM schema_migrations")) == []
    conn.close()
