"""Versioning semantics exactly as S3: IDs, null versions, delete markers."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_each_put_on_versioned_bucket_mints_a_version(s3: Any, versioned_bucket: str) -> None:
    b = versioned_bucket
    v1 = s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=b, Key="k", Body=b"two")["VersionId"]
    assert v1 != v2 and "null" not in (v1, v2)
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"two"
    assert s3.get_object(Bucket=b, Key="k", VersionId=v1)["Body"].read() == b"one"
    versions = s3.list_object_versions(Bucket=b)["Versions"]
    assert [(v["VersionId"], v["IsLatest"]) for v in versions] == [(v2, True), (v1, False)]


def test_delete_without_version_id_on_versioned_bucket_creates_delete_marker(
    s3: Any, versioned_bucket: str
) -> None:
    b = versioned_bucket
    v1 = s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
    deleted = s3.delete_object(Bucket=b, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=b, Key="k")
    assert exc.value.response["Error"]["Code"] == "NoSuchKey"
    assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    listing = s3.list_object_versions(Bucket=b)
    assert [m["VersionId"] for m in listing["DeleteMarkers"]] == [marker]
    assert listing["DeleteMarkers"][0]["IsLatest"] is True
    assert s3.get_object(Bucket=b, Key="k", VersionId=v1)["Body"].read() == b"one"
    assert "Contents" not in s3.list_objects_v2(Bucket=b)


def test_get_of_delete_marker_version_is_405(s3: Any, versioned_bucket: str) -> None:
    b = versioned_bucket
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    marker = s3.delete_object(Bucket=b, Key="k")["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=b, Key="k", VersionId=marker)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert exc.value.response["Error"]["Code"] == "MethodNotAllowed"


def test_deleting_the_delete_marker_restores_the_object(s3: Any, versioned_bucket: str) -> None:
    b = versioned_bucket
    s3.put_object(Bucket=b, Key="k", Body=b"back")
    marker = s3.delete_object(Bucket=b, Key="k")["VersionId"]
    removed = s3.delete_object(Bucket=b, Key="k", VersionId=marker)
    assert removed["DeleteMarker"] is True and removed["VersionId"] == marker
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"back"


def test_deleting_a_specific_version_promotes_the_previous(s3: Any, versioned_bucket: str) -> None:
    b = versioned_bucket
    s3.put_object(Bucket=b, Key="k", Body=b"one")
    v2 = s3.put_object(Bucket=b, Key="k", Body=b"two")["VersionId"]
    s3.delete_object(Bucket=b, Key="k", VersionId=v2)
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"one"
    assert len(s3.list_object_versions(Bucket=b)["Versions"]) == 1


def test_suspended_bucket_writes_null_version_replacing_previous_null(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"pre-versioning")  # null version
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"versioned")["VersionId"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"suspended")
    assert put["VersionId"] == "null"
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [v["VersionId"] for v in versions] == ["null", v1]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"suspended"


def test_suspended_bucket_delete_makes_null_delete_marker(s3: Any, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] == "null"
    listing = s3.list_object_versions(Bucket=bucket)
    assert "Versions" not in listing
    assert listing["DeleteMarkers"][0]["VersionId"] == "null"


def test_unversioned_delete_removes_object_without_marker(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert "DeleteMarker" not in deleted
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)
    assert "DeleteMarkers" not in s3.list_object_versions(Bucket=bucket)


def test_versioning_cannot_return_to_unversioned(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Off"})
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_version_id_header_on_head_and_get(s3: Any, versioned_bucket: str) -> None:
    v = s3.put_object(Bucket=versioned_bucket, Key="k", Body=b"x")["VersionId"]
    assert s3.head_object(Bucket=versioned_bucket, Key="k")["VersionId"] == v
    assert s3.get_object(Bucket=versioned_bucket, Key="k")["VersionId"] == v


def test_list_object_versions_paginates_with_markers(s3: Any, versioned_bucket: str) -> None:
    b = versioned_bucket
    expected = []
    for key in ("a", "b"):
        ids = [s3.put_object(Bucket=b, Key=key, Body=b"x")["VersionId"] for _ in range(3)]
        expected += [(key, i) for i in reversed(ids)]
    seen = []
    kwargs: dict[str, Any] = {}
    while True:
        page = s3.list_object_versions(Bucket=b, MaxKeys=2, **kwargs)
        seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
        if not page["IsTruncated"]:
            break
        kwargs = {
            "KeyMarker": page["NextKeyMarker"],
            "VersionIdMarker": page["NextVersionIdMarker"],
        }
    assert seen == expected
