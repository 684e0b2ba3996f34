"""`ferry explain --bucket B --key K [--tag k=v …]`: which of the bucket's replication rules
select a new version of K with those tags, which destinations it would reach, whether its
delete markers would follow, and why not where not (`replication/explain.py`, evaluated by
the bucket's region on its configuration as stored)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from urllib.parse import urlencode

from ferry.cli.admin_client import CommandError, connection_options, render_table
from ferry.cli.bucket_admin import REGION_HELP, bucket_admin

EXPLAIN_PATH = "/_ferry/replication/explain"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "explain",
        parents=[connection_options(REGION_HELP)],
        help="where would a new version replicate?",
    )
    parser.add_argument("--bucket", required=True, help="source bucket")
    parser.add_argument("--key", required=True, help="the object key")
    parser.add_argument("--tag", action="append", default=[], type=_tag, metavar="K=V",
                        help="a tag of the version (repeatable)")  # fmt: skip
    parser.add_argument(
        "--storage-class",
        default="STANDARD",
        help="the version's storage class (default %(default)s)",
    )
    parser.add_argument("--sse-kms", action="store_true", help="the version is SSE-KMS encrypted")
    parser.set_defaults(run=run)


def _tag(text: str) -> tuple[str, str]:
    name, found, value = text.partition("=")
    if not found or not name:
        raise argparse.ArgumentTypeError(f"not a tag: {text!r} (K=V)")
    return name, value


def run(args: argparse.Namespace) -> int:
    params = {
        "key": args.key,
        "tags": urlencode(args.tag),
        "storage_class": args.storage_class,
        "sse_kms": "true" if args.sse_kms else "false",
    }
    try:
        with bucket_admin(args) as admin:
            answer = admin.call("GET", EXPLAIN_PATH, args.bucket, params)
    except CommandError as exc:
        print(f"ferry explain: {exc}", file=sys.stderr, flush=True)
        return 2
    print(json.dumps(answer, indent=2) if args.json else render_explanation(answer))
    return 0


def render_explanation(answer: dict[str, Any]) -> str:
    tags = ", ".join(f"{k}={v}" for k, v in answer["tags"].items()) or "no tags"
    lines = [f"a new version of {answer['bucket']}/{answer['key']} ({tags})", ""]
    rules = [[r["rule_id"], r["destination_bucket"], str(r["priority"] or "-"),
              "yes" if r["selects"] else "no", r["reason"]] for r in answer["rules"]]  # fmt: skip
    lines.append(render_table(["RULE", "DESTINATION", "PRIORITY", "SELECTS", "WHY"], rules))
    lines.append("")
    destinations = [
        [d["bucket"], "yes" if d["reached"] else "no", d["reason"],
         "yes" if d["delete_markers"] else "no", d["delete_marker_reason"]]
        for d in answer["destinations"]
    ]  # fmt: skip
    lines.append(render_table(
        ["DESTINATION", "REPLICATED", "WHY", "DELETE MARKERS", "WHY"], destinations))  # fmt: skip
    return "\n".join(lines)
