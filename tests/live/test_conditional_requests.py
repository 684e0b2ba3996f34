"""Conditional writes and reads through boto3 against a live server: racing If-None-Match
writers (real threads, real sockets), If-Match on PutObject and CompleteMultipartUpload, the
AWS-documented read and copy combinations, and partNumber reads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

PAST = datetime(2000, 1, 1, tzinfo=UTC)
OTHER_ETAG = '"00000000000000000000000000000000"'
PART = 5 * 1024 * 1024  # S3's minimum size of a part that is not the last


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = exc.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_racing_if_none_match_writers_only_one_wins(s3: Any, bucket: str) -> None:
    def attempt(n: int) -> int:
        try:
            s3.put_object(Bucket=bucket, Key="race", Body=str(n).encode(), IfNoneMatch="*")
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "PreconditionFailed"
            return 412
        return 200

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))

    assert sorted(outcomes) == [200] + [412] * 7


def test_put_if_match_and_if_none_match_with_an_etag(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["ETag"]
    with pytest.raises(ClientError) as stale:
        s3.put_object(Bucket=bucket, Key="k", Body=b"2", IfMatch=OTHER_ETAG)
    with pytest.raises(ClientError) as absent:
        s3.put_object(Bucket=bucket, Key="nothing", Body=b"2", IfMatch=etag)
    with pytest.raises(ClientError) as unsupported:
        s3.put_object(Bucket=bucket, Key="k", Body=b"2", IfNoneMatch=etag)
    s3.put_object(Bucket=bucket, Key="k", Body=b"3", IfMatch=etag)

    assert error(stale) == (412, "PreconditionFailed")
    assert error(absent) == (404, "NoSuchKey")
    assert error(unsupported) == (501, "NotImplemented")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"3"


def test_complete_multipart_upload_if_none_match(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="mp", Body=b"existing")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"p")
    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}

    with pytest.raises(ClientError) as refused:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts, IfNoneMatch="*"
        )

    assert error(refused) == (412, "PreconditionFailed")
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"existing"


def test_aws_documented_read_combinations(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"x")["ETag"]

    won = s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=PAST)
    with pytest.raises(ClientError) as not_modified:
        s3.head_object(Bucket=bucket, Key="c", IfNoneMatch=etag, IfModifiedSince=PAST)

    assert won["Body"].read() == b"x"
    assert not_modified.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304


def test_copy_source_conditions(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"x")["ETag"]
    source = {"Bucket": bucket, "Key": "src"}

    s3.copy_object(
        Bucket=bucket, Key="ok", CopySource=source,
        CopySourceIfMatch=etag, CopySourceIfUnmodifiedSince=PAST,
    )  # fmt: skip
    with pytest.raises(ClientError) as refused:
        s3.copy_object(
            Bucket=bucket, Key="no", CopySource=source,
            CopySourceIfNoneMatch=etag, CopySourceIfModifiedSince=PAST,
        )  # fmt: skip

    assert s3.get_object(Bucket=bucket, Key="ok")["Body"].read() == b"x"
    assert error(refused) == (412, "PreconditionFailed")


def test_get_and_head_by_part_number(s3: Any, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="parts")["UploadId"]
    bodies = [b"a" * PART, b"b" * 10]
    etags = [
        s3.upload_part(Bucket=bucket, Key="parts", UploadId=upload, PartNumber=n + 1, Body=body)[
            "ETag"
        ]
        for n, body in enumerate(bodies)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="parts", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]},
    )  # fmt: skip

    second = s3.get_object(Bucket=bucket, Key="parts", PartNumber=2)
    head = s3.head_object(Bucket=bucket, Key="parts", PartNumber=1)
    with pytest.raises(ClientError) as beyond:
        s3.get_object(Bucket=bucket, Key="parts", PartNumber=3)

    assert second["Body"].read() == bodies[1]
    assert second["PartsCount"] == 2
    assert second["ContentRange"] == f"bytes {PART}-{PART + 9}/{PART + 10}"
    assert (head["ContentLength"], head["PartsCount"]) == (PART, 2)
    assert error(beyond) == (416, "InvalidPartNumber")


def test_part_one_of_a_plain_object(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="plain", Body=b"body")

    got = s3.get_object(Bucket=bucket, Key="plain", PartNumber=1)

    assert got["Body"].read() == b"body"
    assert got["ContentRange"] == "bytes 0-3/4" and "PartsCount" not in got


def test_if_modified_since_now_is_not_modified(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="t", Body=b"x")
    later = datetime.now(UTC) + timedelta(minutes=1)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="t", IfModifiedSince=later)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
