"""`ferry replication status --bucket B [--json]`: the bucket's replication, exactly as its
region's database counts it (`GET /_ferry/replication/status`): per rule and destination the
operations and bytes pending, the operations failed now, the operations and bytes replicated,
latency p50/p99 and the oldest pending operation's age; per rule its Metrics and Replication
Time Control settings and the RTC miss rate. A table like `mc replicate status`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ferry.cli.admin_client import CommandError, connection_options, render_table
from ferry.cli.bucket_admin import REGION_HELP, bucket_admin

STATUS_PATH = "/_ferry/replication/status"
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("replication", help="replication of a bucket: status")
    sub = group.add_subparsers(dest="replication_command", required=True, metavar="COMMAND")
    status = sub.add_parser(
        "status",
        parents=[connection_options(REGION_HELP)],
        help="what a bucket's replication owes, failed and did, per destination",
    )
    status.add_argument("--bucket", required=True, help="source bucket")
    status.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        with bucket_admin(args) as admin:
            answer = admin.call("GET", STATUS_PATH, args.bucket)
    except CommandError as exc:
        print(f"ferry replication status: {exc}", file=sys.stderr, flush=True)
        return 2
    print(json.dumps(answer, indent=2) if args.json else render_status(answer))
    return 0


def render_status(answer: dict[str, Any]) -> str:
    rules = answer["rules"]
    head = f"Replication of bucket {answer['bucket']} (region {answer['region']})"
    if not rules:
        return f"{head}\n\nNo replication rules, and nothing replicated."
    rows = [
        [
            rule["rule_id"], d["destination_bucket"], str(d["pending_operations"]),
            size(d["pending_bytes"]), str(d["failed_operations"]),
            str(d["replicated_operations"]), size(d["replicated_bytes"]),
            seconds(d["latency_p50_s"]), seconds(d["latency_p99_s"]),
            seconds(d["oldest_pending_s"]),
        ]
        for rule in rules
        for d in rule["destinations"]
    ]  # fmt: skip
    table = render_table(
        ["RULE", "DESTINATION", "PENDING", "PENDING BYTES", "FAILED", "REPLICATED",
         "REPLICATED BYTES", "LATENCY P50", "LATENCY P99", "OLDEST PENDING"],
        rows,
    )  # fmt: skip
    per_rule = []
    for rule in rules:
        tracked = sum(d["rtc_tracked_operations"] for d in rule["destinations"])
        missed = sum(d["rtc_missed_operations"] for d in rule["destinations"])
        per_rule.append(
            [
                rule["rule_id"], rule["status"], _enabled(rule["metrics"]),
                _enabled(rule["replication_time"]), str(tracked), str(missed),
                f"{100 * missed / tracked:.1f}%" if tracked else "—",
            ]
        )  # fmt: skip
    rtc = render_table(
        ["RULE", "STATUS", "METRICS", "RTC", "RTC TRACKED", "RTC MISSED", "RTC MISS RATE"],
        per_rule,
    )
    threshold = f"RTC threshold: {seconds(answer['rtc_threshold_s'])}"
    return f"{head}\n\n{table}\n\n{rtc}\n{threshold}"


def _enabled(flag: bool) -> str:
    return "Enabled" if flag else "Disabled"


def size(n: int) -> str:
    value = float(n)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 60:
        return f"{value:.2f} s"
    if value < 3600:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"
