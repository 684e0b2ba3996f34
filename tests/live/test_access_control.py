"""Bucket policies and request authorisation against a real server, driven by boto3 (and the
aws CLI for the policy commands)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3
import httpx
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.live.server import ACCESS_KEY, SECRET_KEY, FerryServer
from tests.live.test_aws_cli import run_aws


@pytest.fixture
def bucket(s3: Any, bucket: str) -> str:
    """These tests put public bucket policies: their buckets have Block Public Access off
    (new buckets have it on, as on AWS)."""
    s3.delete_public_access_block(Bucket=bucket)
    return bucket


def policy_text(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def code_of(error: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = error.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def anonymous_client(server: FerryServer) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        region_name=server.region,
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def public_read(bucket: str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    if condition:
        statement["Condition"] = condition
    return statement


def test_bucket_policy_round_trip_and_errors(server: FerryServer, s3: Any, bucket: str) -> None:
    text = json.dumps(
        {"Version": "2012-10-17", "Statement": [public_read(bucket)]}, indent=4, sort_keys=True
    )
    run_aws(server, "s3api", "put-bucket-policy", "--bucket", bucket, "--policy", text)
    fetched = json.loads(run_aws(server, "s3api", "get-bucket-policy", "--bucket", bucket))
    assert fetched["Policy"] == text
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    s3.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(ClientError) as missing:
        s3.get_bucket_policy(Bucket=bucket)
    assert code_of(missing) == (404, "NoSuchBucketPolicy")
    with pytest.raises(ClientError) as malformed:
        s3.put_bucket_policy(Bucket=bucket, Policy='{"Statement": [}')
    assert code_of(malformed) == (400, "MalformedPolicy")
    outside = {**public_read(bucket), "Resource": "arn:aws:s3:::some-other-bucket/*"}
    with pytest.raises(ClientError) as invalid:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy_text(outside))
    assert invalid.value.response["Error"]["Message"] == "Policy has invalid resource"


def test_anonymous_get_object_needs_a_bucket_policy(
    server: FerryServer, s3: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"hello")
    anonymous = anonymous_client(server)
    with pytest.raises(ClientError) as denied:
        anonymous.get_object(Bucket=bucket, Key="hello.txt")
    assert code_of(denied) == (403, "AccessDenied")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy_text(public_read(bucket)))
    assert anonymous.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"hello"
    with pytest.raises(ClientError) as listing:
        anonymous.list_objects_v2(Bucket=bucket)  # the policy grants reads, not listing
    assert code_of(listing) == (403, "AccessDenied")


def test_source_ip_condition(server: FerryServer, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    anonymous = anonymous_client(server)
    elsewhere = public_read(bucket, IpAddress={"aws:SourceIp": "203.0.113.0/24"})
    s3.put_bucket_policy(Bucket=bucket, Policy=policy_text(elsewhere))
    with pytest.raises(ClientError) as denied:
        anonymous.get_object(Bucket=bucket, Key="k")
    assert code_of(denied) == (403, "AccessDenied")
    local = public_read(bucket, IpAddress={"aws:SourceIp": "127.0.0.0/8"})
    s3.put_bucket_policy(Bucket=bucket, Policy=policy_text(local))
    assert anonymous.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def create_account(server: FerryServer, name: str, email: str | None = None) -> dict[str, str]:
    """Through the deployment root's accounts admin API."""
    body = json.dumps({"name": name} if email is None else {"name": name, "email": email}).encode()
    url = f"{server.endpoint}/_ferry/accounts"
    digest = hashlib.sha256(body).hexdigest()
    request = AWSRequest(
        method="POST", url=url, data=body, headers={"x-amz-content-sha256": digest}
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", server.region).add_auth(request)
    response = httpx.post(url, content=body, headers=dict(request.headers.items()))
    assert response.status_code == 201, response.text
    account: dict[str, str] = response.json()
    return account


def test_explicit_deny_beats_the_account_root_and_leaves_no_object(
    server: FerryServer,
) -> None:
    account = create_account(server, "live-access-control")
    owner = boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        region_name=server.region,
        aws_access_key_id=account["access_key_id"],
        aws_secret_access_key=account["secret_access_key"],
        config=Config(retries={"max_attempts": 1}),
    )
    owner.create_bucket(Bucket="live-denied-writes")
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::live-denied-writes/*",
    }
    owner.put_bucket_policy(Bucket="live-denied-writes", Policy=policy_text(deny))
    with pytest.raises(ClientError) as denied:
        owner.put_object(Bucket="live-denied-writes", Key="k", Body=b"x" * 100_000)
    assert code_of(denied) == (403, "AccessDenied")
    assert owner.list_objects_v2(Bucket="live-denied-writes")["KeyCount"] == 0
    with pytest.raises(ClientError) as gone:
        owner.head_object(Bucket="live-denied-writes", Key="k")
    assert code_of(gone)[0] == 404
