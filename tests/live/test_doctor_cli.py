"""`ferry doctor`, `ferry explain` and the role checks of `ferry failures redrive` against a
real two-region deployment: each cause of failed replication a test sets up (suspended
destination, missing role, role not trusting S3, a missing s3:ReplicateObject, a missing KMS
key or one of the wrong region, a loop) is found with its fix; a healthy pair is silent."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.live.iam_support import (
    ROOT_ACCOUNT,
    ensure_replication_role,
    iam_client,
    replication_policy,
    role_arn,
)
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


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    running = Deployment(root=tmp_path_factory.mktemp("doctor")).start()
    yield running
    running.stop()


def ferry(deployment: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    return deployment.run_cli(*args, region=EAST)


def doctor(deployment: Deployment, bucket: str) -> tuple[int, list[dict[str, str]]]:
    result = ferry(deployment, "doctor", "--bucket", bucket, "--json")
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)["findings"]


def checks(findings: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(f["severity"], f["check"]) for f in findings}


def pair(deployment: Deployment, name: str, *rules: dict[str, Any], role: str = "") -> None:
    """Versioned `name`-src (east) and `name`-dst (west), replicating by `rules` (default: one
    rule for everything) as `role` (default: the fully permitted role `r`)."""
    east, west = deployment.client(EAST), deployment.client(WEST)
    versioned_bucket(east, f"{name}-src", EAST)
    versioned_bucket(west, f"{name}-dst", WEST)
    rules = rules or (v2_rule(f"{name}-dst", rule_id=name),)
    if not role:
        replicate(east, f"{name}-src", *rules)
        return
    east.put_bucket_replication(
        Bucket=f"{name}-src", ReplicationConfiguration={"Role": role, "Rules": list(rules)}
    )


def test_healthy_pair_is_silent(deployment: Deployment) -> None:
    pair(deployment, "healthy")
    result = ferry(deployment, "doctor", "--bucket", "healthy-src")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "healthy-src: no problems found"


def test_suspended_destination_pauses_replication(deployment: Deployment) -> None:
    pair(deployment, "paused")
    deployment.client(WEST).put_bucket_versioning(
        Bucket="paused-dst", VersioningConfiguration={"Status": "Suspended"}
    )
    code, findings = doctor(deployment, "paused-src")
    assert code == 1
    assert checks(findings) == {("ERROR", "destination-suspended")}
    assert "put-bucket-versioning --bucket paused-dst" in findings[0]["fix"]


def test_missing_role(deployment: Deployment) -> None:
    endpoint = deployment.endpoint(EAST)
    pair(deployment, "norole", role=ensure_replication_role(endpoint, "doomed"))
    iam = iam_client(endpoint)
    iam.delete_role_policy(RoleName="doomed", PolicyName="replication")
    iam.delete_role(RoleName="doomed")
    code, findings = doctor(deployment, "norole-src")
    assert code == 1
    assert checks(findings) == {("ERROR", "role-missing")}
    assert "create-role --role-name doomed" in findings[0]["fix"]


def test_role_not_trusting_s3(deployment: Deployment) -> None:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "ec2.amazonaws.com"}}]}  # fmt: skip
    role = ensure_replication_role(deployment.endpoint(EAST), "ec2only", trust=trust)
    pair(deployment, "untrusted", role=role)
    code, findings = doctor(deployment, "untrusted-src")
    assert code == 1
    assert checks(findings) == {("ERROR", "role-trust")}
    assert "s3.amazonaws.com" in findings[0]["fix"]


def test_role_without_replicate_object(deployment: Deployment) -> None:
    policy = replication_policy(without=("s3:ReplicateObject",))
    role = ensure_replication_role(deployment.endpoint(EAST), "noreplicate", policy=policy)
    pair(deployment, "noperm", role=role)
    code, findings = doctor(deployment, "noperm-src")
    assert code == 1
    [finding] = findings
    assert (finding["check"], finding["subject"]) == ("role-permission", role)
    assert "s3:ReplicateObject on destination bucket noperm-dst" in finding["message"]
    assert "Allow s3:ReplicateObject on arn:aws:s3:::noperm-dst/*" in finding["fix"]


def kms_rule(destination: str, key_id: str) -> dict[str, Any]:
    rule = v2_rule(destination, rule_id="encrypted",
                   EncryptionConfiguration={"ReplicaKmsKeyID": key_id})  # fmt: skip
    rule["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    return rule


def test_missing_kms_key(deployment: Deployment) -> None:
    key_id = f"arn:aws:kms:{WEST}:{ROOT_ACCOUNT}:key/{uuid.uuid4()}"
    pair(deployment, "nokey", kms_rule("nokey-dst", key_id))
    code, findings = doctor(deployment, "nokey-src")
    assert code == 1
    assert checks(findings) == {("ERROR", "kms-key-missing")}
    assert findings[0]["subject"] == key_id


def create_key(deployment: Deployment, region: str) -> str:
    kms = boto3.client(
        "kms", endpoint_url=deployment.endpoint(region), region_name=region,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
    )  # fmt: skip
    key_arn: str = kms.create_key()["KeyMetadata"]["Arn"]
    return key_arn


def test_an_encrypted_pair_with_its_key_in_place_is_healthy(deployment: Deployment) -> None:
    pair(deployment, "withkey", kms_rule("withkey-dst", create_key(deployment, WEST)))
    assert doctor(deployment, "withkey-src") == (0, [])


def test_kms_key_of_another_region(deployment: Deployment) -> None:
    key_arn = create_key(deployment, EAST)
    pair(deployment, "farkey", kms_rule("farkey-dst", key_arn))
    code, findings = doctor(deployment, "farkey-src")
    assert code == 1
    assert checks(findings) == {("ERROR", "kms-key-region")}
    assert f"is in {EAST}, but destination farkey-dst is in {WEST}" in findings[0]["message"]


def test_loop_through_three_buckets(deployment: Deployment) -> None:
    east, west = deployment.client(EAST), deployment.client(WEST)
    ring = [("loop-a", east, EAST), ("loop-b", west, WEST), ("loop-c", east, EAST)]
    for name, client, region in ring:
        versioned_bucket(client, name, region)
    for (name, client, _), (following, _, _) in zip(ring, ring[1:] + ring[:1], strict=True):
        replicate(client, name, v2_rule(following, rule_id=f"{name}-next"))
    code, findings = doctor(deployment, "loop-b")
    assert code == 1
    assert checks(findings) == {("ERROR", "loop")}
    assert findings[0]["subject"] == "loop-a → loop-b → loop-c → loop-a"


def test_redrive_refuses_a_role_batch_operations_cannot_assume(deployment: Deployment) -> None:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "s3.amazonaws.com"}}]}  # fmt: skip
    role = ensure_replication_role(deployment.endpoint(EAST), "s3only", trust=trust)
    pair(deployment, "redrive", role=role)
    east, west = deployment.client(EAST), deployment.client(WEST)
    west.put_bucket_versioning(
        Bucket="redrive-dst", VersioningConfiguration={"Status": "Suspended"}
    )
    version = east.put_object(Bucket="redrive-src", Key="doc", Body=b"x")["VersionId"]
    wait_for(lambda: status(east, "redrive-src", "doc", version) == "FAILED", what="FAILED")
    result = ferry(deployment, "failures", "redrive", "--bucket", "redrive-src", "--rule",
                   "redrive")  # fmt: skip
    assert result.returncode == 1
    assert f"role {role} does not trust batchoperations.s3.amazonaws.com" in result.stderr.lower()
    assert "fix: Add the service principal batchoperations.s3.amazonaws.com" in result.stderr
    assert "destination-suspended" not in result.stderr  # only role checks refuse a re-drive
    assert "job:" not in result.stdout


def explain(deployment: Deployment, key: str, *tags: str) -> dict[str, Any]:
    tag_args = [arg for tag in tags for arg in ("--tag", tag)]
    result = ferry(deployment, "explain", "--bucket", "explain-src", "--key", key, "--json",
                   *tag_args)  # fmt: skip
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


@pytest.fixture(scope="module")
def explained(deployment: Deployment) -> None:
    east, west = deployment.client(EAST), deployment.client(WEST)
    versioned_bucket(east, "explain-src", EAST)
    for name in ("explain-docs", "explain-prod"):
        versioned_bucket(west, name, WEST)
    tagged = v2_rule("explain-prod", rule_id="prod", priority=1)
    tagged["Filter"] = {"Tag": {"Key": "env", "Value": "prod"}}
    docs = v2_rule("explain-docs", rule_id="docs", priority=2, prefix="docs/", dmr="Enabled")
    replicate(east, "explain-src", docs, tagged)


def test_explain_prefix_and_tag_filters(deployment: Deployment, explained: None) -> None:
    answer = explain(deployment, "docs/a.txt", "env=prod")
    reached = {d["bucket"]: (d["reached"], d["delete_markers"]) for d in answer["destinations"]}
    assert reached == {"explain-docs": (True, True), "explain-prod": (True, False)}
    prod = next(d for d in answer["destinations"] if d["bucket"] == "explain-prod")
    assert (
        prod["delete_marker_reason"] == "rule prod has a tag filter: delete markers carry no tags"
    )
    docs = next(d for d in answer["destinations"] if d["bucket"] == "explain-docs")
    assert docs["delete_marker_reason"] == "rule docs has DeleteMarkerReplication Enabled"


def test_explain_says_why_not(deployment: Deployment, explained: None) -> None:
    answer = explain(deployment, "logs/b.txt", "env=dev")
    assert not any(d["reached"] for d in answer["destinations"])
    why = {r["rule_id"]: r["reason"] for r in answer["rules"]}
    assert why == {
        "docs": "key does not start with prefix 'docs/'",
        "prod": "the version lacks tag env=prod",
    }
    table = ferry(deployment, "explain", "--bucket", "explain-src", "--key", "logs/b.txt")
    assert table.returncode == 0, table.stderr
    assert "key does not start with prefix 'docs/'" in table.stdout


def test_unknown_bucket_is_an_error(deployment: Deployment) -> None:
    result = ferry(deployment, "doctor", "--bucket", "no-such-bucket-anywhere")
    assert result.returncode == 2
    assert "No bucket no-such-bucket-anywhere" in result.stderr
    assert role_arn("r") not in result.stderr
