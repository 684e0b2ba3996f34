"""Who may use S3 Control's batch jobs (one region, in process): a caller acts in its own
account only and sees only its jobs; an IAM user needs s3:CreateJob and iam:PassRole on the
job's RoleArn, s3:DescribeJob, s3:ListJobs, s3:UpdateJobPriority, as AWS asks."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.integration.conftest import ACCOUNT_ID
from tests.integration.principals import iam
from tests.integration.replication.jobs_client import call
from tests.integration.s3 import S3

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/batch"


def job_request(token: str) -> dict[str, Any]:
    return {
        "ConfirmationRequired": True, "Operation": {"S3ReplicateObject": {}},
        "Report": {"Enabled": False}, "ClientRequestToken": token, "Priority": 1,
        "RoleArn": ROLE,
        "Manifest": {
            "Spec": {"Format": "S3BatchOperations_CSV_20180820",
                     "Fields": ["Bucket", "Key", "VersionId"]},
            "Location": {"ObjectArn": "arn:aws:s3:::src/m.csv", "ETag": "0" * 32},
        },
    }  # fmt: skip


async def allow(http: httpx.AsyncClient, *statements: dict[str, Any]) -> None:
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    await iam(http, Action="PutUserPolicy", UserName="alice", PolicyName="p",
              PolicyDocument=document)  # fmt: skip


def code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.text.split("<Code>")[1].split("</Code>")[0]


async def test_an_iam_user_needs_each_job_permission_and_pass_role(
    http: httpx.AsyncClient, s3: S3, alice: S3
) -> None:
    refused, _ = await call(alice, "CreateJob", **job_request("a"))
    assert code(refused) == (403, "AccessDenied")
    await allow(http, {"Effect": "Allow", "Action": "s3:CreateJob", "Resource": "*"})
    no_pass_role, _ = await call(alice, "CreateJob", **job_request("a"))
    assert code(no_pass_role) == (403, "AccessDenied")
    create = {"Effect": "Allow", "Action": "s3:CreateJob", "Resource": "*"}
    pass_role = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE}
    await allow(http, create, pass_role)
    created, parsed = await call(alice, "CreateJob", **job_request("a"))
    assert created.status_code == 200, created.text
    job_id = parsed["JobId"]
    hidden, _ = await call(alice, "DescribeJob", JobId=job_id)
    assert code(hidden) == (403, "AccessDenied")
    job_arn = f"arn:aws:s3:us-east-1:{ACCOUNT_ID}:job/{job_id}"
    describe = {"Effect": "Allow", "Action": "s3:DescribeJob", "Resource": job_arn}
    await allow(http, create, pass_role, describe)
    described, job = await call(alice, "DescribeJob", JobId=job_id)
    assert described.status_code == 200 and job["Job"]["JobId"] == job_id
    listed, _ = await call(alice, "ListJobs")
    assert code(listed) == (403, "AccessDenied")
    priority, _ = await call(alice, "UpdateJobPriority", JobId=job_id, Priority=5)
    assert code(priority) == (403, "AccessDenied")
    as_root, _ = await call(s3, "UpdateJobPriority", JobId=job_id, Priority=5)
    assert as_root.status_code == 200


async def test_another_accounts_jobs_do_not_exist_for_it(s3: S3, team: tuple[S3, str]) -> None:
    _, created = await call(s3, "CreateJob", **job_request("mine"))
    job_id = created["JobId"]
    other, other_account = team
    described, _ = await call(other, "DescribeJob", account_id=other_account, JobId=job_id)
    assert code(described) == (404, "NotFoundException")
    listed, jobs = await call(other, "ListJobs", account_id=other_account)
    assert listed.status_code == 200 and jobs.get("Jobs", []) == []
    impersonated, _ = await call(other, "DescribeJob", JobId=job_id)  # names our account
    assert code(impersonated) == (403, "AccessDenied")
    # the same token in another account is another job, not ours returned
    request = job_request("mine") | {"RoleArn": f"arn:aws:iam::{other_account}:role/batch"}
    theirs, parsed = await call(other, "CreateJob", account_id=other_account, **request)
    assert theirs.status_code == 200, theirs.text
    assert parsed["JobId"] != job_id
