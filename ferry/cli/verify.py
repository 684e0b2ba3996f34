"""`ferry verify --bucket SRC [--rule R]`: compare the source bucket with each destination of
its rules, version by version (`replication/verify.py`), and print the counts and the first
differences; exit status 0 only when they agree (1: they differ, 2: verify could not run).

Both sides are streamed a page at a time through the regions' admin API
(`/_ferry/replication/versions`), so a bucket of a million versions is verified in bounded
memory. `--checkpoint FILE` saves the progress every few thousand keys (and the counts so
far); a run given the same file resumes after the last key it finished. `--start-after KEY`
starts after a key. `--repair` enqueues replication for the differences
(`cli/verify_repair.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ferry.cli.admin_client import CommandError, connection_options, render_table
from ferry.cli.bucket_admin import REGION_HELP, BucketAdmin, bucket_admin
from ferry.cli.verify_repair import Repairer, RepairTally
from ferry.core.errors import FerryError
from ferry.protocol.xml.replication import parse_replication_configuration
from ferry.replication.verify import (
    DEFAULT_SHOWN_DIFFERENCES,
    Difference,
    DifferenceKind,
    VerifyScope,
    VerifyTally,
    compare_key,
    group_by_key,
    merge_by_key,
    verify_scope,
)
from ferry.replication.version_facts import VersionFacts, parse_version_facts

VERSIONS_PATH = "/_ferry/replication/versions"
CONFIGURATION_PATH = "/_ferry/replication/configuration"
CHECKPOINT_EVERY_KEYS = 5000
SOURCE = ""  # the source's stream name in the merge (no bucket is named "")
EXIT_AGREE, EXIT_DIFFER, EXIT_ERROR = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "verify",
        parents=[connection_options(REGION_HELP)],
        help="compare a bucket with its replicas",
    )
    parser.add_argument("--bucket", required=True, help="source bucket")
    parser.add_argument("--rule", help="only this replication rule (default: every rule)")
    parser.add_argument(
        "--show",
        type=int,
        default=DEFAULT_SHOWN_DIFFERENCES,
        help="how many differences to list (default %(default)s)",
    )
    parser.add_argument("--start-after", default="", help="start after this key")
    parser.add_argument("--checkpoint", type=Path, help="save progress here; resume from it")
    parser.add_argument(
        "--repair", action="store_true", help="enqueue replication of the differences"
    )
    parser.add_argument(
        "--delete-extra",
        action="store_true",
        help="with --repair: delete destination versions the source lacks",
    )
    parser.add_argument(
        "--replace-mismatched",
        action="store_true",
        help="with --repair: delete and replicate again a destination version "
        "whose content, metadata or storage class differs",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if (args.delete_extra or args.replace_mismatched) and not args.repair:
        print(
            "ferry verify: --delete-extra and --replace-mismatched need --repair", file=sys.stderr
        )
        return EXIT_ERROR
    try:
        with bucket_admin(args) as admin:
            tally, repairs, scope = verify(admin, args)
    except (CommandError, FerryError) as exc:
        print(f"ferry verify: {exc}", file=sys.stderr, flush=True)
        return EXIT_ERROR
    document = render_report(scope, tally, repairs)
    print(json.dumps(document, indent=2) if args.json else render_human(document))
    return EXIT_AGREE if tally.agrees else EXIT_DIFFER


def verify(
    admin: BucketAdmin, args: argparse.Namespace
) -> tuple[VerifyTally, RepairTally | None, VerifyScope]:
    configuration = admin.call("GET", CONFIGURATION_PATH, args.bucket)
    if not configuration.get("replication"):
        raise CommandError(f"bucket {args.bucket} has no replication configuration")
    parsed = parse_replication_configuration(str(configuration["replication"]).encode())
    scope = verify_scope(args.bucket, parsed, args.rule)
    start_after, tally, repairs = args.start_after, VerifyTally(shown=args.show), RepairTally()
    if args.checkpoint is not None and args.checkpoint.exists():
        start_after, tally, repairs = load_checkpoint(args.checkpoint, args)
        print(f"resuming after key {start_after!r} ({args.checkpoint})", file=sys.stderr)
    repairer = (
        Repairer(
            admin,
            args.bucket,
            delete_extra=args.delete_extra,
            replace_mismatched=args.replace_mismatched,
            tally=repairs,
        )
        if args.repair
        else None
    )
    names = (SOURCE, *scope.destinations)
    with ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="verify-page") as pages:
        streams = {
            name: group_by_key(
                list_versions(admin, name or args.bucket, scope.prefix, start_after, pages)
            )
            for name in names
        }
        _compare(args, scope, streams, tally, repairs, repairer)
    if repairer is not None:
        repairer.flush()
    if args.checkpoint is not None and args.checkpoint.exists():
        args.checkpoint.unlink()  # finished: the next run starts from the beginning
    return tally, repairs if args.repair else None, scope


def _compare(
    args: argparse.Namespace,
    scope: VerifyScope,
    streams: dict[str, Iterator[tuple[str, list[VersionFacts]]]],
    tally: VerifyTally,
    repairs: RepairTally,
    repairer: Repairer | None,
) -> None:
    since_checkpoint = 0
    for key, found in merge_by_key(streams):
        differences = compare_key(scope, key, found.get(SOURCE, []), found)
        tally.add_key(len(found.get(SOURCE, [])), differences)
        if repairer is not None:
            for difference in differences:
                repairer.handle(difference)
        since_checkpoint += 1
        if args.checkpoint is not None and since_checkpoint >= CHECKPOINT_EVERY_KEYS:
            if repairer is not None:
                repairer.flush()  # before the checkpoint: a resumed run must not repeat them
            save_checkpoint(args.checkpoint, args, key, tally, repairs)
            since_checkpoint = 0


def list_versions(
    admin: BucketAdmin, bucket: str, prefix: str, start_after: str, pages: Executor
) -> Iterator[VersionFacts]:
    """Every version of `bucket` under `prefix` after key `start_after`, a page at a time.

    While one page is compared, the next is already being fetched on `pages` (one page
    ahead, so memory holds at most two pages per bucket): the regions list and encode while
    this process compares, and the source and destinations answer at the same time instead
    of in turn. The first page is fetched here, so a redirect to the bucket's region is
    followed (and remembered) before any other thread asks about the bucket."""
    page = admin.call("GET", VERSIONS_PATH, bucket, {"prefix": prefix, "key_marker": start_after})
    while True:
        ahead: Future[dict[str, Any]] | None = None
        if page["truncated"]:
            params = {
                "prefix": prefix,
                "key_marker": str(page["next_key_marker"]),
                "version_id_marker": str(page["next_version_id_marker"] or ""),
            }
            ahead = pages.submit(admin.call, "GET", VERSIONS_PATH, bucket, params)
        for document in page["versions"]:
            yield parse_version_facts(document)
        if ahead is None:
            return
        page = ahead.result()


# ------------------------------------------------------------------------------ checkpoints


def save_checkpoint(
    path: Path, args: argparse.Namespace, last_key: str, tally: VerifyTally, repairs: RepairTally
) -> None:
    document = {
        "bucket": args.bucket,
        "rule": args.rule,
        "last_key": last_key,
        "keys": tally.keys,
        "source_versions": tally.source_versions,
        "counts": tally.counts,
        "first": [render_difference(d) for d in tally.first],
        "repairs": repairs.render(),
    }
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(document))
    os.replace(temporary, path)  # a crash leaves the old checkpoint or the new, never half


def load_checkpoint(path: Path, args: argparse.Namespace) -> tuple[str, VerifyTally, RepairTally]:
    try:
        document = json.loads(path.read_text())
        if (document["bucket"], document["rule"]) != (args.bucket, args.rule):
            raise CommandError(
                f"checkpoint {path} is of another run "
                f"(--bucket {document['bucket']} --rule {document['rule']})"
            )
        tally = VerifyTally(
            shown=args.show,
            keys=int(document["keys"]),
            source_versions=int(document["source_versions"]),
            counts={d: dict(c) for d, c in document["counts"].items()},
            first=[parse_difference(d) for d in document["first"]][: args.show],
        )
        return str(document["last_key"]), tally, RepairTally.parse(document["repairs"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CommandError(f"checkpoint {path} is unreadable: {exc}") from exc


# ---------------------------------------------------------------------------------- reports


def render_difference(d: Difference) -> dict[str, Any]:
    return {
        "kind": d.kind.value,
        "destination_bucket": d.destination_bucket,
        "key": d.key,
        "version_id": d.version_id,
        "delete_marker": d.is_delete_marker,
        "rule_id": d.rule_id,
        "fields": list(d.fields),
        "detail": d.detail,
        "replica": d.is_replica,
    }


def parse_difference(document: dict[str, Any]) -> Difference:
    return Difference(
        kind=DifferenceKind(document["kind"]),
        destination_bucket=document["destination_bucket"],
        key=document["key"],
        version_id=document["version_id"],
        is_delete_marker=bool(document["delete_marker"]),
        rule_id=document["rule_id"],
        fields=tuple(document["fields"]),
        detail=document["detail"],
        is_replica=bool(document.get("replica", False)),
    )


def render_report(
    scope: VerifyScope, tally: VerifyTally, repairs: RepairTally | None
) -> dict[str, Any]:
    kinds = [k.value for k in DifferenceKind]
    return {
        "bucket": scope.source_bucket,
        "rules": sorted(
            {r.id or "" for rules in scope.rules_by_destination.values() for r in rules}
        ),
        "destinations": {
            d: {k: tally.counts.get(d, {}).get(k, 0) for k in kinds} for d in scope.destinations
        },
        "keys": tally.keys,
        "source_versions": tally.source_versions,
        "differences": tally.total,
        "agree": tally.agrees,
        "first_differences": [render_difference(d) for d in tally.first],
        "repair": repairs.render() if repairs is not None else None,
    }


def render_human(report: dict[str, Any]) -> str:
    lines = [
        f"verify {report['bucket']} (rules: {', '.join(report['rules'])}): "
        f"{report['keys']} keys, {report['source_versions']} source versions"
    ]
    rows = [
        [name, *(str(n) for n in counts.values())]
        for name, counts in report["destinations"].items()
    ]
    lines += ["", render_table(["DESTINATION", *[k.value for k in DifferenceKind]], rows)]
    shown = report["first_differences"]
    if shown:
        detail = [
            [
                d["kind"],
                d["destination_bucket"],
                d["key"],
                d["version_id"],
                "delete marker" if d["delete_marker"] else "object",
                ", ".join(d["fields"]) or d["detail"],
            ]
            for d in shown
        ]
        title = f"first {len(shown)} of {report['differences']} differences"
        lines += [
            "",
            title,
            render_table(["KIND", "DESTINATION", "KEY", "VERSION", "TYPE", "DETAIL"], detail),
        ]
    repair = report["repair"]
    if repair is not None:
        lines += [
            "",
            f"repair: queued {repair['queued']} replication task(s), deleted "
            f"{repair['deleted_extra']} extra version(s), replaced {repair['replaced']} "
            "mismatched version(s)",
        ]
        lines += [f"  not repaired: {n} x {why}" for why, n in repair["not_repaired"].items()]
        lines += [f"    {note}" for note in repair["notes"]]
    lines += ["", "in agreement" if report["agree"] else f"{report['differences']} differences"]
    return "\n".join(lines)
