"""Command line: thin wrappers that build a region or a deployment and run it."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError, version

from ferry.cli import (
    accounts,
    doctor,
    down,
    explain,
    failures,
    migrate,
    quota,
    replication_status,
    serve,
    status,
    trail,
    up,
    verify,
    worker,
)


def ferry_version() -> str:
    try:
        return version("ferry")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ferry", description="Ferry object store")
    parser.add_argument("--version", action="version", version=f"ferry {ferry_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    up.add_parser(commands)
    status.add_parser(commands)
    down.add_parser(commands)
    serve.add_parser(commands)
    worker.add_parser(commands)
    failures.add_parser(commands)
    accounts.add_parser(commands)
    quota.add_parser(commands)
    migrate.add_parser(commands)
    verify.add_parser(commands)
    doctor.add_parser(commands)
    explain.add_parser(commands)
    trail.add_parser(commands)
    replication_status.add_parser(commands)
    args = parser.parse_args(argv)
    sys.exit(args.run(args))


__all__ = ["main"]
