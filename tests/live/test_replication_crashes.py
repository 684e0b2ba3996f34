"""kill -9 of either region while replication is under way: no object lost or duplicated."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.live.replication_support import (
    Deployment,
    replicate,
    v2_rule,
    versioned_bucket,
    wait_for,
)

EAST, WEST = "us-east-1", "eu-west-1"
OBJECTS = 1000
DESTINATION_DOWN_S = 60.0  # "restarted a minute later"
BODY = b"r" * 4096


def write_objects(s3: Any, bucket: str, count: int, written: dict[str, str]) -> None:
    for i in range(count):
        key = f"obj-{i:04d}"
        for _ in range(5):  # a write racing a restart may need a retry; never a silent skip
            try:
                written[key] = s3.put_object(Bucket=bucket, Key=key, Body=BODY)["VersionId"]
                break
            except (ClientError, BotoCoreError):
                time.sleep(0.5)
        else:
            raise AssertionError(f"could not write {key}")


def all_statuses(s3: Any, bucket: str, keys: list[str]) -> dict[str, str | None]:
    return {k: s3.head_object(Bucket=bucket, Key=k).get("ReplicationStatus") for k in keys}


def replica_versions(s3: Any, bucket: str) -> list[tuple[str, str]]:
    paginator = s3.get_paginator("list_object_versions")
    return [
        (v["Key"], v["VersionId"])
        for page in paginator.paginate(Bucket=bucket)
        for v in page.get("Versions", [])
    ]


def assert_everything_replicated_once(
    deployment: Deployment, source: str, target: str, written: dict[str, str]
) -> None:
    east, west = deployment.client(EAST), deployment.client(WEST)
    wait_for(
        lambda: len(replica_versions(west, target)) >= len(written),
        timeout_s=180,
        what="every replica at the destination",
    )
    wait_for(
        lambda: set(all_statuses(east, source, sorted(written)).values()) == {"COMPLETED"},
        timeout_s=120,
        what="every source version COMPLETED",
    )
    replicas = replica_versions(west, target)
    assert len(replicas) == len(written)  # nothing duplicated
    assert dict(replicas) == written  # nothing lost, identities kept


@pytest.fixture
def deployment(tmp_path: Path) -> Any:
    running = Deployment(root=tmp_path / "crash").start()
    east, west = running.client(EAST), running.client(WEST)
    versioned_bucket(east, "crash-src", EAST)
    versioned_bucket(west, "crash-dst", WEST)
    replicate(east, "crash-src", v2_rule("crash-dst"))
    yield running
    running.stop()


@pytest.mark.slow
def test_destination_killed_during_writes_and_restarted_a_minute_later(
    deployment: Deployment,
) -> None:
    east = deployment.client(EAST)
    written: dict[str, str] = {}
    writer = threading.Thread(target=write_objects, args=(east, "crash-src", OBJECTS, written))
    writer.start()
    wait_for(lambda: len(written) >= OBJECTS // 5, what="some writes before the kill")
    deployment.kill_region(WEST)
    writer.join(timeout=300)
    assert len(written) == OBJECTS  # the source kept serving writes all along
    pending = all_statuses(east, "crash-src", sorted(written)[-10:])
    assert set(pending.values()) == {"PENDING"}  # nothing could reach the destination
    time.sleep(DESTINATION_DOWN_S)
    deployment.start_region(WEST)
    assert_everything_replicated_once(deployment, "crash-src", "crash-dst", written)


@pytest.mark.slow
def test_source_killed_mid_replication_and_restarted(deployment: Deployment) -> None:
    east = deployment.client(EAST)
    written: dict[str, str] = {}
    deployment.kill_region(WEST)  # build a backlog first, so the kill lands mid-drain
    count = 3 * OBJECTS  # batched replication drains 1,000 small objects in well under 1 s
    write_objects(east, "crash-src", count, written)
    deployment.start_region(WEST)
    west = deployment.client(WEST)
    wait_for(
        lambda: bool(west.list_object_versions(Bucket="crash-dst", MaxKeys=1).get("Versions")),
        what="replication under way",
    )
    deployment.kill_region(EAST)
    assert len(replica_versions(west, "crash-dst")) < count, "drained before the kill"
    deployment.start_region(EAST)
    assert_everything_replicated_once(deployment, "crash-src", "crash-dst", written)
