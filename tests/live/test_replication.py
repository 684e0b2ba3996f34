"""Live replication between real region processes, driven by boto3 and the aws CLI: the seed
labs (002, 003, 004), SRR, fan-out, chains, metadata changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.iam_support import (
    REPLICATION_TRUST,
    ensure_replication_role,
    replication_policy,
)
from tests.live.replication_support import (
    Deployment,
    replicate,
    status,
    v2_rule,
    versioned_bucket,
    wait_for,
)
from tests.live.test_aws_cli import aws_cli
from tests.live.test_ownership_acl import enable_acls

EAST, WEST = "us-east-1", "eu-west-1"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    running = Deployment(root=tmp_path_factory.mktemp("replication")).start()
    yield running
    running.stop()


def completed(s3: Any, bucket: str, key: str, version_id: str | None = None) -> None:
    wait_for(lambda: status(s3, bucket, key, version_id) == "COMPLETED", what=f"{key} COMPLETED")


def run_cli(deployment: Deployment, region: str, *args: str) -> str:
    import os
    import subprocess

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
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_two_way_lab_with_the_aws_cli(
    deployment: Deployment, east: Any, west: Any, tmp_path: Path
) -> None:
    """Seed 003: a rule each way; each object reaches the other bucket exactly once. The role
    both rules name (`crr`) is created with the aws CLI too: the lab needs nothing else."""
    trust = tmp_path / "crr-trust.json"
    trust.write_text(json.dumps(REPLICATION_TRUST))
    permissions = tmp_path / "crr-policy.json"
    permissions.write_text(json.dumps(replication_policy()))
    created = run_cli(
        deployment,
        EAST,
        "iam",
        "create-role",
        "--role-name",
        "crr",
        "--assume-role-policy-document",
        f"file://{trust}",
    )
    role = json.loads(created)["Role"]["Arn"]
    run_cli(
        deployment,
        EAST,
        "iam",
        "put-role-policy",
        "--role-name",
        "crr",
        "--policy-name",
        "replication",
        "--policy-document",
        f"file://{permissions}",
    )
    run_cli(deployment, EAST, "s3", "mb", "s3://crrlab-east")
    run_cli(deployment, WEST, "s3", "mb", "s3://crrlab-west", "--region", WEST)
    for region, bucket in ((EAST, "crrlab-east"), (WEST, "crrlab-west")):
        run_cli(
            deployment,
            region,
            "s3api",
            "put-bucket-versioning",
            "--bucket",
            bucket,
            "--versioning-configuration",
            "Status=Enabled",
        )
    for region, source, target in (
        (EAST, "crrlab-east", "crrlab-west"),
        (WEST, "crrlab-west", "crrlab-east"),
    ):
        config = tmp_path / f"{source}.json"
        config.write_text(
            json.dumps({"Role": role, "Rules": [v2_rule(target, rule_id=f"to-{target}")]})
        )
        run_cli(
            deployment,
            region,
            "s3api",
            "put-bucket-replication",
            "--bucket",
            source,
            "--replication-configuration",
            f"file://{config}",
        )
    east_file = tmp_path / "east.txt"
    east_file.write_text("put in the east")
    west_file = tmp_path / "west.txt"
    west_file.write_text("put in the west")
    run_cli(deployment, EAST, "s3", "cp", str(east_file), "s3://crrlab-east/east.txt")
    run_cli(deployment, WEST, "s3", "cp", str(west_file), "s3://crrlab-west/west.txt")
    completed(east, "crrlab-east", "east.txt")
    completed(west, "crrlab-west", "west.txt")
    head = json.loads(
        run_cli(
            deployment, WEST, "s3api", "head-object", "--bucket", "crrlab-west", "--key", "east.txt"
        )
    )
    assert head["ReplicationStatus"] == "REPLICA"
    assert status(east, "crrlab-east", "west.txt") == "REPLICA"
    for s3, bucket in ((east, "crrlab-east"), (west, "crrlab-west")):
        versions = s3.list_object_versions(Bucket=bucket)["Versions"]
        assert sorted(v["Key"] for v in versions) == ["east.txt", "west.txt"]  # no echo


@pytest.mark.parametrize("schema", ["V1", "V2"])
def test_delete_markers_v1_vs_v2_with_seed_004_configurations(
    deployment: Deployment, east: Any, west: Any, tmp_path: Path, schema: str
) -> None:
    """Seed 004, configurations exactly as printed except for their placeholder role
    (`" IAM-role-ARN "` in V1, padding included, and `"IAM-role-ARN"` in V2), replaced by the
    ARN of a real role created first, as the seed tells its reader ("create an IAM role ...
    and add the replication configuration"): V1 replicates delete markers, V2 with
    DeleteMarkerReplication Disabled does not."""
    source, target = f"dm-src-{schema.lower()}", f"dm-dst-{schema.lower()}"
    versioned_bucket(east, source, EAST)
    versioned_bucket(west, target, WEST)
    role = ensure_replication_role(deployment.endpoint(EAST), "seed-004")
    document = {
        "V1": {
            "Role": " IAM-role-ARN ",
            "Rules": [
                {
                    "ID": "Replication V1 Rule",
                    "Prefix": "",
                    "Status": "Enabled",
                    "Destination": {"Bucket": f"arn:aws:s3:::{target}"},
                }
            ],
        },
        "V2": {
            "Role": "IAM-role-ARN",
            "Rules": [
                {
                    "ID": "Replication V2 Rule",
                    "Priority": 1,
                    "Filter": {},
                    "Status": "Enabled",
                    "Destination": {"Bucket": f"arn:aws:s3:::{target}"},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                }
            ],
        },
    }[schema]
    document["Role"] = role  # the placeholder, the only change to the printed configuration
    config = tmp_path / f"s3_replication_rule_{schema.lower()}.json"
    config.write_text(json.dumps(document))
    run_cli(
        deployment,
        EAST,
        "s3api",
        "put-bucket-replication",
        "--bucket",
        source,
        "--replication-configuration",
        f"file://{config}",
    )
    east.put_object(Bucket=source, Key="doc.txt", Body=b"soon deleted")
    completed(east, source, "doc.txt")
    marker = east.delete_object(Bucket=source, Key="doc.txt")["VersionId"]
    if schema == "V1":
        wait_for(lambda: _markers(west, target) == [marker], what="marker replicated")
        with pytest.raises(ClientError):
            west.get_object(Bucket=target, Key="doc.txt")
    else:
        east.put_object(Bucket=source, Key="later.txt", Body=b"x")
        completed(east, source, "later.txt")  # the marker would have gone first
        assert _markers(west, target) == []
        assert west.get_object(Bucket=target, Key="doc.txt")["Body"].read() == b"soon deleted"
    east.delete_object(Bucket=source, Key="doc.txt", VersionId=marker)  # never replicated
    east.put_object(Bucket=source, Key="after.txt", Body=b"x")
    completed(east, source, "after.txt")
    assert _markers(west, target) == ([marker] if schema == "V1" else [])


def _markers(s3: Any, bucket: str) -> list[str]:
    return [m["VersionId"] for m in s3.list_object_versions(Bucket=bucket).get("DeleteMarkers", [])]


def test_seed_002_prefix_tags_acl_metadata_and_storage_class(east: Any, west: Any) -> None:
    versioned_bucket(east, "csa-crr-origin", EAST)
    versioned_bucket(west, "csa-crr-destination", WEST)
    enable_acls(east, "csa-crr-origin")  # ACLs replicate where both buckets enable them
    enable_acls(west, "csa-crr-destination")
    replicate(
        east,
        "csa-crr-origin",
        v2_rule("csa-crr-destination", prefix="images/", StorageClass="STANDARD_IA"),
    )
    put = east.put_object(
        Bucket="csa-crr-origin",
        Key="images/tulips.png",
        Body=b"png",
        ContentType="image/png",
        Metadata={"author": "gabriel"},
    )
    east.put_object(Bucket="csa-crr-origin", Key="notes/todo.txt", Body=b"not replicated")
    completed(east, "csa-crr-origin", "images/tulips.png")
    replica = west.head_object(Bucket="csa-crr-destination", Key="images/tulips.png")
    assert replica["ETag"] == put["ETag"] and replica["VersionId"] == put["VersionId"]
    assert replica["StorageClass"] == "STANDARD_IA"
    assert replica["Metadata"] == {"author": "gabriel"} and replica["ContentType"] == "image/png"
    assert replica["ReplicationStatus"] == "REPLICA"
    assert "ReplicationStatus" not in east.head_object(
        Bucket="csa-crr-origin", Key="notes/todo.txt"
    )
    with pytest.raises(ClientError):
        west.head_object(Bucket="csa-crr-destination", Key="notes/todo.txt")
    east.put_object_tagging(
        Bucket="csa-crr-origin",
        Key="images/tulips.png",
        Tagging={"TagSet": [{"Key": "EmployeeID", "Value": "123456"}]},
    )
    wait_for(
        lambda: (
            west.get_object_tagging(Bucket="csa-crr-destination", Key="images/tulips.png")["TagSet"]
            == [{"Key": "EmployeeID", "Value": "123456"}]
        ),
        what="tags replicated",
    )
    east.put_object_acl(Bucket="csa-crr-origin", Key="images/tulips.png", ACL="public-read")
    wait_for(
        lambda: (
            len(
                west.get_object_acl(Bucket="csa-crr-destination", Key="images/tulips.png")["Grants"]
            )
            == 2
        ),
        what="ACL replicated",
    )
    completed(east, "csa-crr-origin", "images/tulips.png")


def test_same_region_replication(east: Any) -> None:
    versioned_bucket(east, "srr-source", EAST)
    versioned_bucket(east, "srr-copy", EAST)
    replicate(east, "srr-source", v2_rule("srr-copy"))
    version = east.put_object(Bucket="srr-source", Key="k", Body=b"same region")["VersionId"]
    completed(east, "srr-source", "k")
    assert east.get_object(Bucket="srr-copy", Key="k")["VersionId"] == version


def test_fan_out_with_one_failing_destination(east: Any, west: Any) -> None:
    versioned_bucket(east, "fan-src", EAST)
    versioned_bucket(west, "fan-ok", WEST)
    versioned_bucket(west, "fan-broken", WEST)
    replicate(
        east,
        "fan-src",
        v2_rule("fan-ok", rule_id="ok", priority=1),
        v2_rule("fan-broken", rule_id="broken", priority=2),
    )
    west.put_bucket_versioning(Bucket="fan-broken", VersioningConfiguration={"Status": "Suspended"})
    east.put_object(Bucket="fan-src", Key="k", Body=b"x")
    wait_for(lambda: status(east, "fan-src", "k") == "FAILED", what="FAILED")
    assert west.get_object(Bucket="fan-ok", Key="k")["Body"].read() == b"x"


def test_chain_is_not_re_replicated(east: Any, west: Any) -> None:
    versioned_bucket(east, "chain-a", EAST)
    versioned_bucket(west, "chain-b", WEST)
    versioned_bucket(east, "chain-c", EAST)
    replicate(east, "chain-a", v2_rule("chain-b"))
    replicate(west, "chain-b", v2_rule("chain-c"))
    east.put_object(Bucket="chain-a", Key="k", Body=b"x")
    completed(east, "chain-a", "k")
    west.put_object(Bucket="chain-b", Key="direct", Body=b"y")
    completed(west, "chain-b", "direct")  # B's own writes do go to C ...
    assert [o["Key"] for o in east.list_objects_v2(Bucket="chain-c")["Contents"]] == ["direct"]


def test_multipart_replica_keeps_etag_and_parts(east: Any, west: Any) -> None:
    versioned_bucket(east, "mp-src", EAST)
    versioned_bucket(west, "mp-dst", WEST)
    replicate(east, "mp-src", v2_rule("mp-dst"))
    upload = east.create_multipart_upload(Bucket="mp-src", Key="big")["UploadId"]
    parts = []
    for number, data in ((1, b"a" * 5 * 1024 * 1024), (2, b"tail")):
        etag = east.upload_part(
            Bucket="mp-src", Key="big", UploadId=upload, PartNumber=number, Body=data
        )["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    done = east.complete_multipart_upload(
        Bucket="mp-src", Key="big", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    completed(east, "mp-src", "big")
    replica = west.get_object_attributes(
        Bucket="mp-dst", Key="big", ObjectAttributes=["ETag", "ObjectParts"]
    )
    assert f'"{replica["ETag"]}"' == done["ETag"]
    assert replica["ObjectParts"]["TotalPartsCount"] == 2
    assert west.get_object(Bucket="mp-dst", Key="big", PartNumber=2)["Body"].read() == b"tail"


def test_replica_modification_sync_flows_back(east: Any, west: Any) -> None:
    versioned_bucket(east, "rms-a", EAST)
    versioned_bucket(west, "rms-b", WEST)
    rms = {"SourceSelectionCriteria": {"ReplicaModifications": {"Status": "Enabled"}}}
    replicate(east, "rms-a", {**v2_rule("rms-b"), **rms})
    replicate(west, "rms-b", {**v2_rule("rms-a"), **rms})
    east.put_object(Bucket="rms-a", Key="k", Body=b"x")
    completed(east, "rms-a", "k")
    west.put_object_tagging(
        Bucket="rms-b", Key="k", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]}
    )
    wait_for(
        lambda: (
            east.get_object_tagging(Bucket="rms-a", Key="k")["TagSet"]
            == [{"Key": "t", "Value": "v"}]
        ),
        what="tag back at the source",
    )
    wait_for(lambda: status(west, "rms-b", "k") == "REPLICA", what="replica settles")
    assert len(east.list_object_versions(Bucket="rms-a")["Versions"]) == 1
