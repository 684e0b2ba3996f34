"""`ferry trail query`: the audit trail's events matching filters, newest first — a table, or
CloudTrail records (`--json`, one per line). Reads the regions' trail segments directly (the
files under each region's `[trail] dir`), so it answers with the regions down too.

Seed 003's exercise, which PutObject calls were replication and which were users':
`ferry trail query --bucket B --event PutObject` shows invokedBy for each; add
`--invoked-by s3.amazonaws.com` for replication's alone, `--invoked-by ''` for users' alone.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import UTC, datetime

from ferry.cli.admin_client import render_table
from ferry.cli.deployment_file import add_deployment_options, resolve_deployment
from ferry.config import ConfigError
from ferry.events.trail import TrailEvent, TrailFilter, query_trail, to_cloudtrail

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DEFAULT_LIMIT = 100


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trail = commands.add_parser("trail", help="the audit trail of API requests")
    actions = trail.add_subparsers(dest="trail_command", required=True)
    query = actions.add_parser("query", help="events matching filters, newest first")
    add_deployment_options(query)
    query.add_argument("--region", help="only this region (default: every region)")
    query.add_argument("--bucket", help="requests addressing this bucket")
    query.add_argument("--key", help="requests addressing this object key")
    query.add_argument("--event", help="the operation, as CloudTrail names it (PutObject…)")
    query.add_argument(
        "--invoked-by", help="s3.amazonaws.com: calls S3 made (replication); '': users' calls"
    )
    query.add_argument("--user", help="the caller's ARN (a replication write: its role session)")
    query.add_argument("--since", help="only the last DURATION (30s, 15m, 1h, 7d)")
    query.add_argument("--json", action="store_true", help="CloudTrail records, one a line")
    query.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT,
        help="at most N events (default %(default)s; 0: all)",
    )  # fmt: skip
    query.set_defaults(run=run_query)


def parse_since(text: str, now_s: float) -> int:
    found = _DURATION.match(text.strip())
    if found is None:
        raise ValueError(f"--since: {text!r} is not a duration like 30s, 15m, 1h or 7d")
    return int((now_s - float(found[1]) * _UNITS_S[found[2]]) * 1000)


def run_query(args: argparse.Namespace) -> int:
    try:
        deployment = resolve_deployment(args.config, args.data_dir)
        regions = deployment.regions
        if args.region is not None:
            regions = (deployment.region(args.region),)
        since = parse_since(args.since, time.time()) if args.since else None
    except (ConfigError, ValueError, KeyError) as exc:
        print(f"ferry trail query: {exc}", file=sys.stderr)
        return 2
    where = TrailFilter(
        bucket=args.bucket, key=args.key, event_name=args.event, invoked_by=args.invoked_by,
        arn=args.user, since_ms=since,
    )  # fmt: skip
    directories = [deployment.trail.directory(region) for region in regions]
    events = query_trail(directories, where, limit=args.limit or None)
    if args.json:
        for event in events:
            sys.stdout.write(json.dumps(to_cloudtrail(event), separators=(",", ":")) + "\n")
        return 0
    rows = [_row(event) for event in events]
    print(render_table(HEADERS, rows))
    print(f"{len(rows)} event(s)")
    return 0


HEADERS = ("TIME", "REGION", "EVENT", "BUCKET", "KEY", "VERSION", "INVOKED BY", "USER", "ERROR")


def _row(event: TrailEvent) -> list[str]:
    when = datetime.fromtimestamp(event.time_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        when, event.region, event.event_name, event.bucket or "-", event.key or "-",
        event.version_id or "-", event.invoked_by or "-", event.arn or "anonymous",
        event.error_code or "-",
    ]  # fmt: skip
