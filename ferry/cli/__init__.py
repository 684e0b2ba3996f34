"""Command line: thin wrappers that build a region or a deployment and run it."""

from __future__ import annotations

import argparse
import sys

from ferry.cli import accounts, failures, migrate, quota, serve, up, worker


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ferry", description="Ferry object store")
    commands = parser.add_subparsers(dest="command", required=True)
    up.add_parser(commands)
    serve.add_parser(commands)
    worker.add_parser(commands)
    failures.add_parser(commands)
    accounts.add_parser(commands)
    quota.add_parser(commands)
    migrate.add_parser(commands)
    args = parser.parse_args(argv)
    sys.exit(args.run(args))


__all__ = ["main"]
