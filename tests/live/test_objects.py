"""Object operations through boto3 against a live server."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.conftest import make_client
from tests.live.test_ownership_acl import enable_acls


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def status(exc: pytest.ExceptionInfo[ClientError]) -> int:
    return int(exc.value.response["ResponseMetadata"]["HTTPStatusCode"])


def test_put_then_get_returns_bytes_etag_and_headers(s3: Any, bucket: str) -> None:
    body = b"hello tulips" * 100
    put = s3.put_object(
        Bucket=bucket,
        Key="photos/tulips.jpg",
        Body=body,
        ContentType="image/jpeg",
        CacheControl="max-age=60",
        ContentDisposition="inline",
        ContentLanguage="nl",
        ContentEncoding="identity",
        Metadata={"Camera": "Leica", "shot": "1"},
        Expires=datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="photos/tulips.jpg")
    assert got["Body"].read() == body
    assert got["ETag"] == put["ETag"]
    assert got["ContentType"] == "image/jpeg"
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == "inline"
    assert got["ContentLanguage"] == "nl"
    assert got["Metadata"] == {"camera": "Leica", "shot": "1"}
    assert got["ContentLength"] == len(body)


def test_large_object_streams_from_blob_file(s3: Any, bucket: str) -> None:
    body = bytes(range(256)) * 4096 * 3  # 3 MiB: stored as a blob file, not inline
    s3.put_object(Bucket=bucket, Key="big", Body=body)
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == body


def test_head_object_and_missing_key(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"abc")
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ContentLength"] == 3
    assert head["ContentType"] == "binary/octet-stream"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="missing")
    assert code(exc) == "NoSuchKey"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="missing")
    assert status(exc) == 404


@pytest.mark.parametrize(
    ("header", "expected"),
    [("bytes=0-3", b"0123"), ("bytes=4-", b"456789"), ("bytes=-2", b"89"), ("bytes=8-100", b"89")],
)
def test_get_range(s3: Any, bucket: str, header: str, expected: bytes) -> None:
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="digits", Range=header)
    assert got["Body"].read() == expected
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"].endswith("/10")


def test_get_unsatisfiable_range_is_416(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="digits", Range="bytes=20-30")
    assert code(exc) == "InvalidRange"
    assert status(exc) == 416


def test_conditional_get(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"x")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"x"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert status(exc) == 412
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert status(exc) == 304
    future = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=future)
    assert status(exc) == 304
    past = datetime.now(UTC) - timedelta(days=1)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert status(exc) == 412


def test_conditional_put_if_none_match_refuses_overwrite(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")
    assert status(exc) == 412
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"1"


def test_response_overrides(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    got = s3.get_object(
        Bucket=bucket,
        Key="o",
        ResponseContentType="application/json",
        ResponseContentDisposition="attachment; filename=o.json",
        ResponseCacheControl="no-cache",
    )
    assert got["ContentType"] == "application/json"
    assert got["ContentDisposition"] == "attachment; filename=o.json"
    assert got["CacheControl"] == "no-cache"


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
def test_put_with_each_checksum_algorithm_is_verified_and_returned(
    s3: Any, bucket: str, algorithm: str
) -> None:
    put = s3.put_object(
        Bucket=bucket, Key=f"sum-{algorithm}", Body=b"checked", ChecksumAlgorithm=algorithm
    )
    field = f"Checksum{algorithm}"
    assert put[field]
    head = s3.head_object(Bucket=bucket, Key=f"sum-{algorithm}", ChecksumMode="ENABLED")
    assert head[field] == put[field]


def test_put_with_wrong_content_md5_is_bad_digest(s3: Any, bucket: str) -> None:
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"data", ContentMD5=wrong)
    assert code(exc) == "BadDigest"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad")


def test_put_with_malformed_content_md5_is_invalid_digest(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"data", ContentMD5="not-base64!")
    assert code(exc) == "InvalidDigest"


def test_put_with_wrong_checksum_is_bad_digest(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"data", ChecksumCRC32="AAAAAA==")
    assert code(exc) == "BadDigest"


def test_key_over_1024_bytes_is_key_too_long(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert code(exc) == "KeyTooLongError"


def test_metadata_over_2kb_is_too_large(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="meta", Body=b"x", Metadata={"big": "v" * 2100})
    assert code(exc) == "MetadataTooLarge"


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "a/../../b",
        "spaces in key",
        "ünïcödé/日本語",
        "100%",
        "plus+sign",
        "tilde~and=equals&amp",
        "/leading-slash",
        "trailing/",
        "a//b",
        "tab\there",
        "\x01ctrl",
        "?question#hash",
        "x" * 1024,
    ],
)
def test_odd_keys_round_trip_and_stay_inside_the_data_dir(s3: Any, bucket: str, key: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert key in listed


def test_virtual_hosted_addressing(server: Any) -> None:
    # *.localhost does not resolve here: send through the server as an HTTP proxy, so the
    # request keeps the virtual-hosted Host header that botocore signed.
    s3v = make_client(
        server.endpoint.replace("127.0.0.1", "localhost"),
        s3={"addressing_style": "virtual"},
        proxies={"http": server.endpoint},
    )
    s3v.create_bucket(Bucket="vhost-bucket")
    s3v.put_object(Bucket="vhost-bucket", Key="a b/c", Body=b"v")
    assert s3v.get_object(Bucket="vhost-bucket", Key="a b/c")["Body"].read() == b"v"


def test_delete_objects_quiet_and_verbose(s3: Any, bucket: str) -> None:
    for i in range(3):
        s3.put_object(Bucket=bucket, Key=f"d{i}", Body=b"x")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d0"}, {"Key": "d1"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["d0", "d1"]
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d2"}], "Quiet": True})
    assert "Deleted" not in result
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_copy_object_copies_metadata_or_replaces_it(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", Metadata={"a": "1"}, Tagging="t=1")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    dst = s3.get_object(Bucket=bucket, Key="dst")
    assert dst["Body"].read() == b"payload"
    assert dst["Metadata"] == {"a": "1"}
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "t", "Value": "1"}]
    s3.copy_object(
        Bucket=bucket,
        Key="dst2",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        TaggingDirective="REPLACE",
        Tagging="u=2",
    )
    assert s3.head_object(Bucket=bucket, Key="dst2")["Metadata"] == {"b": "2"}
    assert s3.get_object_tagging(Bucket=bucket, Key="dst2")["TagSet"] == [
        {"Key": "u", "Value": "2"}
    ]


def test_copy_object_onto_itself_without_changes_is_invalid(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="self", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert code(exc) == "InvalidRequest"


def test_conditional_copy(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.copy_object(
            Bucket=bucket,
            Key="dst",
            CopySource={"Bucket": bucket, "Key": "src"},
            CopySourceIfMatch='"nope"',
        )
    assert status(exc) == 412


def test_object_tagging_round_trip(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="a=1&b=2")
    assert (
        s3.head_object(Bucket=bucket, Key="t")["ResponseMetadata"]["HTTPHeaders"][
            "x-amz-tagging-count"
        ]
        == "2"
    )
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "c", "Value": "3"}]
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []


def test_too_many_object_tags_is_invalid_tag(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="t", Body=b"x")
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": tags})
    assert code(exc) == "InvalidTag"


def test_object_acl_canned_and_explicit(s3: Any, bucket: str) -> None:
    enable_acls(s3, bucket)  # new buckets have ACLs disabled, as on AWS
    s3.put_object(Bucket=bucket, Key="acl", Body=b"x", ACL="public-read")
    grants = s3.get_object_acl(Bucket=bucket, Key="acl")["Grants"]
    assert {g["Permission"] for g in grants} == {"FULL_CONTROL", "READ"}
    s3.put_object_acl(Bucket=bucket, Key="acl", ACL="private")
    grants = s3.get_object_acl(Bucket=bucket, Key="acl")["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    owner = s3.get_object_acl(Bucket=bucket, Key="acl")["Owner"]["ID"]
    s3.put_object_acl(Bucket=bucket, Key="acl", GrantRead=f'id="{owner}"')
    grants = s3.get_object_acl(Bucket=bucket, Key="acl")["Grants"]
    assert [g["Permission"] for g in grants] == ["READ"]


def test_get_object_attributes(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="attr", Body=b"12345", ChecksumAlgorithm="SHA256")
    attrs = s3.get_object_attributes(
        Bucket=bucket,
        Key="attr",
        ObjectAttributes=["ETag", "ObjectSize", "StorageClass", "Checksum"],
    )
    assert attrs["ObjectSize"] == 5
    assert attrs["ETag"] == hashlib.md5(b"12345").hexdigest()
    assert attrs["StorageClass"] == "STANDARD"
    assert (
        attrs["Checksum"]["ChecksumSHA256"]
        == base64.b64encode(hashlib.sha256(b"12345").digest()).decode()
    )


def test_storage_class_is_kept_and_invalid_rejected(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="cold", Body=b"x", StorageClass="STANDARD_IA")
    assert s3.head_object(Bucket=bucket, Key="cold")["StorageClass"] == "STANDARD_IA"
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="cold", Body=b"x", StorageClass="PLATINUM")
    assert code(exc) == "InvalidStorageClass"


def test_presigned_get_and_expired_url(s3: Any, bucket: str) -> None:
    import httpx

    s3.put_object(Bucket=bucket, Key="shared", Body=b"presigned")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "shared"}, ExpiresIn=60
    )
    assert httpx.get(url).content == b"presigned"
    tampered = url.replace("shared", "sharee")
    assert httpx.get(tampered).status_code == 403


def test_non_ascii_metadata_comes_back_rfc_2047_encoded(s3: Any, bucket: str) -> None:
    # botocore refuses non-ASCII metadata, so SDK users send RFC 2047 words; Q-encoded in,
    # stored as "café", B-encoded out as AWS returns it.
    word = {"word": "=?UTF-8?Q?caf=C3=A9?=", "plain": "blue"}
    s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata=word)

    metadata = s3.head_object(Bucket=bucket, Key="m")["Metadata"]

    assert metadata == {"word": "=?UTF-8?B?Y2Fmw6k=?=", "plain": "blue"}
