"""Batch replication jobs in process: S3 Control API → job runner → task queue → worker."""

from __future__ import annotations

import json
from typing import Any

from ferry.control.iam_names import MIN_SESSION_S
from ferry.control.identifiers import HolderKind
from ferry.control.policies import Holder
from ferry.control.roles import RoleSpec
from ferry.replication.manifest import ManifestEntry, render_csv_manifest
from tests.integration.replication.conftest import TwoRegions, eventually
from tests.integration.replication.jobs_client import ACCOUNT_ID, call
from tests.integration.replication.test_engine import configure, make_bucket, status_of
from tests.integration.s3 import S3

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/batch"
REPORT = {
    "Bucket": "arn:aws:s3:::src", "Format": "Report_CSV_20180820", "Enabled": True,
    "Prefix": "reports", "ReportScope": "AllTasks",
}  # fmt: skip
VERSIONING_SUSPENDED = (
    b"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"
)
VERSIONING_ENABLED = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"


async def _failed_versions(regions: TwoRegions, count: int) -> list[str]:
    """`count` versions in src whose replication FAILED (the destination was unversioned)."""
    s3 = regions.s3_east
    await make_bucket(s3, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(s3, "src", "dst", rule_id="rule-1")
    await regions.s3_west.put("/dst", query={"versioning": None}, body=VERSIONING_SUSPENDED)
    versions = []
    for n in range(count):
        put = await s3.put(f"/src/k{n}", body=f"body {n}".encode())
        versions.append(put.headers["x-amz-version-id"])

    async def all_failed() -> bool:
        statuses = [await status_of(s3, f"/src/k{n}", v) for n, v in enumerate(versions)]
        return all(s == "FAILED" for s in statuses)

    await eventually(all_failed)
    await regions.s3_west.put("/dst", query={"versioning": None}, body=VERSIONING_ENABLED)
    return versions


async def _manifest(s3: S3, versions: list[str]) -> dict[str, Any]:
    entries = [
        ManifestEntry(bucket="src", key=f"k{n}", version_id=v) for n, v in enumerate(versions)
    ]
    put = await s3.put("/src/ferry-redrive/m.csv", body=render_csv_manifest(entries))
    return {
        "Spec": {"Format": "S3BatchOperations_CSV_20180820",
                 "Fields": ["Bucket", "Key", "VersionId"]},
        "Location": {"ObjectArn": "arn:aws:s3:::src/ferry-redrive/m.csv",
                     "ETag": put.headers["etag"]},
    }  # fmt: skip


async def _wait_for(s3: S3, job_id: str, *statuses: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def reached() -> bool:
        _, parsed = await call(s3, "DescribeJob", JobId=job_id)
        seen.update(parsed["Job"])
        return bool(parsed["Job"]["Status"] in statuses)

    await eventually(reached, timeout_s=20)
    return seen


async def test_csv_manifest_job_redrives_failed_versions_and_writes_report(
    regions: TwoRegions,
) -> None:
    s3 = regions.s3_east
    versions = await _failed_versions(regions, 5)
    response, created = await call(
        s3, "CreateJob", ConfirmationRequired=False, Operation={"S3ReplicateObject": {}},
        Report=REPORT, ClientRequestToken="t-1", Manifest=await _manifest(s3, versions),
        Priority=10, RoleArn=ROLE, Description="redrive",
    )  # fmt: skip
    assert response.status_code == 200, response.text
    job = await _wait_for(s3, created["JobId"], "Complete")
    assert job["ProgressSummary"]["TotalNumberOfTasks"] == 5
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 5
    assert job["ProgressSummary"]["NumberOfTasksFailed"] == 0
    for n, version in enumerate(versions):
        assert await status_of(s3, f"/src/k{n}", version) == "COMPLETED"
        replica = await regions.s3_west.head(f"/dst/k{n}", query={"versionId": version})
        assert replica.headers["x-amz-replication-status"] == "REPLICA"
    manifest = json.loads(
        (await s3.get(f"/src/reports/job-{created['JobId']}/manifest.json")).content
    )
    assert manifest["Format"] == "Report_CSV_20180820"
    [result] = manifest["Results"]
    assert result["TaskExecutionStatus"] == "succeeded"
    rows = (await s3.get(f"/src/{result['Key']}")).text.splitlines()
    assert sorted(rows) == sorted(
        f"src,k{n},{v},succeeded,200,,Successful" for n, v in enumerate(versions)
    )


async def test_same_token_returns_same_job_and_different_request_is_refused(
    regions: TwoRegions,
) -> None:
    s3 = regions.s3_east
    versions = await _failed_versions(regions, 1)
    params: dict[str, Any] = {
        "ConfirmationRequired": True, "Operation": {"S3ReplicateObject": {}}, "Report": REPORT,
        "ClientRequestToken": "same", "Manifest": await _manifest(s3, versions), "Priority": 1,
        "RoleArn": ROLE,
    }  # fmt: skip
    _, first = await call(s3, "CreateJob", **params)
    _, again = await call(s3, "CreateJob", **params)
    assert first["JobId"] == again["JobId"]
    response, error = await call(s3, "CreateJob", **{**params, "Priority": 2})
    assert response.status_code == 400
    assert error["Error"]["Code"] == "IdempotencyException"


async def test_confirmation_cancel_and_priority(regions: TwoRegions) -> None:
    s3 = regions.s3_east
    versions = await _failed_versions(regions, 2)
    base: dict[str, Any] = {
        "ConfirmationRequired": True, "Operation": {"S3ReplicateObject": {}},
        "Report": {"Enabled": False}, "Manifest": await _manifest(s3, versions), "Priority": 5,
        "RoleArn": ROLE,
    }  # fmt: skip
    _, one = await call(s3, "CreateJob", ClientRequestToken="a", **base)
    _, two = await call(s3, "CreateJob", ClientRequestToken="b", **base)
    suspended = await _wait_for(s3, one["JobId"], "Suspended")
    assert suspended["SuspendedCause"] == "AwaitingConfirmation"
    await _wait_for(s3, two["JobId"], "Suspended")
    _, priority = await call(s3, "UpdateJobPriority", JobId=one["JobId"], Priority=99)
    assert priority == {"JobId": one["JobId"], "Priority": 99}
    _, cancelled = await call(
        s3, "UpdateJobStatus", JobId=two["JobId"], RequestedJobStatus="Cancelled"
    )
    assert cancelled["Status"] == "Cancelled"
    response, error = await call(
        s3, "UpdateJobStatus", JobId=two["JobId"], RequestedJobStatus="Ready"
    )
    assert (response.status_code, error["Error"]["Code"]) == (400, "JobStatusException")
    _, ready = await call(s3, "UpdateJobStatus", JobId=one["JobId"], RequestedJobStatus="Ready")
    assert ready["Status"] == "Ready"
    done = await _wait_for(s3, one["JobId"], "Complete")
    assert done["Priority"] == 99
    _, listed = await call(s3, "ListJobs", JobStatuses=["Cancelled"])
    assert [j["JobId"] for j in listed["Jobs"]] == [two["JobId"]]
    _, page = await call(s3, "ListJobs", MaxResults=1)
    assert len(page["Jobs"]) == 1 and page["NextToken"]
    response, error = await call(s3, "DescribeJob", JobId="no-such-job")
    assert (response.status_code, error["Error"]["Code"]) == (404, "NotFoundException")


async def test_manifest_etag_mismatch_fails_the_job(regions: TwoRegions) -> None:
    s3 = regions.s3_east
    versions = await _failed_versions(regions, 1)
    manifest = await _manifest(s3, versions)
    manifest["Location"]["ETag"] = '"0123456789abcdef0123456789abcdef"'
    _, created = await call(
        s3, "CreateJob", ConfirmationRequired=False, Operation={"S3ReplicateObject": {}},
        Report=REPORT, ClientRequestToken="bad", Manifest=manifest, Priority=1, RoleArn=ROLE,
    )  # fmt: skip
    job = await _wait_for(s3, created["JobId"], "Failed")
    assert job["FailureReasons"][0]["FailureCode"] == "ManifestETagMismatch"


async def test_other_operations_are_not_implemented(regions: TwoRegions) -> None:
    s3 = regions.s3_east
    versions = await _failed_versions(regions, 1)
    response, error = await call(
        s3, "CreateJob", Operation={"S3PutObjectTagging": {"TagSet": []}}, Report=REPORT,
        ClientRequestToken="x", Manifest=await _manifest(s3, versions), Priority=1, RoleArn=ROLE,
    )  # fmt: skip
    assert (response.status_code, error["Error"]["Code"]) == (501, "NotImplemented")


async def test_generated_manifest_replicates_existing_objects_and_writes_manifest(
    regions: TwoRegions,
) -> None:
    s3 = regions.s3_east
    await make_bucket(s3, "src")
    await make_bucket(regions.s3_west, "dst")
    for key in ("logs/a.txt", "logs/b.log", "img/c.txt"):
        await s3.put(f"/src/{key}", body=b"before the rule")
    await configure(s3, "src", "dst", rule_id="rule-1")
    generator = {"S3JobManifestGenerator": {
        "SourceBucket": "arn:aws:s3:::src", "EnableManifestOutput": True,
        "ManifestOutputLocation": {"Bucket": "arn:aws:s3:::src", "ManifestPrefix": "generated",
                                   "ManifestFormat": "S3InventoryReport_CSV_20211130"},
        "Filter": {"EligibleForReplication": True, "ObjectReplicationStatuses": ["NONE"],
                   "KeyNameConstraint": {"MatchAnyPrefix": ["logs/"], "MatchAnySuffix": [".txt"]}},
    }}  # fmt: skip
    _, created = await call(
        s3, "CreateJob", ConfirmationRequired=False, Operation={"S3ReplicateObject": {}},
        Report=REPORT, ClientRequestToken="gen", ManifestGenerator=generator, Priority=1,
        RoleArn=ROLE,
    )  # fmt: skip
    job = await _wait_for(s3, created["JobId"], "Complete")
    assert job["ProgressSummary"]["TotalNumberOfTasks"] == 1
    assert job["ManifestGenerator"] == generator
    location = job["GeneratedManifestDescriptor"]["Location"]["ObjectArn"]
    assert location == f"arn:aws:s3:::src/generated/job-{created['JobId']}/manifest.json"
    assert await status_of(s3, "/src/logs/a.txt") == "COMPLETED"
    assert await status_of(s3, "/src/logs/b.log") is None
    assert (await regions.s3_west.head("/dst/logs/a.txt")).status_code == 200


async def test_entries_that_cannot_replicate_fail_in_a_failed_tasks_only_report(
    regions: TwoRegions,
) -> None:
    s3 = regions.s3_east
    versions = await _failed_versions(regions, 1)
    manifest = await _manifest(s3, [*versions, "no-such-version"])
    _, created = await call(
        s3, "CreateJob", ConfirmationRequired=False, Operation={"S3ReplicateObject": {}},
        Report={**REPORT, "ReportScope": "FailedTasksOnly"}, ClientRequestToken="mixed",
        Manifest=manifest, Priority=1, RoleArn=ROLE,
    )  # fmt: skip
    job = await _wait_for(s3, created["JobId"], "Complete")
    summary = job["ProgressSummary"]
    assert (summary["NumberOfTasksSucceeded"], summary["NumberOfTasksFailed"]) == (1, 1)
    report = json.loads(
        (await s3.get(f"/src/reports/job-{created['JobId']}/manifest.json")).content
    )
    [result] = report["Results"]
    assert result["TaskExecutionStatus"] == "failed"
    rows = (await s3.get(f"/src/{result['Key']}")).text.splitlines()
    assert rows == [
        "src,k1,no-such-version,failed,404,SrcVersionNotFound,The source version does not exist."
    ]


async def test_the_jobs_role_must_be_assumable_and_initiate_replication(
    regions: TwoRegions,
) -> None:
    """A job acts as its RoleArn: each entry fails when S3 Batch Operations cannot assume it
    (AssumeRoleNotPermitted) or it lacks s3:InitiateReplication on the object."""
    s3 = regions.s3_east
    versions = await _failed_versions(regions, 1)
    manifest = await _manifest(s3, versions)
    iam = regions.east.services.iam
    s3_only_trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]})  # fmt: skip
    await iam.roles.create(ACCOUNT_ID, RoleSpec(
        name="not-batch", path="/", trust_policy=s3_only_trust, description="",
        max_session_s=MIN_SESSION_S))  # fmt: skip
    no_initiate = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:InitiateReplication", "Resource": "*"}]})  # fmt: skip
    await iam.policies.put_inline(
        Holder(account_id=ACCOUNT_ID, kind=HolderKind.ROLE, name="batch"), "deny", no_initiate
    )
    for region in (regions.east, regions.west):
        region.services.iam.identities.forget()
    reasons = {}
    for token, role in (("assume", "not-batch"), ("initiate", "batch")):
        _, created = await call(
            s3, "CreateJob", ConfirmationRequired=False, Operation={"S3ReplicateObject": {}},
            Report={**REPORT, "ReportScope": "FailedTasksOnly", "Prefix": f"r-{token}"},
            ClientRequestToken=token, Manifest=manifest, Priority=1,
            RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role}",
        )  # fmt: skip
        job = await _wait_for(s3, created["JobId"], "Complete", "Failed")
        assert job["ProgressSummary"]["NumberOfTasksFailed"] == 1
        report = json.loads(
            (await s3.get(f"/src/r-{token}/job-{created['JobId']}/manifest.json")).content
        )
        [row] = (await s3.get(f"/src/{report['Results'][0]['Key']}")).text.splitlines()
        reasons[token] = row.split(",")[5]
    assert reasons == {
        "assume": "AssumeRoleNotPermitted", "initiate": "InitiateReplicationNotPermitted",
    }  # fmt: skip
    assert await status_of(s3, "/src/k0", versions[0]) == "FAILED"  # nothing was replicated
