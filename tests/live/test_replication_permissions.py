"""Replication acts as the rule's IAM role (reference §4.1), in a real two-region deployment:
each missing permission ends the version FAILED with AWS's reason in the failure store; the
policy is fixed and `ferry failures redrive` replicates those versions. Seed 000's story is
told with the aws CLI alone."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live.iam_support import (
    ensure_replication_role,
    replication_policy,
    role_arn,
)
from tests.live.replication_support import (
    Deployment,
    status,
    v2_rule,
    versioned_bucket,
    wait_for,
)
from tests.live.test_aws_cli import aws_cli
from tests.live.test_ownership_acl import enable_acls

EAST, WEST = "us-east-1", "eu-west-1"
POLICY_TTL_S = 1.2  # a policy change reaches every region's workers within a second


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    running = Deployment(root=tmp_path_factory.mktemp("permissions")).start()
    yield running
    running.stop()


def ferry(deployment: Deployment, *args: str) -> str:
    result = deployment.run_cli(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def failures(deployment: Deployment, rule: str) -> list[dict[str, Any]]:
    listed = ferry(deployment, "failures", "list", "--json", "--rule", rule, "--state", "FAILED")
    found: list[dict[str, Any]] = json.loads(listed)["failures"]
    return found


def redrive(deployment: Deployment, bucket: str, rule: str, count: int) -> None:
    out = ferry(deployment, "failures", "redrive", "--bucket", bucket, "--rule", rule)
    assert f"succeeded: {count}" in out and "failed: 0" in out, out


def pair(east: Any, west: Any, name: str) -> tuple[str, str]:
    source, destination = f"{name}-src", f"{name}-dst"
    versioned_bucket(east, source, EAST)
    versioned_bucket(west, destination, WEST)
    return source, destination


def configure(east: Any, source: str, role: str, *rules: dict[str, Any]) -> None:
    east.put_bucket_replication(
        Bucket=source, ReplicationConfiguration={"Role": role, "Rules": list(rules)}
    )


@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ("s3:GetReplicationConfiguration", "SrcBucketReplicationConfigMissing"),
        ("s3:GetObjectVersionForReplication", "SrcGetObjectNotPermitted"),
        ("s3:GetObjectVersionAcl", "SrcGetAclNotPermitted"),
        ("s3:ReplicateObject", "DstPutObjectNotPermitted"),
    ],
)
def test_a_missing_object_permission_fails_with_its_reason_then_redrives(
    deployment: Deployment, east: Any, west: Any, missing: str, reason: str
) -> None:
    name = "p-" + missing.split(":")[1].lower()[:20]
    source, destination = pair(east, west, name)
    role = ensure_replication_role(
        deployment.endpoint(EAST), name, policy=replication_policy(without=(missing,))
    )
    configure(east, source, role, v2_rule(destination, rule_id=name))
    version = east.put_object(Bucket=source, Key="doc", Body=b"payload")["VersionId"]
    wait_for(lambda: status(east, source, "doc", version) == "FAILED", what=f"{reason} FAILED")
    [failure] = failures(deployment, name)
    assert (failure["reason"], failure["version_id"]) == (reason, version)
    assert west.list_object_versions(Bucket=destination).get("Versions", []) == []
    ensure_replication_role(deployment.endpoint(EAST), name, policy=replication_policy())
    time.sleep(POLICY_TTL_S)
    redrive(deployment, source, name, 1)
    assert status(east, source, "doc", version) == "COMPLETED"
    body = west.get_object(Bucket=destination, Key="doc", VersionId=version)["Body"].read()
    assert body == b"payload"


def test_a_redrive_job_acts_as_a_role_that_must_initiate_replication(
    deployment: Deployment, east: Any, west: Any
) -> None:
    """The re-drive's batch job acts as the bucket's replication role: without
    s3:InitiateReplication its every task would fail, so the command refuses to create the
    job and prints the fix; the version stays FAILED in the failure store until a fixed role
    re-drives it."""
    name = "p-initiate"
    source, destination = pair(east, west, name)
    role = ensure_replication_role(
        deployment.endpoint(EAST), name,
        policy=replication_policy(without=("s3:InitiateReplication", "s3:ReplicateObject")),
    )  # fmt: skip
    configure(east, source, role, v2_rule(destination, rule_id=name))
    version = east.put_object(Bucket=source, Key="doc", Body=b"x")["VersionId"]
    wait_for(lambda: status(east, source, "doc", version) == "FAILED", what="FAILED")
    ensure_replication_role(
        deployment.endpoint(EAST), name,
        policy=replication_policy(without=("s3:InitiateReplication",)),
    )  # fmt: skip
    time.sleep(POLICY_TTL_S)
    refused = deployment.run_cli("failures", "redrive", "--bucket", source, "--rule", name)
    assert refused.returncode != 0
    assert f"may not s3:InitiateReplication on {source}" in refused.stderr
    assert f"fix: Allow s3:InitiateReplication on arn:aws:s3:::{source}/*" in refused.stderr
    assert "job:" not in refused.stdout
    assert [f["version_id"] for f in failures(deployment, name)] == [version]
    ensure_replication_role(deployment.endpoint(EAST), name, policy=replication_policy())
    time.sleep(POLICY_TTL_S)
    redrive(deployment, source, name, 1)
    assert status(east, source, "doc", version) == "COMPLETED"


def test_a_role_that_does_not_exist_cannot_be_assumed(
    deployment: Deployment, east: Any, west: Any
) -> None:
    source, destination = pair(east, west, "p-norole")
    configure(east, source, role_arn("p-norole"), v2_rule(destination, rule_id="p-norole"))
    version = east.put_object(Bucket=source, Key="doc", Body=b"x")["VersionId"]
    wait_for(lambda: status(east, source, "doc", version) == "FAILED", what="FAILED")
    [failure] = failures(deployment, "p-norole")
    assert failure["reason"] == "AssumeRoleNotPermitted"
    ensure_replication_role(deployment.endpoint(EAST), "p-norole")
    time.sleep(POLICY_TTL_S)
    redrive(deployment, source, "p-norole", 1)
    assert status(east, source, "doc", version) == "COMPLETED"


def test_a_role_that_does_not_trust_s3_cannot_be_assumed(
    deployment: Deployment, east: Any, west: Any
) -> None:
    source, destination = pair(east, west, "p-trust")
    ec2_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = ensure_replication_role(deployment.endpoint(EAST), "p-trust", trust=ec2_only)
    configure(east, source, role, v2_rule(destination, rule_id="p-trust"))
    version = east.put_object(Bucket=source, Key="doc", Body=b"x")["VersionId"]
    wait_for(lambda: status(east, source, "doc", version) == "FAILED", what="FAILED")
    assert [f["reason"] for f in failures(deployment, "p-trust")] == ["AssumeRoleNotPermitted"]


def test_unreadable_tags_replicate_the_object_without_them(
    deployment: Deployment, east: Any, west: Any
) -> None:
    source, destination = pair(east, west, "p-tags")
    role = ensure_replication_role(
        deployment.endpoint(EAST),
        "p-tags",
        policy=replication_policy(without=("s3:GetObjectVersionTagging",)),
    )
    configure(east, source, role, v2_rule(destination, rule_id="p-tags"))
    version = east.put_object(Bucket=source, Key="doc", Body=b"x", Tagging="team=blue")["VersionId"]
    wait_for(lambda: status(east, source, "doc", version) == "COMPLETED", what="COMPLETED")
    tags = west.get_object_tagging(Bucket=destination, Key="doc", VersionId=version)["TagSet"]
    assert tags == []


def test_a_destination_bucket_of_another_account_needs_its_bucket_policy(
    deployment: Deployment, east: Any
) -> None:
    partner, account, source, destination, role = cross_account_pair(
        deployment, east, "p-xacct", "p-partner"
    )
    rule = v2_rule(destination, rule_id="p-xacct", Account=account["account_id"])
    configure(east, source, role, rule)
    version = east.put_object(Bucket=source, Key="doc", Body=b"x")["VersionId"]
    wait_for(lambda: status(east, source, "doc", version) == "FAILED", what="FAILED")
    assert [f["reason"] for f in failures(deployment, "p-xacct")] == ["DstPutObjectNotPermitted"]
    partner.put_bucket_policy(
        Bucket=destination,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": role},
                        "Action": ["s3:ReplicateObject", "s3:ReplicateDelete"],
                        "Resource": f"arn:aws:s3:::{destination}/*",
                    }
                ],
            }
        ),
    )
    redrive(deployment, source, "p-xacct", 1)
    assert status(east, source, "doc", version) == "COMPLETED"
    assert partner.head_object(Bucket=destination, Key="doc", VersionId=version)


def test_a_delete_marker_needs_list_bucket_at_the_source(
    deployment: Deployment, east: Any, west: Any
) -> None:
    source, destination = pair(east, west, "p-list")
    role = ensure_replication_role(
        deployment.endpoint(EAST), "p-list", policy=replication_policy(without=("s3:ListBucket",))
    )
    configure(east, source, role, v2_rule(destination, rule_id="p-list", dmr="Enabled"))
    version = east.put_object(Bucket=source, Key="doc", Body=b"x")["VersionId"]
    wait_for(lambda: status(east, source, "doc", version) == "COMPLETED", what="COMPLETED")
    marker = east.delete_object(Bucket=source, Key="doc")["VersionId"]
    wait_for(lambda: len(failures(deployment, "p-list")) == 1, what="the marker FAILED")
    [failure] = failures(deployment, "p-list")
    assert (failure["reason"], failure["version_id"]) == ("SrcHeadObjectNotPermitted", marker)
    ensure_replication_role(deployment.endpoint(EAST), "p-list", policy=replication_policy())
    time.sleep(POLICY_TTL_S)
    redrive(deployment, source, "p-list", 1)
    markers = west.list_object_versions(Bucket=destination)["DeleteMarkers"]
    assert [m["VersionId"] for m in markers] == [marker]


def test_a_denied_replicate_tags_fails_the_tag_change_then_redrives(
    deployment: Deployment, east: Any, west: Any
) -> None:
    """s3:ReplicateTags is implied by s3:ReplicateObject, but an explicit Deny blocks it."""
    source, destination = pair(east, west, "p-rtags")
    deny = replication_policy()
    deny["Statement"].append(
        {
            "Effect": "Deny",
            "Action": "s3:ReplicateTags",
            "Resource": f"arn:aws:s3:::{destination}/*",
        }
    )
    allowed = replication_policy(without=("s3:ReplicateTags",))
    role = ensure_replication_role(deployment.endpoint(EAST), "p-rtags", policy=allowed)
    configure(east, source, role, v2_rule(destination, rule_id="p-rtags"))
    version = east.put_object(Bucket=source, Key="doc", Body=b"x")["VersionId"]
    wait_for(lambda: status(east, source, "doc", version) == "COMPLETED", what="COMPLETED")
    ensure_replication_role(deployment.endpoint(EAST), "p-rtags", policy=deny)
    time.sleep(POLICY_TTL_S)
    tags = {"TagSet": [{"Key": "team", "Value": "blue"}]}
    east.put_object_tagging(Bucket=source, Key="doc", VersionId=version, Tagging=tags)
    wait_for(lambda: len(failures(deployment, "p-rtags")) == 1, what="the tag change FAILED")
    [failure] = failures(deployment, "p-rtags")
    assert (failure["reason"], failure["operation"]) == ("DstPutTaggingNotPermitted", "METADATA")
    assert west.get_object_tagging(Bucket=destination, Key="doc", VersionId=version)["TagSet"] == []
    ensure_replication_role(deployment.endpoint(EAST), "p-rtags", policy=allowed)
    time.sleep(POLICY_TTL_S)
    redrive(deployment, source, "p-rtags", 1)
    got = west.get_object_tagging(Bucket=destination, Key="doc", VersionId=version)["TagSet"]
    assert got == tags["TagSet"]
    assert failures(deployment, "p-rtags") == []


def test_owner_override_needs_object_owner_override_to_bucket_owner(
    deployment: Deployment, east: Any
) -> None:
    """A rule with AccessControlTranslation gives the replica to the destination's owner: the
    role needs s3:ObjectOwnerOverrideToBucketOwner, and the other account's bucket policy must
    allow it too (UG "Changing the replica owner")."""
    partner, account, source, destination, role = cross_account_pair(
        deployment, east, "p-owner", "p-owner"
    )
    enable_acls(east, source)  # the source's objects carry a public-read ACL

    def allow(*actions: str) -> None:
        statement = {
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": list(actions),
            "Resource": f"arn:aws:s3:::{destination}/*",
        }
        document = {"Version": "2012-10-17", "Statement": [statement]}
        partner.put_bucket_policy(Bucket=destination, Policy=json.dumps(document))

    allow("s3:ReplicateObject", "s3:ReplicateDelete")
    rule = v2_rule(
        destination, rule_id="p-owner", Account=account["account_id"],
        AccessControlTranslation={"Owner": "Destination"},
    )  # fmt: skip
    configure(east, source, role, rule)
    version = east.put_object(Bucket=source, Key="doc", Body=b"x", ACL="public-read")["VersionId"]
    wait_for(lambda: status(east, source, "doc", version) == "FAILED", what="FAILED")
    assert [f["reason"] for f in failures(deployment, "p-owner")] == ["DstPutObjectNotPermitted"]
    allow("s3:ReplicateObject", "s3:ReplicateDelete", "s3:ObjectOwnerOverrideToBucketOwner")
    redrive(deployment, source, "p-owner", 1)
    acl = partner.get_object_acl(Bucket=destination, Key="doc", VersionId=version)
    assert [(g["Grantee"].get("ID"), g["Permission"]) for g in acl["Grants"]] == [
        (acl["Owner"]["ID"], "FULL_CONTROL")
    ]  # the source's public-read grant stayed behind


def test_a_destination_with_acls_disabled_owns_its_replicas_without_owner_override(
    deployment: Deployment, east: Any
) -> None:
    """A destination bucket whose Object Ownership is BucketOwnerEnforced (the default) owns
    every replica and keeps none of the source's grants, with no AccessControlTranslation
    (UG "Controlling ownership of objects"); once its ACLs are enabled, the stored owner and
    ACL show it."""
    partner, account, source, destination, role = cross_account_pair(
        deployment, east, "p-enforced", "p-enforced"
    )
    enable_acls(east, source)
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": role},
        "Action": ["s3:ReplicateObject", "s3:ReplicateDelete"],
        "Resource": f"arn:aws:s3:::{destination}/*",
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    partner.put_bucket_policy(Bucket=destination, Policy=json.dumps(document))
    configure(
        east,
        source,
        role,
        v2_rule(destination, rule_id="p-enforced", Account=account["account_id"]),
    )
    version = east.put_object(Bucket=source, Key="doc", Body=b"x", ACL="public-read")["VersionId"]
    wait_for(lambda: status(east, source, "doc", version) == "COMPLETED", what="COMPLETED")
    partner.put_bucket_ownership_controls(
        Bucket=destination, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    acl = partner.get_object_acl(Bucket=destination, Key="doc", VersionId=version)
    assert acl["Owner"]["ID"] == account["canonical_id"]
    assert [(g["Grantee"].get("ID"), g["Permission"]) for g in acl["Grants"]] == [
        (account["canonical_id"], "FULL_CONTROL")
    ]


def cross_account_pair(
    deployment: Deployment, east: Any, name: str, account_name: str
) -> tuple[Any, dict[str, Any], str, str, str]:
    """A new account (its root's client in eu-west-1, and its record), a source bucket of
    ours, a destination bucket of theirs, and our replication role `name`."""
    account: dict[str, Any] = json.loads(
        ferry(deployment, "accounts", "create", account_name, "--json")
    )
    partner = _client_as(deployment, WEST, account["access_key_id"], account["secret_access_key"])
    source, destination = f"{name}-src", f"{name}-dst"
    versioned_bucket(east, source, EAST)
    versioned_bucket(partner, destination, WEST)
    return (
        partner,
        account,
        source,
        destination,
        ensure_replication_role(deployment.endpoint(EAST), name),
    )


def _client_as(deployment: Deployment, region: str, key: str, secret: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=deployment.endpoint(region),
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name=region,
        config=Config(retries={"max_attempts": 3}),
    )


def aws(deployment: Deployment, region: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="LIVETESTACCESSKEY000",
        AWS_SECRET_ACCESS_KEY="live-test-secret-key",
        AWS_DEFAULT_REGION=region,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    result = subprocess.run(
        [*aws_cli(), "--endpoint-url", deployment.endpoint(region), *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_seed_000_story_with_the_aws_cli(
    deployment: Deployment, east: Any, west: Any, tmp_path: Path
) -> None:
    """Seed 000: the role lacks s3:ReplicateDelete, so a delete marker ends FAILED with
    DstDelObjNotPermitted; the policy is fixed and the marker re-driven. Then the rule's
    encryption configuration is wrong (its ReplicaKmsKeyID names the source region's key), so
    an SSE-KMS object ends FAILED with DstKmsKeyNotFound; the rule is fixed and re-driven."""
    aws(deployment, EAST, "s3api", "create-bucket", "--bucket", "seed0-src")
    aws(deployment, WEST, "s3api", "create-bucket", "--bucket", "seed0-dst",
        "--create-bucket-configuration", f"LocationConstraint={WEST}")  # fmt: skip
    for region, bucket in ((EAST, "seed0-src"), (WEST, "seed0-dst")):
        aws(deployment, region, "s3api", "put-bucket-versioning", "--bucket", bucket,
            "--versioning-configuration", "Status=Enabled")  # fmt: skip
    trust = tmp_path / "trust.json"
    trust.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {
                            "Service": ["s3.amazonaws.com", "batchoperations.s3.amazonaws.com"]
                        },
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
    )
    role = json.loads(
        aws(
            deployment,
            EAST,
            "iam",
            "create-role",
            "--role-name",
            "seed0-replication",
            "--assume-role-policy-document",
            f"file://{trust}",
        )
    )["Role"]["Arn"]
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(replication_policy(without=("s3:ReplicateDelete",))))
    aws(deployment, EAST, "iam", "put-role-policy", "--role-name", "seed0-replication",
        "--policy-name", "replication", "--policy-document", f"file://{policy}")  # fmt: skip
    config = tmp_path / "replication.json"
    rule = v2_rule("seed0-dst", rule_id="seed0", dmr="Enabled")
    config.write_text(json.dumps({"Role": role, "Rules": [rule]}))
    aws(deployment, EAST, "s3api", "put-bucket-replication", "--bucket", "seed0-src",
        "--replication-configuration", f"file://{config}")  # fmt: skip
    report = tmp_path / "report.csv"
    report.write_text("quarter,total\nq3,42\n")
    aws(deployment, EAST, "s3", "cp", str(report), "s3://seed0-src/report.csv")
    wait_for(lambda: status(east, "seed0-src", "report.csv") == "COMPLETED", what="COMPLETED")
    deleted = json.loads(
        aws(
            deployment,
            EAST,
            "s3api",
            "delete-object",
            "--bucket",
            "seed0-src",
            "--key",
            "report.csv",
        )
    )
    marker = deleted["VersionId"]
    wait_for(lambda: len(failures(deployment, "seed0")) == 1, what="the marker FAILED")
    [failure] = failures(deployment, "seed0")
    assert (failure["reason"], failure["version_id"]) == ("DstDelObjNotPermitted", marker)
    assert west.list_object_versions(Bucket="seed0-dst").get("DeleteMarkers", []) == []
    policy.write_text(json.dumps(replication_policy()))
    aws(deployment, EAST, "iam", "put-role-policy", "--role-name", "seed0-replication",
        "--policy-name", "replication", "--policy-document", f"file://{policy}")  # fmt: skip
    time.sleep(POLICY_TTL_S)
    redrive(deployment, "seed0-src", "seed0", 1)
    markers = west.list_object_versions(Bucket="seed0-dst")["DeleteMarkers"]
    assert [m["VersionId"] for m in markers] == [marker]
    assert failures(deployment, "seed0") == []

    def key_in(region: str) -> str:
        out = aws(deployment, region, "kms", "create-key", "--query", "KeyMetadata.Arn",
                  "--output", "text")  # fmt: skip
        return out.strip()

    east_key = key_in(EAST)
    kms_rule = {
        **rule,
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": {**rule["Destination"],
                        "EncryptionConfiguration": {"ReplicaKmsKeyID": east_key}},
    }  # fmt: skip
    config.write_text(json.dumps({"Role": role, "Rules": [kms_rule]}))
    aws(deployment, EAST, "s3api", "put-bucket-replication", "--bucket", "seed0-src",
        "--replication-configuration", f"file://{config}")  # fmt: skip
    aws(deployment, EAST, "s3", "cp", str(report), "s3://seed0-src/secret.csv", "--sse",
        "aws:kms", "--sse-kms-key-id", east_key)  # fmt: skip
    wait_for(lambda: len(failures(deployment, "seed0")) == 1, what="the SSE-KMS object FAILED")
    [failure] = failures(deployment, "seed0")
    assert (failure["reason"], failure["key"]) == ("DstKmsKeyNotFound", "secret.csv")
    assert status(east, "seed0-src", "secret.csv") == "FAILED"
    west_key = key_in(WEST)
    config.write_text(config.read_text().replace(east_key, west_key))
    aws(deployment, EAST, "s3api", "put-bucket-replication", "--bucket", "seed0-src",
        "--replication-configuration", f"file://{config}")  # fmt: skip
    redrive(deployment, "seed0-src", "seed0", 1)
    head = json.loads(aws(deployment, WEST, "s3api", "head-object", "--bucket", "seed0-dst",
                          "--key", "secret.csv"))  # fmt: skip
    assert (head["ReplicationStatus"], head["SSEKMSKeyId"]) == ("REPLICA", west_key)
    assert failures(deployment, "seed0") == []
