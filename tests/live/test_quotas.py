"""Bucket quotas against a real two-region deployment: `ferry quota` set/show/clear (also for a
bucket of another region), writes over a quota refused with MinIO's error and nothing left, and
a replica refused by the destination's quota ending FAILED with DstBucketQuotaExceeded until the
quota is raised and `ferry failures redrive` completes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

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
QUOTA_ERROR = "XMinioAdminBucketQuotaExceeded"
ROOT_ENV = {"FERRY_ROOT_ACCESS_KEY": ACCESS_KEY, "FERRY_ROOT_SECRET_KEY": SECRET_KEY}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    running = Deployment(root=tmp_path_factory.mktemp("quotas")).start()
    yield running
    running.stop()


def ferry(
    *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FERRY_ROOT_"))}
    result = subprocess.run(
        [sys.executable, "-m", "ferry", *args], env={**clean, **(env or {})},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def quota(deployment: Deployment, *args: str) -> dict[str, Any]:
    config = ["--config", str(deployment.config_path), "--region", EAST, "--json"]
    document: dict[str, Any] = json.loads(ferry("quota", *args, *config).stdout)
    return document


def refused(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as error:
        call()
    response: dict[str, Any] = error.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        QUOTA_ERROR,
        400,
    )
    assert response["Error"]["Message"].startswith("Bucket quota exceeded")
    return response


def test_set_show_clear_through_the_cli_wherever_the_bucket_lives(
    deployment: Deployment, west: Any
) -> None:
    west.create_bucket(Bucket="q-cli", CreateBucketConfiguration={"LocationConstraint": WEST})
    west.put_object(Bucket="q-cli", Key="k", Body=b"x" * 100)
    # Sent to us-east-1 (--config --region): redirected to eu-west-1, where the bucket lives.
    shown = quota(deployment, "set", "q-cli", "--max-bytes", "1Ki", "--max-objects", "5")
    assert shown["quota"] == {"max_bytes": 1024, "max_objects": 5}
    assert (shown["usage"]["bytes"], shown["usage"]["objects"]) == (100, 1)
    assert quota(deployment, "set", "q-cli", "--max-objects", "7")["quota"] == {
        "max_bytes": 1024,
        "max_objects": 7,
    }
    # Sent to us-east-1's endpoint: the redirect names eu-west-1's endpoint.
    endpoint = ["--endpoint", deployment.endpoint(EAST)]
    table = ferry("quota", "show", "q-cli", *endpoint, env=ROOT_ENV).stdout
    assert "1.0 KiB (1024)" in table
    assert ["objects", "1"] in [line.split() for line in table.splitlines()]
    anonymous = httpx.put(
        deployment.endpoint(WEST) + "/_ferry/buckets/q-cli/quota", params={"max_bytes": "1"}
    )
    assert (anonymous.status_code, anonymous.json()["error"]) == (403, "AccessDenied")
    cleared = quota(deployment, "clear", "q-cli")
    assert cleared["quota"] == {"max_bytes": None, "max_objects": None}
    missing = ferry("quota", "show", "no-such-bucket", *endpoint, check=False, env=ROOT_ENV)
    assert missing.returncode == 1 and "NoSuchBucket" in missing.stderr


def test_put_over_the_byte_quota_is_refused_and_leaves_no_object(
    deployment: Deployment, east: Any
) -> None:
    east.create_bucket(Bucket="q-bytes")
    quota(deployment, "set", "q-bytes", "--max-bytes", "1000")
    east.put_object(Bucket="q-bytes", Key="fits", Body=b"a" * 600)
    response = refused(lambda: east.put_object(Bucket="q-bytes", Key="big", Body=b"b" * 500))
    assert response["Error"]["BucketName"] == "q-bytes"
    listed = east.list_objects_v2(Bucket="q-bytes")
    assert [o["Key"] for o in listed["Contents"]] == ["fits"]
    assert quota(deployment, "show", "q-bytes")["usage"]["bytes"] == 600
    east.put_object(Bucket="q-bytes", Key="fits", Body=b"c" * 1000)  # replaces: fits exactly


def test_object_count_quota(deployment: Deployment, east: Any) -> None:
    versioned_bucket(east, "q-count", EAST)
    quota(deployment, "set", "q-count", "--max-objects", "2")
    east.put_object(Bucket="q-count", Key="one", Body=b"1")
    east.put_object(Bucket="q-count", Key="one", Body=b"2")  # a second version: an object
    refused(lambda: east.put_object(Bucket="q-count", Key="two", Body=b"3"))
    east.delete_object(Bucket="q-count", Key="one")  # a delete marker is never refused
    versions = east.list_object_versions(Bucket="q-count")
    assert len(versions["Versions"]) == 2 and len(versions["DeleteMarkers"]) == 1


def test_multipart_over_quota(deployment: Deployment, east: Any) -> None:
    east.create_bucket(Bucket="q-multipart")
    east.put_object(Bucket="q-multipart", Key="first", Body=b"f")
    quota(deployment, "set", "q-multipart", "--max-objects", "1", "--max-bytes", "100")
    upload = east.create_multipart_upload(Bucket="q-multipart", Key="mp")["UploadId"]
    args = {"Bucket": "q-multipart", "Key": "mp", "UploadId": upload}
    refused(lambda: east.upload_part(**args, PartNumber=2, Body=b"p" * 200))  # parts count
    etag = east.upload_part(**args, PartNumber=1, Body=b"p" * 50)["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    refused(lambda: east.complete_multipart_upload(**args, MultipartUpload=parts))
    uploads = east.list_multipart_uploads(Bucket="q-multipart")["Uploads"]
    assert [u["UploadId"] for u in uploads] == [upload]  # still there, to retry or abort
    quota(deployment, "set", "q-multipart", "--max-objects", "2")
    east.complete_multipart_upload(**args, MultipartUpload=parts)
    assert east.head_object(Bucket="q-multipart", Key="mp")["ContentLength"] == 50


def test_replicas_over_the_destination_quota_fail_then_redrive_completes(
    deployment: Deployment, east: Any, west: Any
) -> None:
    versioned_bucket(east, "q-src", EAST)
    versioned_bucket(west, "q-dst", WEST)
    quota(deployment, "set", "q-dst", "--max-bytes", "150")  # redirected to eu-west-1
    replicate(east, "q-src", v2_rule("q-dst", rule_id="to-small"))
    # Room for one of three: whichever lands first completes, the others fail for good
    # (written together, so they may travel in one replica batch).
    versions = {
        key: east.put_object(Bucket="q-src", Key=key, Body=b"d" * 100)["VersionId"]
        for key in ("doc/1", "doc/2", "doc/3")
    }

    def outcomes() -> list[str]:
        return sorted(str(status(east, "q-src", k, v)) for k, v in versions.items())

    wait_for(lambda: outcomes() == ["COMPLETED", "FAILED", "FAILED"], what="1 replica, 2 FAILED")
    config = ["--config", str(deployment.config_path), "--region", EAST]
    listed = json.loads(ferry("failures", "list", "--json", "--rule", "to-small", *config).stdout)
    failures = listed["failures"]
    assert {(f["state"], f["reason"]) for f in failures} == {("FAILED", "DstBucketQuotaExceeded")}
    assert {f["version_id"] for f in failures} < set(versions.values()) and len(failures) == 2
    assert all("Bucket quota exceeded" in f["message"] for f in failures)
    assert len(west.list_object_versions(Bucket="q-dst")["Versions"]) == 1
    quota(deployment, "set", "q-dst", "--max-bytes", "1Mi")
    result = ferry("failures", "redrive", "--bucket", "q-src", "--rule", "to-small", *config)
    assert "succeeded: 2" in result.stdout and "failed: 0" in result.stdout
    assert outcomes() == ["COMPLETED"] * 3
    for key, version in versions.items():
        assert west.head_object(Bucket="q-dst", Key=key, VersionId=version)["ContentLength"] == 100
