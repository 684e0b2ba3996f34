"""ListObjects, ListObjectsV2 and their pagination, prefixes and delimiters."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

import pytest
from botocore.exceptions import ClientError

KEYS = ["a/1", "a/2", "a/b/3", "b/4", "c", "d/5", "d/6"]


@pytest.fixture
def filled(s3: Any, bucket: str) -> str:
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    return bucket


def test_list_v2_everything_in_order(s3: Any, filled: str) -> None:
    listed = s3.list_objects_v2(Bucket=filled)
    assert [o["Key"] for o in listed["Contents"]] == KEYS
    assert listed["KeyCount"] == len(KEYS)


def test_list_v2_with_delimiter_groups_common_prefixes(s3: Any, filled: str) -> None:
    listed = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [o["Key"] for o in listed["Contents"]] == ["c"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["a/", "b/", "d/"]
    nested = s3.list_objects_v2(Bucket=filled, Delimiter="/", Prefix="a/")
    assert [o["Key"] for o in nested["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in nested["CommonPrefixes"]] == ["a/b/"]


def test_list_v2_paginates_with_continuation_tokens(s3: Any, filled: str) -> None:
    seen: list[str] = []
    kwargs: dict[str, Any] = {}
    pages = 0
    while True:
        page = s3.list_objects_v2(Bucket=filled, MaxKeys=2, Delimiter="/", **kwargs)
        pages += 1
        seen += [o["Key"] for o in page.get("Contents", [])]
        seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if not page["IsTruncated"]:
            break
        kwargs = {"ContinuationToken": page["NextContinuationToken"]}
    assert sorted(seen) == ["a/", "b/", "c", "d/"]
    assert pages == 2


def test_list_v2_start_after_and_max_keys_zero(s3: Any, filled: str) -> None:
    listed = s3.list_objects_v2(Bucket=filled, StartAfter="b/4")
    assert [o["Key"] for o in listed["Contents"]] == ["c", "d/5", "d/6"]
    empty = s3.list_objects_v2(Bucket=filled, MaxKeys=0)
    assert "Contents" not in empty


def test_list_v1_paginates_with_markers(s3: Any, filled: str) -> None:
    seen: list[str] = []
    marker = ""
    while True:
        page = s3.list_objects(Bucket=filled, MaxKeys=3, Marker=marker)
        keys = [o["Key"] for o in page.get("Contents", [])]
        seen += keys
        if not page["IsTruncated"]:
            break
        marker = page.get("NextMarker") or keys[-1]
    assert seen == KEYS


def test_list_with_url_encoding(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="sp ace/ü", Body=b"x")
    listed = s3.list_objects_v2(Bucket=bucket, EncodingType="url")
    # botocore decodes only when it chose the encoding itself; S3 form-encodes keys.
    assert [o["Key"] for o in listed["Contents"]] == ["sp+ace/%C3%BC"]
    assert unquote_plus(listed["Contents"][0]["Key"]) == "sp ace/ü"


def test_url_encoding_on_every_listing(s3: Any, bucket: str) -> None:
    """ListObjects, ListObjectVersions and ListMultipartUploads encode keys, prefixes and
    delimiters too (ListParts has no EncodingType in AWS's model)."""
    key = "dir ü/a+b"
    s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.create_multipart_upload(Bucket=bucket, Key=key)
    raw = {"EncodingType": "url", "Prefix": "dir ü/"}  # asked for: botocore leaves it encoded

    v1 = s3.list_objects(Bucket=bucket, **raw)
    versions = s3.list_object_versions(Bucket=bucket, **raw)
    uploads = s3.list_multipart_uploads(Bucket=bucket, **raw)

    encoded = "dir+%C3%BC/a%2Bb"
    assert [o["Key"] for o in v1["Contents"]] == [encoded]
    assert [v["Key"] for v in versions["Versions"]] == [encoded]
    assert [u["Key"] for u in uploads["Uploads"]] == [encoded]
    for listed in (v1, versions, uploads):
        assert listed["EncodingType"] == "url"
        assert listed["Prefix"] == "dir+%C3%BC/"


def test_list_paginator_over_many_keys(s3: Any, bucket: str) -> None:
    for i in range(25):
        s3.put_object(Bucket=bucket, Key=f"many/{i:03d}", Body=b"")
    paginator = s3.get_paginator("list_objects_v2")
    keys = [
        o["Key"]
        for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 7})
        for o in page["Contents"]
    ]
    assert keys == [f"many/{i:03d}" for i in range(25)]


def test_list_missing_bucket_is_no_such_bucket(s3: Any) -> None:
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket="missing-bucket-x")
    assert exc.value.response["Error"]["Code"] == "NoSuchBucket"


def test_invalid_encoding_type_is_invalid_argument(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket=bucket, EncodingType="base64")
    assert exc.value.response["Error"]["Code"] == "InvalidArgument"
