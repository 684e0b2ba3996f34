"""Replicating encrypted objects in a real two-region deployment (reference §3.3), with KMS
keys made by the aws CLI in each region: SSE-S3, SSE-KMS (opted in, re-encrypted under the
rule's ReplicaKmsKeyID) and SSE-C replicate; each KMS failure cause ends the version FAILED
with AWS's reason, and after the fix `ferry failures redrive` replicates it."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.iam_support import ensure_replication_role, replication_policy
from tests.live.replication_support import Deployment, status, v2_rule, wait_for
from tests.live.test_replication_permissions import (
    EAST,
    POLICY_TTL_S,
    WEST,
    aws,
    configure,
    failures,
    pair,
    redrive,
)

CUSTOMER_KEY = os.urandom(32)
SSE_C = {
    "SSECustomerAlgorithm": "AES256",
    "SSECustomerKey": CUSTOMER_KEY,  # boto3 adds the key's MD5 and base64-encodes it
}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    running = Deployment(root=tmp_path_factory.mktemp("replication-sse")).start()
    yield running
    running.stop()


def create_key(deployment: Deployment, region: str) -> str:
    """A customer managed KMS key in `region`, made with `aws kms create-key`."""
    made = json.loads(aws(deployment, region, "kms", "create-key", "--description", "replica"))
    arn: str = made["KeyMetadata"]["Arn"]
    return arn


def kms_rule(destination: str, rule_id: str, replica_key: str) -> dict[str, Any]:
    return v2_rule(
        destination,
        rule_id=rule_id,
        EncryptionConfiguration={"ReplicaKmsKeyID": replica_key},
    ) | {"SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}}}


def settled(east: Any, bucket: str, key: str, version: str, **extra: Any) -> str | None:
    found: dict[str, str | None] = {}

    def done() -> bool:
        head = east.head_object(Bucket=bucket, Key=key, VersionId=version, **extra)
        found["status"] = head.get("ReplicationStatus")
        return found["status"] in ("COMPLETED", "FAILED")

    wait_for(done, what=f"{key} replicated or failed")
    return found["status"]


def test_encrypted_objects_replicate_as_aws_replicates_them(
    deployment: Deployment, east: Any, west: Any, tmp_path: Path
) -> None:
    source, destination = pair(east, west, "sse-all")
    source_key = create_key(deployment, EAST)
    replica_key = create_key(deployment, WEST)
    role = ensure_replication_role(deployment.endpoint(EAST), "sse-all")
    config = tmp_path / "replication.json"
    config.write_text(
        json.dumps({"Role": role, "Rules": [kms_rule(destination, "sse-all", replica_key)]})
    )
    aws(deployment, EAST, "s3api", "put-bucket-replication", "--bucket", source,
        "--replication-configuration", f"file://{config}")  # fmt: skip
    body = tmp_path / "body.bin"
    body.write_bytes(os.urandom(300 * 1024))
    puts = {
        "s3": ["--server-side-encryption", "AES256"],
        "kms": ["--server-side-encryption", "aws:kms", "--ssekms-key-id", source_key],
    }
    versions = {
        name: json.loads(aws(deployment, EAST, "s3api", "put-object", "--bucket", source,
                             "--key", name, "--body", str(body), *flags))["VersionId"]
        for name, flags in puts.items()
    }  # fmt: skip
    versions["c"] = east.put_object(Bucket=source, Key="c", Body=b"customer", **SSE_C)["VersionId"]
    for name in ("s3", "kms"):
        assert settled(east, source, name, versions[name]) == "COMPLETED", name
    assert settled(east, source, "c", versions["c"], **SSE_C) == "COMPLETED"
    s3_replica = west.get_object(Bucket=destination, Key="s3", VersionId=versions["s3"])
    assert s3_replica["ServerSideEncryption"] == "AES256"
    assert s3_replica["Body"].read() == body.read_bytes()
    head = json.loads(aws(deployment, WEST, "s3api", "head-object", "--bucket", destination,
                          "--key", "kms", "--version-id", versions["kms"]))  # fmt: skip
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", replica_key)
    assert head["ReplicationStatus"] == "REPLICA"
    kms_replica = west.get_object(Bucket=destination, Key="kms", VersionId=versions["kms"])
    assert (
        hashlib.md5(kms_replica["Body"].read()).hexdigest()
        == hashlib.md5(body.read_bytes()).hexdigest()
    )
    c_replica = west.get_object(Bucket=destination, Key="c", **SSE_C)
    assert c_replica["Body"].read() == b"customer"


def test_an_sse_kms_object_needs_the_rules_opt_in(
    deployment: Deployment, east: Any, west: Any
) -> None:
    source, destination = pair(east, west, "sse-optin")
    role = ensure_replication_role(deployment.endpoint(EAST), "sse-optin")
    configure(east, source, role, v2_rule(destination, rule_id="sse-optin"))
    source_key = create_key(deployment, EAST)
    kms_version = east.put_object(
        Bucket=source, Key="kms", Body=b"k", ServerSideEncryption="aws:kms", SSEKMSKeyId=source_key
    )["VersionId"]
    plain = east.put_object(Bucket=source, Key="plain", Body=b"p")["VersionId"]
    assert settled(east, source, "plain", plain) == "COMPLETED"
    assert status(east, source, "kms", kms_version) is None  # never eligible, as on AWS
    assert [v["Key"] for v in west.list_object_versions(Bucket=destination)["Versions"]] == [
        "plain"
    ]


def _without(*actions: str) -> dict[str, Any]:
    return replication_policy(without=actions)


def _no_key(deployment: Deployment) -> str:
    """A key ARN of the right shape in the destination region that names no key."""
    real = create_key(deployment, WEST)
    return real[: -len("0000-0000-000000000000")] + "0000-0000-000000000000"


@pytest.mark.parametrize(
    ("cause", "reason"),
    [
        ("replica key missing", "DstKmsKeyNotFound"),
        ("replica key disabled", "DstKmsKeyInvalidState"),
        ("no kms:Decrypt", "SrcGetObjectNotPermitted"),
        ("no kms:Encrypt", "DstPutObjectNotPermitted"),
    ],
)
def test_each_kms_failure_cause_fails_with_its_reason_then_redrives(
    deployment: Deployment, east: Any, west: Any, tmp_path: Path, cause: str, reason: str
) -> None:
    name = "kms-" + cause.replace(" ", "-").replace(":", "").lower()[:20]
    source, destination = pair(east, west, name)
    source_key, replica_key = create_key(deployment, EAST), create_key(deployment, WEST)
    policy = replication_policy()
    rule_key = replica_key
    if cause == "replica key missing":
        rule_key = _no_key(deployment)
    elif cause == "replica key disabled":
        aws(deployment, WEST, "kms", "disable-key", "--key-id", replica_key)
    elif cause == "no kms:Decrypt":
        policy = _without("kms:Decrypt")
    else:
        policy = _without("kms:Encrypt")
    role = ensure_replication_role(deployment.endpoint(EAST), name, policy=policy)
    configure(east, source, role, kms_rule(destination, name, rule_key))
    version = east.put_object(
        Bucket=source, Key="doc", Body=b"secret", ServerSideEncryption="aws:kms",
        SSEKMSKeyId=source_key,
    )["VersionId"]  # fmt: skip
    assert settled(east, source, "doc", version) == "FAILED"
    [failure] = failures(deployment, name)
    assert (failure["reason"], failure["version_id"]) == (reason, version)
    assert west.list_object_versions(Bucket=destination).get("Versions", []) == []
    # the fix, with the aws CLI, as an operator would make it
    if cause == "replica key missing":
        fixed = tmp_path / "fixed.json"
        rules = [kms_rule(destination, name, replica_key)]
        fixed.write_text(json.dumps({"Role": role, "Rules": rules}))
        aws(deployment, EAST, "s3api", "put-bucket-replication", "--bucket", source,
            "--replication-configuration", f"file://{fixed}")  # fmt: skip
    elif cause == "replica key disabled":
        aws(deployment, WEST, "kms", "enable-key", "--key-id", replica_key)
    else:
        document = tmp_path / "policy.json"
        document.write_text(json.dumps(replication_policy()))
        aws(deployment, EAST, "iam", "put-role-policy", "--role-name", name, "--policy-name",
            "replication", "--policy-document", f"file://{document}")  # fmt: skip
        time.sleep(POLICY_TTL_S)
    redrive(deployment, source, name, 1)
    assert status(east, source, "doc", version) == "COMPLETED"
    replica = west.get_object(Bucket=destination, Key="doc", VersionId=version)
    assert replica["Body"].read() == b"secret"
    assert replica["SSEKMSKeyId"] == replica_key
    assert failures(deployment, name) == []


def test_the_ciphertext_of_an_sse_c_object_is_what_travels(
    deployment: Deployment, east: Any, west: Any
) -> None:
    """Without the customer's key neither region can read the object; with it, both can."""
    source, destination = pair(east, west, "sse-c-only")
    role = ensure_replication_role(deployment.endpoint(EAST), "sse-c-only")
    configure(east, source, role, v2_rule(destination, rule_id="sse-c-only"))
    version = east.put_object(Bucket=source, Key="c", Body=b"mine alone", **SSE_C)["VersionId"]
    assert settled(east, source, "c", version, **SSE_C) == "COMPLETED"
    with pytest.raises(ClientError) as refused:
        west.get_object(Bucket=destination, Key="c")
    assert refused.value.response["Error"]["Code"] == "InvalidRequest"
    other = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": os.urandom(32)}
    with pytest.raises(ClientError) as wrong:
        west.get_object(Bucket=destination, Key="c", **other)
    assert wrong.value.response["Error"]["Code"] == "AccessDenied"
    assert west.get_object(Bucket=destination, Key="c", **SSE_C)["Body"].read() == b"mine alone"
