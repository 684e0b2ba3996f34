"""The Doctor tab: `ferry doctor`'s findings for a bucket (severity, what is wrong, the fix),
from the same admin endpoints the CLI asks, signed with the signed-in user's key — so only the
deployment root sees them; anyone else is told the doctor needs the root's credentials
(docs/console.md). The checks are `replication.doctor*`'s, run by each bucket's region."""

from __future__ import annotations

import json
from typing import Any

from ferry.console.context import ConsoleContext
from ferry.console.gateway import ConsoleError, UserGateway
from ferry.console.http import ConsoleResponse
from ferry.replication.doctor_destination import DestinationFacts, diagnose_destination
from ferry.replication.doctor_documents import (
    CONFIGURATION_PATH,
    DESTINATION_PATH,
    SOURCE_PATH,
    parse_finding,
    parse_needs,
)
from ferry.replication.doctor_walk import TopologyWalk
from ferry.replication.findings import Finding, Severity, unique


async def show_doctor(ctx: ConsoleContext) -> ConsoleResponse:
    bucket = ctx.params["bucket"]
    region = await ctx.gateway.region_of(bucket)
    try:
        findings = await diagnose(ctx.gateway, bucket)
    except ConsoleError as exc:
        if exc.status != 403:
            raise
        return ctx.page(
            "doctor.html", bucket=bucket, bucket_region=region, findings=[], needs_root=True,
            refusal=exc,
        )  # fmt: skip
    errors = sum(f.severity is Severity.ERROR for f in findings)
    return ctx.page(
        "doctor.html", bucket=bucket, bucket_region=region, findings=findings, needs_root=False,
        errors=errors, warnings=len(findings) - errors,
    )  # fmt: skip


async def diagnose(gateway: UserGateway, bucket: str) -> list[Finding]:
    """`ferry doctor --bucket`'s walk (cli/doctor.py): the source's region judges the source
    and says what each destination must allow, each destination's region judges it, and the
    destinations' own rules are followed to find loops."""
    source = await gateway.admin(SOURCE_PATH, bucket=bucket)
    findings = [parse_finding(f) for f in source["findings"]]
    for needs in source["destinations"]:
        findings += await _destination_findings(gateway, needs)
    walk = TopologyWalk(bucket, [str(needs["bucket"]) for needs in source["destinations"]])
    await _follow_topology(gateway, walk)
    return unique(findings + walk.findings())


async def _destination_findings(gateway: UserGateway, needs: dict[str, Any]) -> list[Finding]:
    text = json.dumps(needs)
    try:
        report = await gateway.admin(
            DESTINATION_PATH, bucket=str(needs["bucket"]), params={"needs": text}
        )
    except ConsoleError as exc:
        if exc.code != "NoSuchBucket":
            raise
        return diagnose_destination(DestinationFacts(needs=parse_needs(text), exists=False))
    return [parse_finding(f) for f in report["findings"]]


async def _follow_topology(gateway: UserGateway, walk: TopologyWalk) -> None:
    while (bucket := walk.next_bucket()) is not None:
        try:
            found = await gateway.admin(CONFIGURATION_PATH, bucket=bucket)
        except ConsoleError as exc:
            if exc.code != "NoSuchBucket":
                raise
            walk.found(bucket, None)
            continue
        walk.found(bucket, found.get("replication"))
