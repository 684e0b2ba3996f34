"""Operating replication: a bucket's failures per rule (filtered by reason) with the re-drive
button, and batch jobs with their progress and report.

The failure store is regional: this console shows the failures of the buckets its region
holds, once the user has shown the right to see the bucket's replication (GetBucketReplication
signed as the user); another region's bucket links to that region's console.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from xml.etree.ElementTree import Element

from ferry.console.context import ConsoleContext
from ferry.console.gateway import ConsoleError, object_path
from ferry.console.http import ConsoleResponse, json_bytes
from ferry.console.job_results import read_results
from ferry.console.rule_form import configuration_of
from ferry.console.xmldoc import text
from ferry.protocol.xml.redrive_job import (
    REDRIVE_PREFIX,
    batch_bucket_name,
    render_redrive_job_request,
)
from ferry.replication import FailureFilter, FailureState, per_rule
from ferry.replication.manifest import ManifestEntry, render_csv_manifest

PAGE_SIZE = 200
MAX_REDRIVE_VERSIONS = 10_000
ENDED = ("Complete", "Failed", "Cancelled")


async def show_failures(ctx: ConsoleContext) -> ConsoleResponse:
    bucket, query = ctx.params["bucket"], ctx.request.query
    region = await ctx.gateway.region_of(bucket)
    config = configuration_of(await ctx.gateway.replication(bucket))  # the user's right to look
    if region != ctx.gateway.home_region:
        return ctx.page(
            "failures.html",
            bucket=bucket,
            bucket_region=region,
            elsewhere=True,
            failures=[],
            rules=[],
            reasons=[],
            rule="",
            reason="",
            state="",
            backlog=[],
        )
    rule, reason = query.get("rule") or None, query.get("reason") or None
    state = query.get("state", "FAILED")
    where = FailureFilter(
        bucket=bucket,
        rule_id=rule,
        reason=reason,
        state=FailureState(state) if state in FailureState.__members__ else None,
    )
    page = await ctx.failures.query(where, limit=PAGE_SIZE, after=None)
    everything = await ctx.failures.query(FailureFilter(bucket=bucket), limit=1000, after=None)
    activity = await rule_activity(ctx, bucket)
    reasons = sorted({f.reason for f in everything.failures})
    return ctx.page(
        "failures.html",
        bucket=bucket,
        bucket_region=region,
        elsewhere=False,
        failures=page.failures,
        rules=[f.rule_id for f in config.forms],
        reasons=reasons,
        rule=rule or "",
        reason=reason or "",
        state=state,
        backlog=activity,
        page_size=PAGE_SIZE,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleActivity:
    """One rule's row of the operating view: what it owes, what failed, how fast it goes."""

    rule_id: str
    pending: int = 0
    pending_bytes: int = 0
    retrying: int = 0
    oldest_pending_s: float | None = None
    failed: int = 0
    replicated: int = 0  # replicated since the rule began
    latency_p50_s: float | None = None
    latency_p99_s: float | None = None


async def rule_activity(ctx: ConsoleContext, bucket: str) -> list[RuleActivity]:
    rows = {
        b.rule_id: RuleActivity(
            rule_id=b.rule_id,
            pending=b.pending,
            pending_bytes=b.pending_bytes,
            retrying=b.retrying,
            oldest_pending_s=b.oldest_pending_s,
            failed=b.failures.get(FailureState.FAILED.value, 0),
        )
        for b in await ctx.backlog.per_rule(bucket)
    }
    snapshot = await ctx.metrics.snapshot(bucket)
    for rule in per_rule(snapshot.series):
        row = rows.get(rule.rule_id, RuleActivity(rule_id=rule.rule_id))
        rows[rule.rule_id] = replace(
            row,
            replicated=rule.replicated_ops,
            latency_p50_s=rule.latency.quantile_s(0.5),
            latency_p99_s=rule.latency.quantile_s(0.99),
        )
    return [rows[rule_id] for rule_id in sorted(rows)]


async def backlog(ctx: ConsoleContext) -> ConsoleResponse:
    """The bucket's rules' activity as JSON, polled by the failures page's live chart."""
    bucket = ctx.params["bucket"]
    await ctx.gateway.replication(bucket)  # the user's right to look
    rows = [asdict(row) for row in await rule_activity(ctx, bucket)]
    return json_bytes(json.dumps({"rules": rows, "at_ms": int(time.time() * 1000)}).encode())


async def redrive(ctx: ConsoleContext) -> ConsoleResponse:
    """The rule's FAILED versions (of one reason, if chosen) → a CSV manifest in the bucket →
    an S3ReplicateObject batch job as the bucket's replication role; then its progress page."""
    bucket = ctx.params["bucket"]
    form = await ctx.request.form()
    rule, reason = form.get("rule") or None, form.get("reason") or None
    config = configuration_of(await ctx.gateway.replication(bucket))
    entries = await _failed_versions(
        ctx, FailureFilter(bucket=bucket, rule_id=rule, reason=reason, state=FailureState.FAILED)
    )
    if not entries:
        return ctx.redirect(f"/buckets/{bucket}/failures", "Nothing to re-drive")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    home = ctx.gateway.home_region
    batch = batch_bucket_name(ctx.gateway.account_id, home)
    await ensure_bucket(ctx, batch, home)
    key = f"{REDRIVE_PREFIX}{rule or 'all'}-{stamp}.csv"
    put = await ctx.gateway.call(
        "PUT", object_path(batch, key), region=home, content=render_csv_manifest(entries)
    )
    body = render_redrive_job_request(
        manifest_arn=f"arn:aws:s3:::{batch}/{key}",
        etag=put.headers.get("etag", ""),
        report_bucket=batch,
        token=f"console-{rule or 'all'}-{stamp}"[:64],
        priority=10,
        role=config.role,
        description=f"console re-drive {bucket} {rule or ''}".strip()[:256],
        confirmation_required=False,
    )
    created = await ctx.gateway.control("POST", "", region=ctx.gateway.home_region, body=body)
    return ctx.redirect(f"/jobs/{text(created, 'JobId')}")


async def ensure_bucket(ctx: ConsoleContext, bucket: str, region: str) -> None:
    """Creates `bucket` in `region` unless the user has it already."""
    try:
        await ctx.gateway.create_bucket(bucket, region)
    except ConsoleError as exc:
        if exc.code != "BucketAlreadyOwnedByYou":
            raise


async def _failed_versions(ctx: ConsoleContext, where: FailureFilter) -> list[ManifestEntry]:
    seen: dict[tuple[str, str], ManifestEntry] = {}
    after = None
    while len(seen) < MAX_REDRIVE_VERSIONS:
        page = await ctx.failures.query(where, limit=1000, after=after)
        for failure in page.failures:
            entry = ManifestEntry(
                bucket=failure.bucket, key=failure.key, version_id=failure.version_id
            )
            seen.setdefault((failure.key, failure.version_id), entry)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    return list(seen.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRow:
    job_id: str
    status: str
    description: str
    created: str
    total: int
    succeeded: int
    failed: int
    failure: str = ""
    report_bucket: str = ""

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def percent(self) -> int:
        done = self.succeeded + self.failed
        return (
            100
            if self.total == 0 and self.ended
            else (100 * done // self.total if self.total else 0)
        )


def _job_row(element: Element | None) -> JobRow:
    summary = "ProgressSummary/"
    return JobRow(
        job_id=text(element, "JobId"),
        status=text(element, "Status"),
        description=text(element, "Description"),
        created=text(element, "CreationTime"),
        total=int(text(element, summary + "TotalNumberOfTasks", "0")),
        succeeded=int(text(element, summary + "NumberOfTasksSucceeded", "0")),
        failed=int(text(element, summary + "NumberOfTasksFailed", "0")),
        failure=text(element, "FailureReasons/member/FailureReason"),
        report_bucket=text(element, "Report/Bucket").removeprefix("arn:aws:s3:::"),
    )


async def list_jobs(ctx: ConsoleContext) -> ConsoleResponse:
    root = await ctx.gateway.control("GET", "", region=ctx.gateway.home_region)
    jobs = [_job_row(member) for member in root.findall("Jobs/member")]
    return ctx.page("jobs.html", jobs=jobs)


async def show_job(ctx: ConsoleContext) -> ConsoleResponse:
    job_id = ctx.params["job_id"]
    root = await ctx.gateway.control("GET", f"/{job_id}", region=ctx.gateway.home_region)
    job = _job_row(root.find("Job"))
    report = f"{REDRIVE_PREFIX}reports/job-{job_id}/"
    template = "job_progress.html" if ctx.request.is_fragment else "job.html"
    results = []
    if job.ended and job.report_bucket:
        results = await read_results(ctx.gateway, job.report_bucket, job_id)
    return ctx.page(template, job=job, report_prefix=report, results=results)
