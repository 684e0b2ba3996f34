"""Schema migrations, per engine: each owning package keeps its `NNNN_name.sql` files, one folder
per dialect, and a database is made of the migrations of the packages that keep tables in it.

A migration is known by its file name, the same in both dialects. A database that records a
name this Ferry does not know was migrated by a newer Ferry: it is refused rather than guessed
at. SQLite (the embedded default) migrates itself on open; PostgreSQL, shared by many nodes,
only when asked (`ferry migrate`, or `ferry serve --migrate`), under an advisory lock so that
two nodes starting together never apply the same migration twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from ferry.store.errors import SchemaMismatch

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
DIALECT_FOLDERS = {SQLITE: ("sql", "sqlite"), POSTGRESQL: ("sql", "postgresql")}
MIGRATIONS_LOCK = "ferry-schema-migrations"
CREATE_LEDGER_SQL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_ms BIGINT)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    name: str
    script: str


def known_migrations(packages: Sequence[str], dialect: str) -> list[Migration]:
    """The migrations of `packages` (each keeps `sql/<dialect>/NNNN_name.sql` for the tables it
    owns), package by package in the order given (the dependency order), by name within one.

    The ledger is keyed by file name (the names predate per-package folders), so names are
    unique across one database: a new migration takes the next number after every package's,
    whichever package it belongs to."""
    found: list[Migration] = []
    owner: dict[str, str] = {}
    for package in packages:
        folder = resources.files(package).joinpath(*DIALECT_FOLDERS[dialect])
        if not folder.is_dir():
            continue  # a package with no tables of this engine's
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".sql"):
                continue
            if entry.name in owner:
                raise ValueError(
                    f"migration {entry.name} of {package} clashes with {owner[entry.name]}'s"
                )
            owner[entry.name] = package
            found.append(Migration(name=entry.name, script=entry.read_text(encoding="utf-8")))
    return found


def plan(applied: set[str], known: Sequence[Migration], where: str) -> list[Migration]:
    """What is still to apply; refuses a schema newer than the code."""
    unknown = sorted(applied - {m.name for m in known})
    if unknown:
        raise SchemaMismatch(
            f"{where}: the schema is newer than this Ferry (migrations it does not know: "
            f"{', '.join(unknown)}); run the Ferry release that migrated it"
        )
    return [m for m in known if m.name not in applied]


def check_sqlite(conn: sqlite3.Connection, packages: Sequence[str], where: str) -> list[str]:
    """The names of the pending migrations, applying none; refuses a schema newer than the code."""
    conn.execute(CREATE_LEDGER_SQL)
    applied_names = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    return [m.name for m in plan(applied_names, known_migrations(packages, SQLITE), where)]


def migrate_sqlite(conn: sqlite3.Connection, packages: Sequence[str], where: str) -> list[str]:
    """Apply every pending migration, each in its own transaction."""
    conn.execute(CREATE_LEDGER_SQL)
    applied_names = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    applied = []
    for migration in plan(applied_names, known_migrations(packages, SQLITE), where):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Several processes may open one database at once (the control plane is shared by
            # every region): only the first to take the write lock applies the migration.
            if _is_applied(conn, migration.name):
                conn.execute("COMMIT")
                continue
            for statement in split_sqlite_script(migration.script):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, CAST(strftime('%s','now') AS INT)*1000)",
                (migration.name,),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(migration.name)
    return applied


def _is_applied(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)).fetchone()
    return row is not None


def split_sqlite_script(script: str) -> list[str]:
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
