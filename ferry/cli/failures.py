"""`ferry failures list|summary|show|purge`: the replication failure store of one region,
through its admin API (`/_ferry/failures`), signed with SigV4 as the root user.

Which region: `--endpoint URL` (default http://127.0.0.1:9000), or `--config FILE --region
NAME`. Credentials: FERRY_ROOT_ACCESS_KEY/FERRY_ROOT_SECRET_KEY, else AWS_ACCESS_KEY_ID/
AWS_SECRET_ACCESS_KEY, else the config file's `[root]`, else the built-in default. Tables for
people by default; `--json` prints the API's documents for scripts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from ferry.client import Credentials, SigV4Auth
from ferry.config import ConfigError, load_deployment, root_credentials_from_env
from ferry.core.secret import Secret

DEFAULT_ENDPOINT = "http://127.0.0.1:9000"
DEFAULT_SIGNING_REGION = "us-east-1"
TIMEOUT_S = 30.0
FILTERS = ("rule", "bucket", "destination", "reason", "state", "since", "until")


class CommandError(Exception):
    """Printed as `ferry failures: <message>`; exit status 1."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("failures", help="query and purge replication failures")
    actions = parser.add_subparsers(dest="action", required=True)
    connection = connection_options()
    filters = argparse.ArgumentParser(add_help=False)
    for name in FILTERS:
        filters.add_argument(f"--{name}", help=_FILTER_HELP[name])
    listing = actions.add_parser("list", parents=[connection, filters], help="list failures")
    listing.add_argument("--limit", type=int, help="records per page (at most 1000)")
    listing.add_argument("--cursor", help="next_cursor of the previous page")
    listing.set_defaults(run=run, act=list_failures)
    summary = actions.add_parser("summary", parents=[connection], help="counts per rule/reason")
    summary.set_defaults(run=run, act=show_summary)
    show = actions.add_parser("show", parents=[connection], help="one failure in full")
    show.add_argument("id", type=int)
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


def connection_options() -> argparse.ArgumentParser:
    """Options every admin-API command shares (parent parser)."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--endpoint", help=f"the region's endpoint (default {DEFAULT_ENDPOINT})")
    options.add_argument("--config", type=Path, help="the deployment's ferry.toml")
    options.add_argument("--region", help="region name (with --config: which region)")
    options.add_argument("--json", action="store_true", help="print JSON for scripts")
    return options


class AdminClient:
    """Signed calls to one region's admin API."""

    def __init__(self, endpoint: str, credentials: Credentials) -> None:
        self._http = httpx.Client(base_url=endpoint, auth=SigV4Auth(credentials), timeout=TIMEOUT_S)

    def close(self) -> None:
        self._http.close()

    @property
    def http(self) -> httpx.Client:
        """The signed client itself, for S3 and S3 Control calls (`ferry failures redrive`)."""
        return self._http

    def call(self, method: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        try:
            response = self._http.request(method, path, params=dict(params or {}))
        except httpx.HTTPError as exc:
            raise CommandError(f"cannot reach {self._http.base_url}: {exc}") from exc
        try:
            document = response.json()
        except ValueError as exc:
            raise CommandError(f"HTTP {response.status_code}: {response.text[:200]}") from exc
        if response.status_code >= 300:
            raise CommandError(f"{document.get('error')}: {document.get('message')}")
        return document


def connect(args: argparse.Namespace) -> AdminClient:
    root = None
    if args.config is not None:
        if args.endpoint is not None:
            raise CommandError("--endpoint and --config: choose one")
        try:
            deployment = load_deployment(args.config)
            region = deployment.region(args.region) if args.region else deployment.regions[0]
        except ConfigError as exc:
            raise CommandError(str(exc)) from exc
        endpoint, name, root = region.endpoint, region.name, deployment.root
    else:
        endpoint = args.endpoint or DEFAULT_ENDPOINT
        name = args.region or _region_of(endpoint)
    env = os.environ
    if env.get("FERRY_ROOT_ACCESS_KEY") and env.get("FERRY_ROOT_SECRET_KEY"):
        access, secret = env["FERRY_ROOT_ACCESS_KEY"], Secret(env["FERRY_ROOT_SECRET_KEY"])
    elif env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        access, secret = env["AWS_ACCESS_KEY_ID"], Secret(env["AWS_SECRET_ACCESS_KEY"])
    else:
        root = root or root_credentials_from_env({})
        access, secret = root.access_key, root.secret_key
    return AdminClient(endpoint, Credentials(access_key=access, secret_key=secret, region=name))


def _region_of(endpoint: str) -> str:
    """The region an endpoint serves, from its (unauthenticated) health check."""
    try:
        health = httpx.get(endpoint.rstrip("/") + "/_ferry/health", timeout=TIMEOUT_S)
        return str(health.json().get("region") or DEFAULT_SIGNING_REGION)
    except (httpx.HTTPError, ValueError, AttributeError):
        return DEFAULT_SIGNING_REGION


def run(args: argparse.Namespace) -> int:
    act: Callable[[AdminClient, argparse.Namespace], None] = args.act
    try:
        client = connect(args)
        try:
            act(client, args)
        finally:
            client.close()
    except CommandError as exc:
        print(f"ferry failures: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


def _filters(args: argparse.Namespace) -> dict[str, str]:
    return {name: getattr(args, name) for name in FILTERS if getattr(args, name) is not None}


def list_failures(client: AdminClient, args: argparse.Namespace) -> None:
    params = _filters(args)
    if args.limit is not None:
        params["limit"] = str(args.limit)
    if args.cursor:
        params["cursor"] = args.cursor
    page = client.call("GET", "/_ferry/failures", params)
    if args.json:
        _print_json(page)
        return
    rows = [
        [
            str(f["id"]), f["state"], f["reason"], f["rule_id"], f"{f['bucket']}/{f['key']}",
            f["version_id"], _destination(f), f["operation"], str(f["attempts"]),
            f["last_failure"],
        ]
        for f in page["failures"]
    ]  # fmt: skip
    headers = ["ID", "STATE", "REASON", "RULE", "SOURCE", "VERSION", "DESTINATION", "OPERATION",
               "ATTEMPTS", "LAST FAILURE"]  # fmt: skip
    print(render_table(headers, rows) if rows else "no failures")
    if page["next_cursor"]:
        print(f"more: --cursor {page['next_cursor']}")


def show_summary(client: AdminClient, args: argparse.Namespace) -> None:
    summary = client.call("GET", "/_ferry/failures/summary")
    if args.json:
        _print_json(summary)
        return
    states = list(summary["total"])
    print(render_table(["STATE", "COUNT"], [[s, str(n)] for s, n in summary["total"].items()]))
    for title, group, field in (("RULE", "rules", "rule_id"), ("REASON", "reasons", "reason")):
        rows = [[entry[field], *(str(entry[s]) for s in states)] for entry in summary[group]]
        print()
        print(render_table([title, *states], rows) if rows else f"no failures per {title.lower()}")


def show_failure(client: AdminClient, args: argparse.Namespace) -> None:
    failure = client.call("GET", f"/_ferry/failures/{args.id}")
    if args.json:
        _print_json(failure)
        return
    width = max(len(name) for name in failure)
    for name, value in failure.items():
        print(f"{name.ljust(width)}  {'-' if value is None else value}")


def purge_failures(client: AdminClient, args: argparse.Namespace) -> None:
    params = _filters(args)
    if args.all:
        params["all"] = "true"
    elif not params:
        raise CommandError("purge needs a filter (--rule, --bucket, …) or --all")
    result = client.call("DELETE", "/_ferry/failures", params)
    if args.json:
        _print_json(result)
        return
    print(f"purged {result['purged']} failure record(s)")


def _destination(failure: Mapping[str, Any]) -> str:
    region = failure.get("destination_region")
    return str(failure["destination_bucket"]) + (f" ({region})" if region else "")


def _print_json(document: Any) -> None:
    print(json.dumps(document, indent=2))


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [headers, *rows]]  # fmt: skip
    return "\n".join(lines)
