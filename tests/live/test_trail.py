"""The audit trail and server access logs, live: a two-way replication lab (seed 003 §3.3)
whose trail tells users' PutObject calls from replication's, `ferry trail query`'s filters,
records free of secrets, and access-log objects delivered to a target bucket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.live.conftest import make_client
from tests.live.replication_support import (
    Deployment,
    replicate,
    v2_rule,
    versioned_bucket,
    wait_for,
)
from tests.live.server import ACCESS_KEY, SECRET_KEY

S3 = "s3.amazonaws.com"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    running = Deployment(
        root=tmp_path_factory.mktemp("trail"),
        extra_config=("[trail]", "flush_ms = 50", "[access_logs]", "flush_seconds = 0.5"),
    ).start()
    yield running
    running.stop()


def query(deployment: Deployment, *args: str, region: str = "us-east-1") -> list[dict[str, Any]]:
    """`ferry trail query ... --json` for one region: its CloudTrail records."""
    done = deployment.run_cli("trail", "query", *args, "--json", "--limit", "0", region=region)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_seed_003_trail_tells_user_puts_from_replica_puts(deployment: Deployment) -> None:
    east, west = deployment.client("us-east-1"), deployment.client("eu-west-1")
    versioned_bucket(east, "lab-east", "us-east-1")
    versioned_bucket(west, "lab-west", "eu-west-1")
    replicate(east, "lab-east", v2_rule("lab-west"))
    replicate(west, "lab-west", v2_rule("lab-east"))
    east_v = east.put_object(Bucket="lab-east", Key="from-east.txt", Body=b"e")["VersionId"]
    west_v = west.put_object(Bucket="lab-west", Key="from-west.txt", Body=b"w")["VersionId"]
    wait_for(lambda: _has(west, "lab-west", "from-east.txt"), what="east → west")
    wait_for(lambda: _has(east, "lab-east", "from-west.txt"), what="west → east")

    def puts(region: str, bucket: str) -> list[dict[str, Any]]:
        return query(deployment, "--bucket", bucket, "--event", "PutObject", region=region)

    wait_for(lambda: len(puts("us-east-1", "lab-east")) == 2, what="east's two PutObjects")
    wait_for(lambda: len(puts("eu-west-1", "lab-west")) == 2, what="west's two PutObjects")
    for region, bucket, mine, theirs, mine_v, theirs_v in (
        ("us-east-1", "lab-east", "from-east.txt", "from-west.txt", east_v, west_v),
        ("eu-west-1", "lab-west", "from-west.txt", "from-east.txt", west_v, east_v),
    ):
        by_key = {r["requestParameters"]["key"]: r for r in puts(region, bucket)}
        user, replica = by_key[mine], by_key[theirs]
        assert "invokedBy" not in user["userIdentity"]
        assert user["userIdentity"]["type"] == "Root"
        assert user["userIdentity"]["accessKeyId"] == ACCESS_KEY
        assert user["requestParameters"]["versionId"] == mine_v
        assert replica["userIdentity"]["invokedBy"] == S3
        assert replica["userIdentity"]["type"] == "AssumedRole"
        assert replica["userIdentity"]["arn"].endswith(":assumed-role/r/s3-replication")
        issuer = replica["userIdentity"]["sessionContext"]["sessionIssuer"]
        assert issuer["arn"].endswith(":role/r")
        assert replica["sourceIPAddress"] == S3
        assert replica["requestParameters"]["versionId"] == theirs_v  # the source's version
        assert replica["eventSource"] == S3 and replica["awsRegion"] == region
        assert replica["eventID"] != user["eventID"]
        # one command answers each half of the question
        only_replicas = query(deployment, "--bucket", bucket, "--event", "PutObject",
                              "--invoked-by", S3, region=region)  # fmt: skip
        assert [r["requestParameters"]["key"] for r in only_replicas] == [theirs]
        only_users = query(deployment, "--bucket", bucket, "--event", "PutObject",
                           "--invoked-by", "", region=region)  # fmt: skip
        assert [r["requestParameters"]["key"] for r in only_users] == [mine]
    table = deployment.run_cli("trail", "query", "--bucket", "lab-east", "--event", "PutObject")
    assert table.returncode == 0, table.stderr
    assert "INVOKED BY" in table.stdout and S3 in table.stdout and "2 event(s)" in table.stdout


def _has(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True


def test_filters_key_user_since_and_errors(deployment: Deployment) -> None:
    east = deployment.client("us-east-1")
    east.create_bucket(Bucket="filters")
    east.put_object(Bucket="filters", Key="a", Body=b"1")
    east.put_object(Bucket="filters", Key="b", Body=b"2")
    with pytest.raises(ClientError):
        east.get_object(Bucket="filters", Key="missing")
    wait_for(lambda: len(query(deployment, "--bucket", "filters")) >= 4, what="four events")
    only_a = query(deployment, "--bucket", "filters", "--key", "a")
    assert [(r["eventName"], r["requestParameters"]["key"]) for r in only_a] == [("PutObject", "a")]
    missing = query(deployment, "--bucket", "filters", "--event", "GetObject")
    assert missing[0]["errorCode"] == "NoSuchKey" and missing[0]["errorMessage"]
    creates = query(deployment, "--bucket", "filters", "--event", "CreateBucket")
    assert len(creates) == 1 and creates[0]["managementEvent"] is True
    root_arn = creates[0]["userIdentity"]["arn"]
    assert query(deployment, "--bucket", "filters", "--user", root_arn)
    assert query(deployment, "--bucket", "filters", "--user", "arn:aws:iam::1:user/x") == []
    assert len(query(deployment, "--bucket", "filters", "--since", "10m")) >= 4
    time.sleep(1.2)
    assert query(deployment, "--bucket", "filters", "--since", "1s") == []
    limited = deployment.run_cli("trail", "query", "--bucket", "filters", "--json", "--limit", "1")
    assert len(limited.stdout.splitlines()) == 1
    bad = deployment.run_cli("trail", "query", "--since", "yesterday")
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_records_never_hold_secrets(deployment: Deployment) -> None:
    east = deployment.client("us-east-1")
    east.create_bucket(Bucket="secrets")
    sse_key = b"K" * 32
    east.put_object(Bucket="secrets", Key="c", Body=b"x", SSECustomerAlgorithm="AES256",
                    SSECustomerKey=sse_key)  # fmt: skip
    v4 = make_client(deployment.endpoint("us-east-1"), signature_version="s3v4")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": "secrets", "Key": "c"})
    httpx.get(url)
    signature = url.split("X-Amz-Signature=")[1].split("&")[0]
    iam = boto3.client(
        "iam", endpoint_url=deployment.endpoint("us-east-1"), region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip
    user_arn = iam.create_user(UserName="trail-user")["User"]["Arn"]
    created = iam.create_access_key(UserName="trail-user")["AccessKey"]
    with pytest.raises(ClientError):  # Ferry keeps no passwords; the request is still recorded
        iam.create_login_profile(UserName="trail-user", Password="Sup3r-Secret-Pw!")
    user_s3 = boto3.client(
        "s3", endpoint_url=deployment.endpoint("us-east-1"), region_name="us-east-1",
        aws_access_key_id=created["AccessKeyId"],
        aws_secret_access_key=created["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip
    with pytest.raises(ClientError):
        user_s3.get_object(Bucket="secrets", Key="c")  # no policy: AccessDenied
    wait_for(lambda: bool(query(deployment, "--event", "CreateLoginProfile")), what="IAM events")
    denied = query(deployment, "--bucket", "secrets", "--event", "GetObject",
                   "--user", user_arn)  # fmt: skip
    assert denied and denied[0]["errorCode"] == "AccessDenied"
    assert denied[0]["userIdentity"]["type"] == "IAMUser"
    assert denied[0]["userIdentity"]["accessKeyId"] == created["AccessKeyId"]
    wait_for(lambda: len(query(deployment, "--bucket", "secrets")) >= 3, what="S3 events")
    trail_dir = deployment.root / "data" / "us-east-1" / "trail"
    stored = b"".join(p.read_bytes() for p in trail_dir.glob("*.sqlite3*"))
    everything = deployment.run_cli("trail", "query", "--json", "--limit", "0").stdout
    for secret in (SECRET_KEY, created["SecretAccessKey"], "Sup3r-Secret-Pw!", signature,
                   sse_key.decode(), "S0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0="):  # fmt: skip
        assert secret not in everything
        assert secret.encode() not in stored
    assert "X-Amz-Signature=REDACTED" not in everything  # the URI is access-log only
    events = {r["eventSource"] for r in map(json.loads, everything.splitlines())}
    assert {"s3.amazonaws.com", "iam.amazonaws.com"} <= events


def test_access_logs_are_delivered_to_the_target_bucket(deployment: Deployment) -> None:
    east, west = deployment.client("us-east-1"), deployment.client("eu-west-1")
    versioned_bucket(east, "logged", "us-east-1")
    versioned_bucket(west, "logged-replica", "eu-west-1")
    east.create_bucket(Bucket="log-target")
    replicate(west, "logged-replica", v2_rule("logged"))
    east.put_bucket_logging(
        Bucket="logged",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "log-target",
                                                "TargetPrefix": "logs/"}},
    )  # fmt: skip
    got = east.get_bucket_logging(Bucket="logged")["LoggingEnabled"]
    assert (got["TargetBucket"], got["TargetPrefix"]) == ("log-target", "logs/")
    version = east.put_object(Bucket="logged", Key="user key.txt", Body=b"hello")["VersionId"]
    east.get_object(Bucket="logged", Key="user key.txt")
    west.put_object(Bucket="logged-replica", Key="replicated.txt", Body=b"r")
    wait_for(lambda: _has(east, "logged", "replicated.txt"), what="the replica")

    def lines() -> list[str]:
        listed = east.list_objects_v2(Bucket="log-target", Prefix="logs/").get("Contents", [])
        out: list[str] = []
        for item in listed:
            body = east.get_object(Bucket="log-target", Key=item["Key"])["Body"].read()
            out += body.decode().splitlines()
        return out

    wait_for(lambda: any("REST.PUT.OBJECT replicated.txt" in line for line in lines()),
             timeout_s=30, what="log lines")  # fmt: skip
    found = lines()
    put = next(line for line in found if "REST.PUT.OBJECT user%20key.txt" in line)
    fields = put.split(" ")
    assert fields[1] == "logged" and fields[2].startswith("[") and fields[3].endswith("+0000]")
    assert fields[9] == '"PUT' and " 200 " in put and version in put
    assert "SigV4" in put and "AuthHeader" in put
    assert any("REST.GET.OBJECT user%20key.txt" in line for line in found)
    replica = next(line for line in found if "REST.PUT.OBJECT replicated.txt" in line)
    assert replica.split(" ")[5].endswith(":assumed-role/r/s3-replication")
    user_requester = put.split(" ")[5]
    assert "s3-replication" not in user_requester
    # log delivery is not itself logged, and the target bucket has no logging of its own
    assert not any(line.split(" ")[1] == "log-target" for line in found)
    keys = [o["Key"] for o in east.list_objects_v2(Bucket="log-target")["Contents"]]
    assert all(k.startswith("logs/20") and len(k.split("-")) == 7 for k in keys)
    east.put_bucket_logging(Bucket="logged", BucketLoggingStatus={})
    assert "LoggingEnabled" not in east.get_bucket_logging(Bucket="logged")


def test_bad_logging_configurations_get_aws_errors(deployment: Deployment) -> None:
    east, west = deployment.client("us-east-1"), deployment.client("eu-west-1")
    east.create_bucket(Bucket="logsource")
    west.create_bucket(Bucket="far-target", CreateBucketConfiguration={
        "LocationConstraint": "eu-west-1"})  # fmt: skip

    def put(target: str) -> ClientError:
        with pytest.raises(ClientError) as caught:
            east.put_bucket_logging(Bucket="logsource", BucketLoggingStatus={
                "LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "p/"}})  # fmt: skip
        return caught.value

    missing = put("no-such-target-bucket")
    assert missing.response["Error"]["Code"] == "InvalidTargetBucketForLogging"
    assert missing.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    far = put("far-target")
    assert far.response["Error"]["Code"] == "CrossLocationLoggingProhibited"
    assert far.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as caught:
        east.get_bucket_logging(Bucket="no-such-bucket-here")
    assert caught.value.response["Error"]["Code"] == "NoSuchBucket"
    assert "LoggingEnabled" not in east.get_bucket_logging(Bucket="logsource")


def test_every_replica_of_a_burst_is_its_own_put_object(deployment: Deployment) -> None:
    """Small replicas travel in batches (one request, many replicas): each is still one
    PutObject event at the destination, with its own key and the source's version ID."""
    east, west = deployment.client("us-east-1"), deployment.client("eu-west-1")
    versioned_bucket(east, "burst", "us-east-1")
    versioned_bucket(west, "burst-replica", "eu-west-1")
    replicate(east, "burst", v2_rule("burst-replica"))
    versions = {
        f"k{i}": east.put_object(Bucket="burst", Key=f"k{i}", Body=b"x")["VersionId"]
        for i in range(12)
    }

    def replicas() -> dict[str, str]:
        found = query(deployment, "--bucket", "burst-replica", "--event", "PutObject",
                      "--invoked-by", S3, region="eu-west-1")  # fmt: skip
        return {r["requestParameters"]["key"]: r["requestParameters"]["versionId"] for r in found}

    wait_for(lambda: len(replicas()) == 12, timeout_s=60, what="twelve replica PutObjects")
    assert replicas() == versions
