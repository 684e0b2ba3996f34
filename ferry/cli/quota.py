"""`ferry quota set|show|clear BUCKET`: a bucket's hard quota (bytes, object count) through the
admin API of the bucket's region (`/_ferry/buckets/{bucket}/quota`), signed as the root user.

The command goes to the region named by `--endpoint` or `--config/--region` (as `ferry
failures`); if the bucket lives in another region of the deployment, that region's answer is a
redirect, which is followed once. Sizes take MinIO's suffixes (docs/quotas.md): K, M, G, T, P
are powers of 1000, Ki, Mi, Gi, Ti, Pi powers of 1024, an optional trailing B, any case.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ferry.cli.admin_client import (
    AdminClient,
    CommandError,
    connect,
    connection_options,
)

PATH = "/_ferry/buckets/{bucket}/quota"
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgtp]i?)?b?\s*$", re.IGNORECASE)
_UNIT_POWERS = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5}
_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def parse_size(text: str) -> int:
    """'1048576', '10K' (10 000), '10Ki' (10 240), '5GiB', '2tb' → bytes."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (a number, optionally with K/M/G/T or Ki/Mi/Gi/Ti)")
    number, unit = int(match.group(1)), (match.group(2) or "").lower()
    if not unit:
        return number
    base = 1024 if unit.endswith("i") else 1000
    multiplier: int = base ** _UNIT_POWERS[unit[0]]
    return number * multiplier


def render_size(size: int) -> str:
    """Bytes for people: '1.5 MiB (1572864)'."""
    value, unit = float(size), 0
    while value >= 1024 and unit < len(_BINARY_UNITS) - 1:
        value, unit = value / 1024, unit + 1
    if unit == 0:
        return f"{size} B"
    return f"{value:.1f} {_BINARY_UNITS[unit]} ({size})"


def _size_argument(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _count_argument(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(text)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("quota", help="bucket quotas (bytes, object count)")
    actions = parser.add_subparsers(dest="action", required=True)
    connection = connection_options()
    set_ = actions.add_parser("set", parents=[connection], help="set a bucket's limits")
    set_.add_argument("bucket", help="the bucket")
    set_.add_argument("--max-bytes", type=_size_argument, help="e.g. 500000, 10M, 5Gi, 1Ti")
    set_.add_argument("--max-objects", type=_count_argument, help="versions, markers excluded")
    set_.set_defaults(run=run, act=set_quota)
    show = actions.add_parser("show", parents=[connection], help="limits and current usage")
    show.add_argument("bucket", help="the bucket")
    show.set_defaults(run=run, act=show_quota)
    clear = actions.add_parser("clear", parents=[connection], help="remove a bucket's limits")
    clear.add_argument("bucket", help="the bucket")
    clear.set_defaults(run=run, act=clear_quota)


def run(args: argparse.Namespace) -> int:
    act: Callable[[argparse.Namespace], dict[str, Any]] = args.act
    try:
        document = act(args)
    except CommandError as exc:
        print(f"ferry quota: {exc}", file=sys.stderr, flush=True)
        return 1
    print(_json(document) if args.json else render_quota(document))
    return 0


def set_quota(args: argparse.Namespace) -> dict[str, Any]:
    if args.max_bytes is None and args.max_objects is None:
        raise CommandError("set needs --max-bytes, --max-objects or both")
    # A limit not given keeps its value: `set --max-objects N` leaves the byte limit alone.
    current = call(args, "GET")["quota"]
    params = {
        "max_bytes": args.max_bytes if args.max_bytes is not None else current["max_bytes"],
        "max_objects": args.max_objects if args.max_objects is not None else current["max_objects"],
    }
    return call(args, "PUT", {k: str(v) for k, v in params.items() if v is not None})


def show_quota(args: argparse.Namespace) -> dict[str, Any]:
    return call(args, "GET")


def clear_quota(args: argparse.Namespace) -> dict[str, Any]:
    return call(args, "DELETE")


def call(
    args: argparse.Namespace, method: str, params: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """One admin call for `args.bucket`, following a redirect to the bucket's region once."""
    path = PATH.format(bucket=args.bucket)
    response = _request(connect(args), method, path, params)
    if response.status_code == 301:
        args = _redirected(args, response.json())
        response = _request(connect(args), method, path, params)
    try:
        document: dict[str, Any] = response.json()
    except ValueError as exc:
        raise CommandError(f"HTTP {response.status_code}: {response.text[:200]}") from exc
    if response.status_code >= 300:
        raise CommandError(f"{document.get('error')}: {document.get('message')}")
    return document


def _request(
    client: AdminClient, method: str, path: str, params: Mapping[str, str] | None
) -> httpx.Response:
    try:
        return client.http.request(method, path, params=dict(params or {}))
    except httpx.HTTPError as exc:
        raise CommandError(f"cannot reach {client.http.base_url}: {exc}") from exc
    finally:
        client.close()


def _redirected(args: argparse.Namespace, document: Mapping[str, Any]) -> argparse.Namespace:
    region, endpoint = document.get("region"), document.get("endpoint")
    if not region:
        raise CommandError(f"{document.get('error')}: {document.get('message')}")
    if args.config is not None:
        return argparse.Namespace(**{**vars(args), "region": region})
    if not endpoint:
        raise CommandError(f"the bucket is in {region}, whose endpoint is unknown: use --config")
    return argparse.Namespace(**{**vars(args), "region": region, "endpoint": endpoint})


def render_quota(document: Mapping[str, Any]) -> str:
    quota, usage = document["quota"], document["usage"]
    max_bytes, max_objects = quota["max_bytes"], quota["max_objects"]
    rows = [
        ["bucket", str(document["bucket"])],
        ["max bytes", "-" if max_bytes is None else render_size(max_bytes)],
        ["max objects", "-" if max_objects is None else str(max_objects)],
        ["bytes used", render_size(usage["bytes"])],
        ["  in versions", render_size(usage["stored_bytes"])],
        ["  in uploads", render_size(usage["upload_bytes"])],
        ["objects", str(usage["objects"])],
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)


def _json(document: Any) -> str:
    return json.dumps(document, indent=2)
