"""`ferry failures redrive --bucket B --rule R`: re-drive a rule's FAILED versions with a batch
replication job (S3 Control S3ReplicateObject), as the seed story's command centre does.

The job runs in the source bucket's region (found with HeadBucket, whichever region is asked).
It lists the rule's FAILED versions from that region's failure store (admin API), writes their
CSV manifest under `ferry-redrive/` in a bucket outside replication, creates the job through
the region's S3 Control API, confirms it, shows its progress until it ends, and prints the
summary and where the manifest and the completion report went. Before writing anything it
checks the roles as `ferry doctor` does (`cli/redrive_checks.py`), refusing, with the fixes,
a job whose every entry would fail.

The manifest and report bucket is, unless `--manifest-bucket` names one, Ferry's batch bucket
of the job's account in that region, `ferry-batch-<account>-<region>`, created on first use
with no replication configuration: written into the source bucket they would be replicated by
any rule that matches `ferry-redrive/` (a catch-all rule does), which AWS advises against.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

import httpx

from ferry.cli.admin_client import AdminClient, CommandError, RegionClient
from ferry.cli.failures import run
from ferry.cli.redrive_checks import refuse_unless_roles_ready
from ferry.config import root_credentials_from_env
from ferry.protocol.xml.redrive_job import (
    REDRIVE_PREFIX,
    batch_bucket_name,
    render_redrive_job_request,
)
from ferry.replication.manifest import ManifestEntry, render_csv_manifest

MANIFEST_PREFIX = REDRIVE_PREFIX
POLL_S = 0.5
BAR_WIDTH = 30
MAX_FAILED_SHOWN = 20
_ENDED = ("Complete", "Failed", "Cancelled")
_NS = "{http://awss3control.amazonaws.com/doc/2018-08-20/}"
_S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def add_parser(
    actions: argparse._SubParsersAction[argparse.ArgumentParser],
    connection: argparse.ArgumentParser,
) -> None:
    parser = actions.add_parser(
        "redrive", parents=[connection], help="re-drive a rule's FAILED versions (batch job)"
    )
    parser.add_argument("--bucket", required=True, help="source bucket")
    parser.add_argument("--rule", required=True, help="replication rule ID")
    parser.add_argument("--reason", help="only failures with this reason")
    parser.add_argument(
        "--manifest-bucket",
        help="bucket for the manifest and report (default: Ferry's batch bucket of the account "
        "in the source region, ferry-batch-ACCOUNT-REGION, which nothing replicates)",
    )
    parser.add_argument("--priority", type=int, default=10, help="the job's priority (default 10)")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for the job")
    parser.add_argument("--account-id", help="account of the job (default: the root account)")
    parser.add_argument(
        "--role-arn",
        help="the job's IAM role (default: the bucket's replication role, which must then also "
        "trust batchoperations.s3.amazonaws.com and allow s3:InitiateReplication)",
    )
    parser.set_defaults(act=redrive, run=run)


def failed_versions(client: AdminClient, args: argparse.Namespace) -> list[ManifestEntry]:
    """Every FAILED version of the rule in the bucket, once each, oldest failure last."""
    params = {"rule": args.rule, "bucket": args.bucket, "state": "FAILED", "limit": "1000"}
    if args.reason:
        params["reason"] = args.reason
    seen: dict[tuple[str, str], ManifestEntry] = {}
    while True:
        page = client.call("GET", "/_ferry/failures", params)
        for failure in page["failures"]:
            entry = ManifestEntry(
                bucket=failure["bucket"], key=failure["key"], version_id=failure["version_id"]
            )
            seen.setdefault((entry.key, entry.version_id or ""), entry)
        if not page.get("next_cursor"):
            return list(seen.values())
        params["cursor"] = page["next_cursor"]


def _checked(response: httpx.Response) -> ET.Element:
    if response.status_code >= 300:
        raise CommandError(f"HTTP {response.status_code}: {response.text[:300]}")
    return ET.fromstring(response.content) if response.content else ET.Element("empty")


def _text(root: ET.Element, path: str) -> str:
    found = root.find("/".join(f"{_NS}{part}" for part in path.split("/")))
    return "" if found is None or found.text is None else found.text


def source_region(regions: list[RegionClient], bucket: str) -> RegionClient:
    """The region serving `bucket`: any region's HeadBucket names it (200 or 301)."""
    response = regions[0].client.http.head(f"/{quote(bucket)}")
    if response.status_code == 404:
        raise CommandError(f"no bucket {bucket}")
    name = response.headers.get("x-amz-bucket-region")
    if name is None:
        raise CommandError(f"HeadBucket {bucket}: HTTP {response.status_code}, no region")
    for region in regions:
        if region.region == name:
            return region
    raise CommandError(f"bucket {bucket} lives in {name}, which this command does not reach")


def batch_bucket(http: httpx.Client, account: str, region: str) -> str:
    """Ferry's batch bucket of `account` in `region`, created when missing (no replication
    configuration, so nothing written there is replicated)."""
    name = batch_bucket_name(account, region)
    body = b""
    if region != "us-east-1":  # as AWS: us-east-1 takes no LocationConstraint
        body = (
            "<CreateBucketConfiguration><LocationConstraint>"
            f"{escape(region)}</LocationConstraint></CreateBucketConfiguration>"
        ).encode()
    response = http.put(f"/{name}", content=body)
    if response.status_code == 409 and b"BucketAlreadyOwnedByYou" in response.content:
        return name
    _checked(response)
    return name


def redrive(regions: list[RegionClient], args: argparse.Namespace) -> bool:
    source = source_region(regions, args.bucket)
    client = source.client
    entries = failed_versions(client, args)
    if not entries:
        print(f"no FAILED versions for rule {args.rule} in {args.bucket}")
        return True
    role = args.role_arn or replication_role(client.http, args.bucket)
    refuse_unless_roles_ready(source.region, args, role)
    http = client.http
    account = args.account_id or root_credentials_from_env({}).account_id
    bucket = args.manifest_bucket or batch_bucket(http, account, source.region)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    key = f"{MANIFEST_PREFIX}{args.rule}-{stamp}.csv"
    put = http.put(f"/{bucket}/{quote(key)}", content=render_csv_manifest(entries))
    _checked(put)
    print(f"manifest: s3://{bucket}/{key} ({len(entries)} versions, region {source.region})")
    print(f"reports: s3://{bucket}/{MANIFEST_PREFIX}reports/")
    body = render_redrive_job_request(
        manifest_arn=f"arn:aws:s3:::{bucket}/{key}", etag=put.headers["etag"],
        report_bucket=bucket, token=f"ferry-redrive-{args.rule}-{stamp}"[:64],
        priority=args.priority, role=role,
        description=f"ferry failures redrive {args.bucket} {args.rule}"[:256],
    )  # fmt: skip
    headers = {"x-amz-account-id": account, "content-type": "application/xml"}
    created = _checked(http.post("/v20180820/jobs", content=body, headers=headers))
    job_id = _text(created, "JobId")
    print(f"job: {job_id}")
    job = _wait_for(http, job_id, headers, ("Suspended", *_ENDED))
    if job["status"] == "Suspended":
        _checked(http.post(f"/v20180820/jobs/{job_id}/status",
                           params={"requestedJobStatus": "Ready"}, headers=headers))  # fmt: skip
        print("confirmed")
    if args.no_wait:
        return True
    job = _wait_for(http, job_id, headers, _ENDED, progress=True)
    print(f"status: {job['status']}  succeeded: {job['succeeded']}  failed: {job['failed']}  "
          f"total: {job['total']}")  # fmt: skip
    if job["failure"]:
        print(f"failure: {job['failure']}")
    report = f"{MANIFEST_PREFIX}reports/job-{job_id}/manifest.json"
    if job["succeeded"] + job["failed"]:
        print(f"report: s3://{bucket}/{report}")
    if job["failed"]:
        print_failed_tasks(http, bucket, report)
    if job["status"] != "Complete" or job["failed"]:
        raise CommandError(f"job {job_id} ended {job['status']} with {job['failed']} failed")
    return True


def print_failed_tasks(http: httpx.Client, bucket: str, report: str) -> None:
    """The job's failed tasks with their reasons, from its completion report (the failure
    store keeps the versions' own failures; a job's refusals, such as its role's, are here)."""
    try:
        response = http.get(f"/{bucket}/{quote(report)}")
        results = response.json().get("Results", []) if response.status_code == 200 else []
    except (httpx.HTTPError, ValueError):  # the summary above stands; the report is optional
        return
    shown = 0
    for result in results:
        if result.get("TaskExecutionStatus") != "failed":
            continue
        rows = http.get(f"/{bucket}/{quote(result['Key'])}").text.splitlines()
        for row in csv.reader(rows):
            if shown == MAX_FAILED_SHOWN:
                print("  … more in the report")
                return
            _, key, version, _, http_status, code, message = (row + [""] * 7)[:7]
            print(
                f"  failed: {unquote(key)} {version or '-'}: {code} (HTTP {http_status}) {message}"
            )
            shown += 1


def replication_role(http: httpx.Client, bucket: str) -> str:
    """The role of the bucket's replication configuration (GetBucketReplication)."""
    root = _checked(http.get(f"/{quote(bucket)}", params={"replication": ""}))
    role = root.findtext(f"{_S3_NS}Role") or root.findtext("Role") or ""
    if not role:
        raise CommandError(f"bucket {bucket} has no replication role: pass --role-arn")
    return role


def _describe(http: httpx.Client, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    root = _checked(http.get(f"/v20180820/jobs/{job_id}", headers=headers))
    summary = "Job/ProgressSummary/"
    return {
        "status": _text(root, "Job/Status"),
        "total": int(_text(root, summary + "TotalNumberOfTasks") or 0),
        "succeeded": int(_text(root, summary + "NumberOfTasksSucceeded") or 0),
        "failed": int(_text(root, summary + "NumberOfTasksFailed") or 0),
        "failure": _text(root, "Job/FailureReasons/member/FailureReason"),
    }


def _wait_for(
    http: httpx.Client, job_id: str, headers: dict[str, str], statuses: tuple[str, ...],
    *, progress: bool = False,
) -> dict[str, Any]:  # fmt: skip
    while True:
        job = _describe(http, job_id, headers)
        if progress:
            print("\r" + progress_bar(job), end="", file=sys.stderr, flush=True)
        if job["status"] in statuses:
            if progress:
                print(file=sys.stderr, flush=True)
            return job
        time.sleep(POLL_S)


def progress_bar(job: dict[str, Any]) -> str:
    done, total = job["succeeded"] + job["failed"], job["total"]
    filled = BAR_WIDTH if total == 0 else BAR_WIDTH * done // total
    percent = 100 if total == 0 else 100 * done // total
    return (f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {percent:3}% {done}/{total} "
            f"({job['failed']} failed) {job['status']}")  # fmt: skip
