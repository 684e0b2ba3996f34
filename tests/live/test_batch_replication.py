"""Live S3 Batch Replication: boto3's s3control client (with the client-side host-prefix
workaround of reference §7.2) against real region processes; a region killed mid-job; and the
seed 001 story end to end with `ferry failures redrive`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.live.control_support import strip_account_label
from tests.live.iam_support import ensure_replication_role, replication_policy
from tests.live.replication_support import (
    Deployment,
    replicate,
    status,
    v2_rule,
    versioned_bucket,
    wait_for,
)
from tests.live.server import ACCESS_KEY, SECRET_KEY

EAST, WEST = "us-east-1", "eu-west-1"
ACCOUNT = "000000000001"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/batch"  # created by `deployment`, as CreateJob's RoleArn
BATCH_ACTIONS = (  # what AWS documents for a Batch Replication job's role, beyond replication's
    "s3:InitiateReplication",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:PutInventoryConfiguration",
)
BATCH_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        *replication_policy()["Statement"],
        {"Effect": "Allow", "Action": list(BATCH_ACTIONS), "Resource": "*"},
    ],
}
pytestmark = pytest.mark.live


def control_client(endpoint: str, region: str) -> Any:
    client = boto3.client(
        "s3control", endpoint_url=endpoint, region_name=region, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 3}),
    )  # fmt: skip
    client.meta.events.register_first("before-sign.s3-control.*", strip_account_label)
    return client


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    running = Deployment(root=tmp_path_factory.mktemp("batch")).start()
    assert ensure_replication_role(running.endpoint(EAST), "batch", policy=BATCH_POLICY) == ROLE
    yield running
    running.stop()


@pytest.fixture(scope="module")
def control(deployment: Deployment) -> Any:
    return control_client(deployment.endpoint(EAST), EAST)


def _report(bucket: str, prefix: str) -> dict[str, Any]:
    return {"Bucket": f"arn:aws:s3:::{bucket}", "Format": "Report_CSV_20180820",
            "Enabled": True, "Prefix": prefix, "ReportScope": "AllTasks"}  # fmt: skip


def _wait_job(control: Any, job_id: str, *statuses: str, timeout_s: float = 60) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def reached() -> bool:
        found.update(control.describe_job(AccountId=ACCOUNT, JobId=job_id)["Job"])
        return found["Status"] in statuses

    wait_for(reached, timeout_s=timeout_s, what=f"job {job_id} {statuses}")
    return found


def _report_rows(s3: Any, bucket: str, prefix: str, job_id: str) -> list[list[str]]:
    body = s3.get_object(Bucket=bucket, Key=f"{prefix}/job-{job_id}/manifest.json")["Body"]
    manifest = json.loads(body.read())
    rows: list[list[str]] = []
    for result in manifest["Results"]:
        text = s3.get_object(Bucket=bucket, Key=result["Key"])["Body"].read().decode()
        rows += list(csv.reader(io.StringIO(text)))
    return rows


def test_csv_manifest_job_confirm_priority_and_cancel(east: Any, west: Any, control: Any) -> None:
    versioned_bucket(east, "csv-src", EAST)
    versioned_bucket(west, "csv-dst", WEST)
    versions = [east.put_object(Bucket="csv-src", Key=f"old/{n}", Body=b"x")["VersionId"]
                for n in range(3)]  # fmt: skip
    replicate(east, "csv-src", v2_rule("csv-dst", rule_id="csv"))
    manifest = "".join(f"csv-src,old/{n},{v}\n" for n, v in enumerate(versions))
    etag = east.put_object(Bucket="csv-src", Key="m/manifest.csv", Body=manifest.encode())["ETag"]
    params: dict[str, Any] = {
        "AccountId": ACCOUNT, "ConfirmationRequired": True,
        "Operation": {"S3ReplicateObject": {}}, "Report": _report("csv-src", "reports"),
        "Manifest": {"Spec": {"Format": "S3BatchOperations_CSV_20180820",
                              "Fields": ["Bucket", "Key", "VersionId"]},
                     "Location": {"ObjectArn": "arn:aws:s3:::csv-src/m/manifest.csv",
                                  "ETag": etag}},
        "Priority": 5, "RoleArn": ROLE,
    }  # fmt: skip
    job_id = control.create_job(ClientRequestToken="csv-1", **params)["JobId"]
    assert control.create_job(ClientRequestToken="csv-1", **params)["JobId"] == job_id
    other = control.create_job(ClientRequestToken="csv-2", **params)["JobId"]
    assert _wait_job(control, job_id, "Suspended")["ProgressSummary"]["TotalNumberOfTasks"] == 3
    control.update_job_priority(AccountId=ACCOUNT, JobId=job_id, Priority=42)
    cancelled = control.update_job_status(AccountId=ACCOUNT, JobId=other,
                                          RequestedJobStatus="Cancelled")  # fmt: skip
    assert cancelled["Status"] == "Cancelled"
    with pytest.raises(ClientError) as refused:
        control.update_job_status(AccountId=ACCOUNT, JobId=other, RequestedJobStatus="Ready")
    assert refused.value.response["Error"]["Code"] == "JobStatusException"
    control.update_job_status(AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus="Ready")
    job = _wait_job(control, job_id, "Complete")
    assert job["Priority"] == 42
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 3
    for n, version in enumerate(versions):
        assert status(east, "csv-src", f"old/{n}", version) == "COMPLETED"
    rows = _report_rows(east, "csv-src", "reports", job_id)
    assert sorted(r[:5] for r in rows) == sorted(
        ["csv-src", f"old/{n}", v, "succeeded", "200"] for n, v in enumerate(versions)
    )
    listed = control.list_jobs(AccountId=ACCOUNT, JobStatuses=["Cancelled"])["Jobs"]
    assert other in [j["JobId"] for j in listed]
    with pytest.raises(ClientError) as missing:
        control.describe_job(AccountId=ACCOUNT, JobId="00000-missing")
    assert missing.value.response["Error"]["Code"] == "NotFoundException"


def test_manifest_generator_replicates_existing_objects(east: Any, west: Any, control: Any) -> None:
    versioned_bucket(east, "gen-src", EAST)
    versioned_bucket(west, "gen-dst", WEST)
    for key in ("a/1.txt", "a/2.log", "b/3.txt"):
        east.put_object(Bucket="gen-src", Key=key, Body=b"existing")
    replicate(east, "gen-src", v2_rule("gen-dst", rule_id="gen"))
    job_id = control.create_job(
        AccountId=ACCOUNT, ConfirmationRequired=False, Operation={"S3ReplicateObject": {}},
        Report=_report("gen-src", "reports"), ClientRequestToken="gen-1", Priority=1,
        RoleArn=ROLE,
        ManifestGenerator={"S3JobManifestGenerator": {
            "SourceBucket": "arn:aws:s3:::gen-src", "EnableManifestOutput": True,
            "ManifestOutputLocation": {"Bucket": "arn:aws:s3:::gen-src", "ManifestPrefix": "gen",
                                       "ManifestFormat": "S3InventoryReport_CSV_20211130"},
            "Filter": {"EligibleForReplication": True, "ObjectReplicationStatuses": ["NONE"],
                       "KeyNameConstraint": {"MatchAnySuffix": [".txt"]}},
        }},
    )["JobId"]  # fmt: skip
    job = _wait_job(control, job_id, "Complete")
    assert job["ProgressSummary"]["TotalNumberOfTasks"] == 2
    assert job["GeneratedManifestDescriptor"]["Format"] == "S3InventoryReport_CSV_20211130"
    west.head_object(Bucket="gen-dst", Key="a/1.txt")
    west.head_object(Bucket="gen-dst", Key="b/3.txt")
    assert status(east, "gen-src", "a/2.log") is None


@pytest.mark.slow
def test_region_killed_mid_job_resumes_with_a_correct_report(
    deployment: Deployment, east: Any, west: Any
) -> None:
    count = 2000
    versioned_bucket(east, "kill-src", EAST)
    versioned_bucket(west, "kill-dst", WEST)
    for n in range(count):
        east.put_object(Bucket="kill-src", Key=f"k/{n:05}", Body=b"s")
    replicate(east, "kill-src", v2_rule("kill-dst", rule_id="kill"))
    control = control_client(deployment.endpoint(EAST), EAST)
    job_id = control.create_job(
        AccountId=ACCOUNT, ConfirmationRequired=False, Operation={"S3ReplicateObject": {}},
        Report=_report("kill-src", "reports"), ClientRequestToken="kill-1", Priority=1,
        RoleArn=ROLE,
        ManifestGenerator={"S3JobManifestGenerator": {
            "SourceBucket": "arn:aws:s3:::kill-src", "EnableManifestOutput": False,
            "Filter": {"EligibleForReplication": True}}},
    )["JobId"]  # fmt: skip

    def some_progress() -> bool:
        job = control.describe_job(AccountId=ACCOUNT, JobId=job_id)["Job"]
        done = job.get("ProgressSummary", {}).get("NumberOfTasksSucceeded", 0)
        return bool(job["Status"] == "Active" and 50 <= done < count)

    wait_for(some_progress, timeout_s=60, what="job under way")
    deployment.kill_region(EAST)
    deployment.start_region(EAST)
    job = _wait_job(control, job_id, "Complete", timeout_s=180)
    summary = job["ProgressSummary"]
    assert (summary["TotalNumberOfTasks"], summary["NumberOfTasksSucceeded"]) == (count, count)
    assert summary["NumberOfTasksFailed"] == 0
    rows = _report_rows(east, "kill-src", "reports", job_id)
    assert len(rows) == count
    assert {r[1] for r in rows} == {f"k/{n:05}" for n in range(count)}
    assert {r[3] for r in rows} == {"succeeded"}
    listing = west.list_object_versions(Bucket="kill-dst", MaxKeys=1000)
    assert len(listing["Versions"]) == 1000  # first page of the replicas


def _redrive(deployment: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERRY_ROOT_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-m", "ferry", "failures", "redrive", "--config",
         str(deployment.config_path), "--region", EAST, *args],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_seed_001_failures_queried_per_rule_then_redriven(
    deployment: Deployment, east: Any, west: Any
) -> None:
    versioned_bucket(east, "seed-src", EAST)
    versioned_bucket(west, "seed-dst", WEST)
    replicate(east, "seed-src", v2_rule("seed-dst", rule_id="dr-rule"))
    west.put_bucket_versioning(Bucket="seed-dst", VersioningConfiguration={"Status": "Suspended"})
    versions = [east.put_object(Bucket="seed-src", Key=f"doc/{n}", Body=b"d")["VersionId"]
                for n in range(10)]  # fmt: skip
    wait_for(lambda: all(status(east, "seed-src", f"doc/{n}", v) == "FAILED"
                         for n, v in enumerate(versions)), what="FAILED")  # fmt: skip
    listed = subprocess.run(
        [sys.executable, "-m", "ferry", "failures", "list", "--config", str(deployment.config_path),
         "--region", EAST, "--rule", "dr-rule", "--json"],
        capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith(("FERRY_ROOT_", "AWS_"))},
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    failures = json.loads(listed.stdout)["failures"]
    assert {f["reason"] for f in failures} == {"DstBucketUnversioned"}
    west.put_bucket_versioning(Bucket="seed-dst", VersioningConfiguration={"Status": "Enabled"})
    result = _redrive(deployment, "--bucket", "seed-src", "--rule", "dr-rule")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "succeeded: 10" in result.stdout and "failed: 0" in result.stdout
    report = next(line for line in result.stdout.splitlines() if line.startswith("report: "))
    bucket, _, key = report.removeprefix("report: s3://").partition("/")
    job_id = key.split("job-")[1].split("/")[0]
    # manifest and report stay out of the source bucket (and so out of its replication)
    assert bucket == f"ferry-batch-{ACCOUNT}-{EAST}"
    assert f"manifest: s3://{bucket}/ferry-redrive/dr-rule-" in result.stdout
    assert east.list_objects_v2(Bucket="seed-src", Prefix="ferry-redrive/")["KeyCount"] == 0
    with pytest.raises(ClientError):
        east.get_bucket_replication(Bucket=bucket)
    for n, version in enumerate(versions):
        assert status(east, "seed-src", f"doc/{n}", version) == "COMPLETED"
        west.head_object(Bucket="seed-dst", Key=f"doc/{n}", VersionId=version)
    rows = _report_rows(east, bucket, "ferry-redrive/reports", job_id)
    assert sorted((r[1], r[2], r[3]) for r in rows) == sorted(
        (f"doc/{n}", v, "succeeded") for n, v in enumerate(versions)
    )
    time.sleep(0)  # the report is written before the job is Complete
