"""Before `ferry failures redrive` creates a job: the role checks of `ferry doctor`. A job
whose role S3 Batch Operations cannot assume, or whose replication role may not read the
source or write a destination, would fail every entry; the re-drive refuses instead, and
prints each finding's fix."""

from __future__ import annotations

import argparse

from ferry.cli.admin_client import CommandError
from ferry.cli.bucket_admin import bucket_admin
from ferry.cli.doctor import destination_findings, render_findings
from ferry.replication.doctor_documents import SOURCE_PATH, parse_finding
from ferry.replication.findings import Finding, Severity

ROLE_CHECKS = frozenset({"role-missing", "role-trust", "role-batch-trust", "role-permission"})


def refuse_unless_roles_ready(source_region: str, args: argparse.Namespace, job_role: str) -> None:
    """CommandError listing the role findings that would fail the job's entries. The source
    region judges the source and the job's role; each destination's region, wherever it is
    (not only the regions `--region` names), its own writes."""
    with bucket_admin(args, first=source_region) as admin:
        report = admin.call("GET", SOURCE_PATH, args.bucket, {"batch_role": job_role})
        found = [parse_finding(f) for f in (*report["batch_findings"], *report["findings"])]
        for needs in report["destinations"]:
            found += destination_findings(admin, needs)
    blocking = list(dict.fromkeys(f for f in found if _blocks(f)))
    if blocking:
        raise CommandError(
            "not creating the job, its entries would fail:\n"
            + render_findings(args.bucket, blocking)
        )


def _blocks(finding: Finding) -> bool:
    return finding.severity is Severity.ERROR and finding.check in ROLE_CHECKS
