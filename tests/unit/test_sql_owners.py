"""scripts/sql_owners.py: the tree passes; a module or migration that runs SQL against another
package's table fails, naming the module, the line, the table and its owner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "sql_owners.py"


def run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, check=False
    )


def plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


TREE = {
    "ferry/store/sql/sqlite/0001_initial.sql": (
        "-- the store's tables\nCREATE TABLE versions (seq INTEGER, replication_status TEXT);\n"
        "CREATE TABLE buckets (name TEXT);\n"
    ),
    "ferry/replication/sql/sqlite/0002_tasks.sql": "CREATE TABLE replication_tasks (id INT);\n",
    "ferry/store/versions.py": (
        'def set_status(tx):\n    tx.execute("UPDATE versions SET replication_status = ?")\n'
    ),
    # Generic SQL on a table its owner names (the store's durable queue) is allowed.
    "ferry/store/queue.py": (
        "def claim(tx, table):\n"
        '    return tx.execute(f"UPDATE {table} SET leased_until_ms = ? WHERE due_ms <= ?")\n'
    ),
    "ferry/replication/tasks.py": (
        '"""Docstrings may talk about UPDATE versions; only statements count."""\n'
        "def finish(tx):\n"
        '    tx.execute("DELETE FROM replication_tasks WHERE id = ?")\n'
    ),
}


def test_the_tree_runs_sql_only_against_its_own_tables() -> None:
    result = run(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_clean_planted_tree_passes(tmp_path: Path) -> None:
    result = run(plant(tmp_path, TREE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_module_updating_another_package_s_table_fails(tmp_path: Path) -> None:
    planted = {
        **TREE,
        "ferry/replication/planner.py": (
            "COLUMNS = 'seq'\n"
            "def plan(tx, seq):\n"
            '    tx.execute(f"SELECT {COLUMNS} FROM buckets b, versions v WHERE v.seq = ?")\n'
            '    tx.execute("UPDATE versions SET replication_status = ? WHERE seq = ?")\n'
        ),
    }
    result = run(plant(tmp_path, planted))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "ferry.replication.planner:3: buckets (owned by store)",
        "ferry.replication.planner:3: versions (owned by store)",
        "ferry.replication.planner:4: versions (owned by store)",
    ]


def test_a_migration_altering_another_package_s_table_fails(tmp_path: Path) -> None:
    planted = {
        **TREE,
        "ferry/replication/sql/sqlite/0003_jobs.sql": (
            "ALTER TABLE replication_tasks ADD COLUMN job_id TEXT;\n"
            "ALTER TABLE versions ADD COLUMN job_id TEXT;\n"
        ),
    }
    result = run(plant(tmp_path, planted))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "ferry/replication/sql/sqlite/0003_jobs.sql:2: versions (owned by store)"
    ]


def test_a_table_two_packages_create_fails(tmp_path: Path) -> None:
    planted = {**TREE, "ferry/events/sql/sqlite/0003_x.sql": "CREATE TABLE buckets (n TEXT);\n"}
    result = run(plant(tmp_path, planted))
    assert result.returncode == 1
    assert "buckets: created by events, store (one owner per table)" in result.stdout
