"""`ferry verify` against a real two-region deployment: differences planted by writing to the
destination directly (S3 requests, and replica writes as the replication identity for a
version that keeps its ID but not its content) are each found, with the right kind and
fields; `--repair` (with `--delete-extra --replace-mismatched`) brings the pair back into
agreement; a checkpoint lets a run resume."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ferry.client import Credentials, SigV4Auth
from ferry.core.secret import Secret
from ferry.protocol import replica
from ferry.replication.identity import (
    REPLICATION_ACCESS_KEY,
    REPLICATION_ROLE_HEADER,
    replication_secret,
)
from tests.live.iam_support import role_arn
from tests.live.replication_support import (
    Deployment,
    replicate,
    status,
    v2_rule,
    versioned_bucket,
    wait_for,
)
from tests.live.server import SECRET_KEY
from tests.live.test_ownership_acl import enable_acls

EAST, WEST = "us-east-1", "eu-west-1"
SRC, DST = "verify-src", "verify-dst"
KEYS = ("intact", "missing", "etag", "metadata", "tags", "acl", "class", "marker", "gone-marker")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    running = Deployment(root=tmp_path_factory.mktemp("verify")).start()
    yield running
    running.stop()


def verify(deployment: Deployment, *args: str) -> tuple[int, dict[str, Any]]:
    result = deployment.run_cli("verify", "--bucket", SRC, "--json", *args, region=EAST)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.fixture(scope="module")
def versions(deployment: Deployment) -> dict[str, str]:
    """Every key replicated, then a difference of each kind planted at the destination."""
    east, west = deployment.client(EAST), deployment.client(WEST)
    versioned_bucket(east, SRC, EAST)
    versioned_bucket(west, DST, WEST)
    enable_acls(east, SRC)  # an ACL difference needs ACLs on both sides
    enable_acls(west, DST)
    replicate(east, SRC, v2_rule(DST, rule_id="to-west", dmr="Enabled"))
    ids = {
        key: east.put_object(
            Bucket=SRC, Key=key, Body=key.encode(), Metadata={"kind": key}, ContentType="text/plain"
        )["VersionId"]
        for key in KEYS
    }
    ids["gone-marker"] = east.delete_object(Bucket=SRC, Key="gone-marker")["VersionId"]
    for key in KEYS:
        wait_for(lambda k=key: _replicated(east, k, ids[k]), what=f"{key} replicated")
    plant_differences(deployment, ids)
    return ids


def _replicated(east: Any, key: str, version_id: str) -> bool:
    listed = east.list_object_versions(Bucket=SRC, Prefix=key)
    if any(m["VersionId"] == version_id for m in listed.get("DeleteMarkers", [])):
        return True  # a delete marker's status is not shown; the listing below checks it
    return status(east, SRC, key, version_id) == "COMPLETED"


def plant_differences(deployment: Deployment, ids: dict[str, str]) -> None:
    west = deployment.client(WEST)
    west.delete_object(Bucket=DST, Key="missing", VersionId=ids["missing"])
    west.put_object(Bucket=DST, Key="extra", Body=b"only here")
    west.put_object_tagging(Bucket=DST, Key="tags", VersionId=ids["tags"],
                            Tagging={"TagSet": [{"Key": "planted", "Value": "yes"}]})  # fmt: skip
    west.put_object_acl(Bucket=DST, Key="acl", VersionId=ids["acl"], ACL="public-read")
    west.delete_object(Bucket=DST, Key="marker")  # a delete marker the source never wrote
    west.delete_object(Bucket=DST, Key="gone-marker", VersionId=ids["gone-marker"])
    for key, changes in (("etag", {"body": b"ETAG"}),
                         ("metadata", {"user_metadata": (("kind", "changed"),)}),
                         ("class", {"storage_class": "STANDARD_IA"})):  # fmt: skip
        replace_replica(deployment, key, ids[key], **changes)


def replace_replica(deployment: Deployment, key: str, version_id: str, **changes: Any) -> None:
    """The destination's version of `key` swapped for one with the same version ID but other
    content, written as replication writes (the replica protocol, as the replication
    identity): the one way a replica can differ from its source but for tags and ACL."""
    west = deployment.client(WEST)
    head = west.head_object(Bucket=DST, Key=key, VersionId=version_id)
    owner = west.list_object_versions(Bucket=DST, Prefix=key)["Versions"][0]["Owner"]["ID"]
    west.delete_object(Bucket=DST, Key=key, VersionId=version_id)
    body: bytes = changes.get("body", key.encode())
    descriptor = replica.ReplicaDescriptor(
        version_id=version_id, last_modified_ms=int(head["LastModified"].timestamp() * 1000),
        owner_id=owner, size=len(body), etag=hashlib.md5(body).hexdigest(),
        storage_class=changes.get("storage_class", "STANDARD"),
        content_headers=(("content-type", "text/plain"),),
        user_metadata=changes.get("user_metadata", (("kind", key),)),
        acl=(("CanonicalUser", owner, "FULL_CONTROL"),),
    )  # fmt: skip
    prefix = replica.frame_prefix(descriptor)
    secret = replication_secret(Secret(SECRET_KEY))
    credentials = Credentials(access_key=REPLICATION_ACCESS_KEY, secret_key=secret, region=WEST)
    response = httpx.put(
        f"{deployment.endpoint(WEST)}/{DST}/{key}", content=prefix + body,
        headers={replica.REPLICA_HEADER: replica.FRAMED, REPLICATION_ROLE_HEADER: role_arn("r"),
                 "content-type": "application/octet-stream"},
        auth=SigV4Auth(credentials), timeout=30,
    )  # fmt: skip
    assert response.status_code == 200, response.text


def found(report: dict[str, Any]) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {d["key"]: (d["kind"], tuple(d["fields"])) for d in report["first_differences"]}


def test_each_planted_difference_is_found(deployment: Deployment, versions: dict[str, str]) -> None:
    code, report = verify(deployment)
    assert code == 1 and not report["agree"]
    assert found(report) == {
        "missing": ("MISSING", ()),
        "extra": ("EXTRA", ()),
        "etag": ("MISMATCH", ("etag",)),
        "metadata": ("MISMATCH", ("metadata",)),
        "tags": ("MISMATCH", ("tags",)),
        "acl": ("MISMATCH", ("acl",)),
        "class": ("MISMATCH", ("storage_class",)),
        "marker": ("EXTRA", ()),
        "gone-marker": ("MISSING", ()),
    }
    markers = {d["key"]: d["delete_marker"] for d in report["first_differences"]}
    assert markers["marker"] and markers["gone-marker"] and not markers["missing"]
    assert report["destinations"] == {DST: {"MISSING": 2, "EXTRA": 2, "MISMATCH": 5}}
    assert report["source_versions"] == len(KEYS) + 1  # and the delete marker


def test_human_output_and_rule_and_show(deployment: Deployment, versions: dict[str, str]) -> None:
    result = deployment.run_cli("verify", "--bucket", SRC, "--rule", "to-west", "--show", "2")
    assert result.returncode == 1, result.stderr
    assert "first 2 of 9 differences" in result.stdout
    assert result.stdout.rstrip().endswith("9 differences")
    unknown = deployment.run_cli("verify", "--bucket", SRC, "--rule", "nope")
    assert unknown.returncode == 2 and "no replication rule nope" in unknown.stderr


def test_checkpoint_resumes_after_the_last_key(
    deployment: Deployment, versions: dict[str, str], tmp_path: Path
) -> None:
    checkpoint = tmp_path / "verify.json"
    checkpoint.write_text(json.dumps({
        "bucket": SRC, "rule": None, "last_key": "gone-marker", "keys": 5,
        "source_versions": 5, "counts": {DST: {"EXTRA": 2, "MISMATCH": 2}}, "first": [],
        "repairs": {"queued": 0, "deleted_extra": 0, "replaced": 0, "not_repaired": {},
                    "notes": []},
    }))  # fmt: skip
    code, report = verify(deployment, "--checkpoint", str(checkpoint))
    assert code == 1
    # counted before the checkpoint, plus what follows "gone-marker"
    assert set(found(report)) == {"marker", "metadata", "missing", "tags"}
    assert report["destinations"][DST] == {"MISSING": 1, "EXTRA": 3, "MISMATCH": 4}
    assert not checkpoint.exists()  # finished: the next run starts afresh


def test_repair_brings_the_pair_into_agreement(
    deployment: Deployment, versions: dict[str, str]
) -> None:
    code, report = verify(deployment, "--repair", "--delete-extra", "--replace-mismatched")
    assert code == 1
    assert report["repair"]["queued"] == 7  # 2 missing + 5 mismatched
    assert report["repair"]["deleted_extra"] == 2
    assert report["repair"]["replaced"] == 3  # etag, metadata, storage class
    wait_for(lambda: verify(deployment)[0] == 0, timeout_s=60, what="verify agrees")
    west = deployment.client(WEST)
    assert west.get_object(Bucket=DST, Key="etag", VersionId=versions["etag"])["Body"].read() == (
        b"etag"
    )
    assert (
        west.get_object_tagging(Bucket=DST, Key="tags", VersionId=versions["tags"])["TagSet"] == []
    )
