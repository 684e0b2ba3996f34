"""`ferry doctor --bucket B`: every known cause of failed replication (`replication/doctor.py`)
checked before a version is at risk, each finding printed with its fix; exit status 1 when a
finding is an error, 0 otherwise (warnings included), 2 when the checks could not run.

The source's region judges the source (versioning, role, rules) and says what each
destination must allow; each destination's region judges that destination (versioning,
the role's writes under its bucket policy, KMS keys, quota) and names its own destinations,
which are followed to find loops.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ferry.cli.admin_client import CommandError, connection_options
from ferry.cli.bucket_admin import REGION_HELP, BucketAdmin, NoSuchBucketAnywhere, bucket_admin
from ferry.replication.doctor_destination import DestinationFacts, diagnose_destination
from ferry.replication.doctor_documents import (
    CONFIGURATION_PATH,
    DESTINATION_PATH,
    SOURCE_PATH,
    parse_finding,
    parse_needs,
    render_finding,
)
from ferry.replication.doctor_walk import TopologyWalk
from ferry.replication.findings import Finding, has_errors

EXIT_HEALTHY, EXIT_ERRORS, EXIT_FAILED = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "doctor",
        parents=[connection_options(REGION_HELP)],
        help="find what will make replication fail",
    )
    parser.add_argument("--bucket", required=True, help="source bucket")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        with bucket_admin(args) as admin:
            findings = diagnose(admin, args.bucket)
    except CommandError as exc:
        print(f"ferry doctor: {exc}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    if args.json:
        print(
            json.dumps(
                {
                    "bucket": args.bucket,
                    "findings": [render_finding(f) for f in findings],
                    "healthy": not has_errors(findings),
                },
                indent=2,
            )
        )
    else:
        print(render_findings(args.bucket, findings))
    return EXIT_ERRORS if has_errors(findings) else EXIT_HEALTHY


def diagnose(admin: BucketAdmin, bucket: str) -> list[Finding]:
    source = admin.call("GET", SOURCE_PATH, bucket)
    findings = [parse_finding(f) for f in source["findings"]]
    for needs in source["destinations"]:
        findings += destination_findings(admin, needs)
    walk = TopologyWalk(bucket, [needs["bucket"] for needs in source["destinations"]])
    follow_topology(admin, walk)
    findings += walk.findings()
    return list(dict.fromkeys(findings))


def destination_findings(admin: BucketAdmin, needs: dict[str, Any]) -> list[Finding]:
    try:
        report = admin.call("GET", DESTINATION_PATH, needs["bucket"], {"needs": json.dumps(needs)})
    except NoSuchBucketAnywhere:
        return diagnose_destination(
            DestinationFacts(needs=parse_needs(json.dumps(needs)), exists=False)
        )
    return [parse_finding(f) for f in report["findings"]]


def follow_topology(admin: BucketAdmin, walk: TopologyWalk) -> None:
    while (bucket := walk.next_bucket()) is not None:
        try:
            found = admin.call("GET", CONFIGURATION_PATH, bucket)
        except NoSuchBucketAnywhere:
            walk.found(bucket, None)
            continue
        walk.found(bucket, found.get("replication"))


def render_findings(bucket: str, findings: list[Finding]) -> str:
    if not findings:
        return f"{bucket}: no problems found"
    lines = []
    for finding in findings:
        lines += [
            f"{finding.severity.value:<7} {finding.check}  {finding.subject}",
            f"        {finding.message}",
            f"        fix: {finding.fix}",
        ]
    errors = sum(f.severity.value == "ERROR" for f in findings)
    lines.append(f"{bucket}: {errors} error(s), {len(findings) - errors} warning(s)")
    return "\n".join(lines)
