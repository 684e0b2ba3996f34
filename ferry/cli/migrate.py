"""`ferry migrate --config FILE`: bring every database of a deployment (each region's metadata
and the control plane) to the schema this Ferry knows, and say what was applied.

SQLite databases migrate themselves when opened; PostgreSQL databases, shared by every node of a
region, migrate only here (or with `ferry serve --migrate`), so that an upgrade is one deliberate
step. `--check` applies nothing and exits 1 when a database has migrations to apply.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ferry.config import load_deployment
from ferry.region import STARTUP_ERRORS, deployment_databases, migrate_database
from ferry.store import redact_url
from ferry.store.errors import SchemaMismatch


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "migrate", help="apply pending schema migrations to every database of a deployment"
    )
    parser.add_argument("--config", type=Path, required=True, help="the deployment's ferry.toml")
    parser.add_argument(
        "--check",
        action="store_true",
        help="apply nothing; exit 1 when a PostgreSQL database has migrations to apply",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        deployment = load_deployment(args.config)
    except STARTUP_ERRORS as exc:
        print(f"ferry migrate: {exc}", flush=True)
        return 2
    status = 0
    for spec in deployment_databases(deployment):
        where = spec.url if spec.url == "sqlite" else redact_url(spec.url)
        try:
            applied = migrate_database(spec, apply=not args.check)
        except SchemaMismatch as exc:
            print(f"ferry migrate: {exc}", flush=True)
            status = 1
            continue
        except STARTUP_ERRORS as exc:
            print(f"ferry migrate: {exc}", flush=True)
            return 2
        done = f"applied {', '.join(applied)}" if applied else "up to date"
        print(f"{spec.name}: {where}: {done}", flush=True)
    return status
