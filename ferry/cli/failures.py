"""`ferry failures list|summary|show|purge|redrive`: the replication failure store of every
region of the deployment, through each region's admin API (`/_ferry/failures`), signed with
SigV4 as the root user (connection options: `ferry/cli/admin_client.py`).

A failure's ID is unique within its region only, so the command shows it qualified with the
region, `us-east-1:7`; `show` takes that form (a bare `7` when only one region is asked, with
`--region` or `--endpoint`). A region that cannot be reached is named on stderr, the others
are still shown, and the exit status is 1. Tables for people by default; `--json` prints the
merged documents for scripts. See docs/replication.md ("Failure store").
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ferry.cli.admin_client import (
    CommandError,
    RegionClient,
    connect_all,
    connection_options,
    render_table,
)

FILTERS = ("rule", "bucket", "destination", "reason", "state", "since", "until")
ID_SEPARATOR = ":"
CURSOR_SEPARATOR = ","  # neither appears in a region name or in a region's (base64url) cursor
T = TypeVar("T")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("failures", help="query and purge replication failures")
    actions = parser.add_subparsers(dest="action", required=True)
    connection = connection_options()
    filters = argparse.ArgumentParser(add_help=False)
    for name in FILTERS:
        filters.add_argument(f"--{name}", help=_FILTER_HELP[name])
    listing = actions.add_parser("list", parents=[connection, filters], help="list failures")
    listing.add_argument("--limit", type=int, help="records per page and region (at most 1000)")
    listing.add_argument("--cursor", help="the `more: --cursor` of the previous page")
    listing.set_defaults(run=run, act=list_failures)
    summary = actions.add_parser("summary", parents=[connection], help="counts per rule/reason")
    summary.set_defaults(run=run, act=show_summary)
    show = actions.add_parser("show", parents=[connection], help="one failure in full")
    show.add_argument("id", help="the failure's ID as listed, REGION:N (e.g. us-east-1:7)")
    show.set_defaults(run=run, act=show_failure)
    purge = actions.add_parser("purge", parents=[connection, filters], help="delete failures")
    purge.add_argument("--all", action="store_true", help="purge every record (no filter)")
    purge.set_defaults(run=run, act=purge_failures)
    from ferry.cli import redrive  # imported here: it builds on this module

    redrive.add_parser(actions, connection)


_FILTER_HELP = {
    "rule": "replication rule ID",
    "bucket": "source bucket",
    "destination": "destination bucket",
    "reason": "failure reason, e.g. DstBucketUnversioned",
    "state": "RETRYING, FAILED or RESOLVED",
    "since": "last failure at or after this ISO 8601 time",
    "until": "last failure before this ISO 8601 time",
}

Action = Callable[[list[RegionClient], argparse.Namespace], bool]


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every region answered, 1 when one could not (or the command failed)."""
    act: Action = args.act
    try:
        regions = connect_all(args)
        try:
            complete = act(regions, args)
        finally:
            for region in regions:
                region.client.close()
    except CommandError as exc:
        print(f"ferry failures: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0 if complete else 1


def each_region(
    regions: list[RegionClient], ask: Callable[[RegionClient], T]
) -> tuple[list[tuple[str, T]], bool]:
    """`ask` every region; the answers, and whether all answered (the others go to stderr)."""
    answers: list[tuple[str, T]] = []
    complete = True
    for region in regions:
        try:
            answers.append((region.region, ask(region)))
        except CommandError as exc:
            print(f"ferry failures: region {region.region}: {exc}", file=sys.stderr, flush=True)
            complete = False
    return answers, complete


def qualified(region: str, failure: Mapping[str, Any]) -> dict[str, Any]:
    """The failure as the command shows it: its ID qualified by its region."""
    return {**failure, "id": f"{region}{ID_SEPARATOR}{failure['id']}", "region": region}


def parse_failure_id(text: str, regions: list[RegionClient]) -> tuple[RegionClient, int]:
    name, separator, number = text.rpartition(ID_SEPARATOR)
    if not number.isdigit():
        raise CommandError(f"not a failure ID: {text!r} (REGION:N, e.g. us-east-1:7)")
    if not separator:
        if len(regions) != 1:
            raise CommandError(
                f"failure IDs are per region: give REGION:{number} "
                f"(one of {', '.join(r.region for r in regions)}) or --region"
            )
        return regions[0], int(number)
    for region in regions:
        if region.region == name:
            return region, int(number)
    raise CommandError(f"no region {name!r} here ({', '.join(r.region for r in regions)})")


def _filters(args: argparse.Namespace) -> dict[str, str]:
    return {name: getattr(args, name) for name in FILTERS if getattr(args, name) is not None}


def parse_cursor(text: str | None, regions: list[RegionClient]) -> dict[str, str | None]:
    """The deployment cursor `region:cursor,…` → each region still to page, with its cursor
    (None: from the start). A region absent from a given cursor has no more pages."""
    if not text:
        return {r.region: None for r in regions}
    cursors: dict[str, str | None] = {}
    for part in text.split(CURSOR_SEPARATOR):
        name, separator, cursor = part.partition(ID_SEPARATOR)
        if not separator or not cursor:
            raise CommandError(f"not a cursor this command printed: {text!r}")
        cursors[name] = cursor
    return cursors


def list_failures(regions: list[RegionClient], args: argparse.Namespace) -> bool:
    cursors = parse_cursor(args.cursor, regions)

    def page_of(region: RegionClient) -> Any:
        params = _filters(args)
        if args.limit is not None:
            params["limit"] = str(args.limit)
        cursor = cursors[region.region]
        if cursor:
            params["cursor"] = cursor
        return region.client.call("GET", "/_ferry/failures", params)

    pages, complete = each_region([r for r in regions if r.region in cursors], page_of)
    found = [qualified(name, f) for name, page in pages for f in page["failures"]]
    found.sort(key=lambda f: str(f["last_failure"]), reverse=True)
    more = CURSOR_SEPARATOR.join(
        f"{name}{ID_SEPARATOR}{page['next_cursor']}" for name, page in pages if page["next_cursor"]
    )
    if args.json:
        _print_json({"failures": found, "next_cursor": more or None})
        return complete
    rows = [
        [
            f["id"], f["state"], f["reason"], f["rule_id"], f"{f['bucket']}/{f['key']}",
            f["version_id"], _destination(f), f["operation"], str(f["attempts"]),
            f["last_failure"],
        ]
        for f in found
    ]  # fmt: skip
    headers = ["ID", "STATE", "REASON", "RULE", "SOURCE", "VERSION", "DESTINATION", "OPERATION",
               "ATTEMPTS", "LAST FAILURE"]  # fmt: skip
    print(render_table(headers, rows) if rows else "no failures")
    if more:
        print(f"more: --cursor {more}")
    return complete


def merge_summaries(summaries: list[tuple[str, Any]]) -> dict[str, Any]:
    """Totals summed over regions; per-rule and per-reason rows each name their region (a rule
    ID is its source bucket's, so the same ID in two regions is two rules)."""
    total: dict[str, int] = {}
    rules: list[dict[str, Any]] = []
    reasons: list[dict[str, Any]] = []
    for region, summary in summaries:
        for state, count in summary["total"].items():
            total[state] = total.get(state, 0) + int(count)
        rules += [{"region": region, **row} for row in summary["rules"]]
        reasons += [{"region": region, **row} for row in summary["reasons"]]
    return {"total": total, "rules": rules, "reasons": reasons}


def show_summary(regions: list[RegionClient], args: argparse.Namespace) -> bool:
    answered, complete = each_region(
        regions, lambda region: region.client.call("GET", "/_ferry/failures/summary")
    )
    summary = merge_summaries(answered)
    if args.json:
        _print_json(summary)
        return complete
    states = list(summary["total"])
    print(render_table(["STATE", "COUNT"], [[s, str(n)] for s, n in summary["total"].items()]))
    for title, group, field in (("RULE", "rules", "rule_id"), ("REASON", "reasons", "reason")):
        rows = [
            [entry["region"], entry[field], *(str(entry[s]) for s in states)]
            for entry in summary[group]
        ]
        print()
        print(
            render_table(["REGION", title, *states], rows)
            if rows
            else f"no failures per {title.lower()}"
        )
    return complete


def show_failure(regions: list[RegionClient], args: argparse.Namespace) -> bool:
    region, number = parse_failure_id(args.id, regions)
    failure = qualified(region.region, region.client.call("GET", f"/_ferry/failures/{number}"))
    if args.json:
        _print_json(failure)
        return True
    width = max(len(name) for name in failure)
    for name, value in failure.items():
        print(f"{name.ljust(width)}  {'-' if value is None else value}")
    return True


def purge_failures(regions: list[RegionClient], args: argparse.Namespace) -> bool:
    params = _filters(args)
    if args.all:
        params["all"] = "true"
    elif not params:
        raise CommandError("purge needs a filter (--rule, --bucket, …) or --all")
    answered, complete = each_region(
        regions, lambda region: region.client.call("DELETE", "/_ferry/failures", params)
    )
    purged = {name: int(result["purged"]) for name, result in answered}
    total = sum(purged.values())
    if args.json:
        _print_json({"purged": total, "regions": purged})
        return complete
    detail = ", ".join(f"{name}: {count}" for name, count in purged.items())
    print(f"purged {total} failure record(s) ({detail})")
    return complete


def _destination(failure: Mapping[str, Any]) -> str:
    region = failure.get("destination_region")
    return str(failure["destination_bucket"]) + (f" ({region})" if region else "")


def _print_json(document: Any) -> None:
    print(json.dumps(document, indent=2))
