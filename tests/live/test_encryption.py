"""Server-side encryption against a live server: SSE-S3, SSE-C, SSE-KMS, bucket defaults."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.live.server import ACCESS_KEY, SECRET_KEY, FerryServer
from tests.live.test_aws_cli import run_aws

# Random: the tests look for the key's bytes in the server's files, which other modules'
# bodies (bytes(range(256)), say) share.
KEY_A = os.urandom(32)
KEY_B = os.urandom(32)


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = exc.value.response
    return int(response["ResponseMetadata"]["HTTPStatusCode"]), str(response["Error"]["Code"])


def sse_c(key: bytes, *, copy_source: bool = False) -> dict[str, str]:
    prefix = "CopySourceSSECustomer" if copy_source else "SSECustomer"
    return {
        f"{prefix}Algorithm": "AES256",
        f"{prefix}Key": base64.b64encode(key).decode(),
        f"{prefix}KeyMD5": base64.b64encode(hashlib.md5(key).digest()).decode(),
    }


def files_containing(root: Path, marker: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and marker in p.read_bytes()]


@pytest.fixture(scope="module")
def kms(server: FerryServer) -> Any:
    return boto3.client(
        "kms",
        endpoint_url=server.endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
    )


# -- SSE-S3 --------------------------------------------------------------------------------


def test_sse_s3_object_is_encrypted_at_rest_and_reads_back(
    s3: Any, bucket: str, server: FerryServer
) -> None:
    marker = b"PLAINTEXT-MARKER-" + os.urandom(8).hex().encode()
    small, large = marker * 4, marker * 20_000  # inline in the DB, and a blob file
    for key, body in (("small", small), ("large", large)):
        put = s3.put_object(Bucket=bucket, Key=key, Body=body, ServerSideEncryption="AES256")
        assert put["ServerSideEncryption"] == "AES256"
        assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == body
        assert got["ServerSideEncryption"] == "AES256"
        assert got["ContentLength"] == len(body)
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
        assert head["ContentLength"] == len(body)
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert {o["Key"]: o["Size"] for o in listed} == {"small": len(small), "large": len(large)}
    assert files_containing(server.data_dir, marker) == []


def test_range_get_of_an_encrypted_object(s3: Any, bucket: str) -> None:
    body = os.urandom(200_000)
    s3.put_object(Bucket=bucket, Key="k", Body=body, ServerSideEncryption="AES256")
    for first, last in ((0, 0), (65_535, 65_536), (100, 150_000), (199_999, 199_999)):
        got = s3.get_object(Bucket=bucket, Key="k", Range=f"bytes={first}-{last}")
        assert got["Body"].read() == body[first : last + 1]
    tail = s3.get_object(Bucket=bucket, Key="k", Range="bytes=-10")
    assert tail["Body"].read() == body[-10:]


def test_unknown_encryption_algorithm_is_invalid_argument(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES128")
    assert error(exc) == (400, "InvalidArgument")


def test_large_sse_s3_object_streams_both_ways(s3: Any, bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "big"
    digest = hashlib.md5()
    with source.open("wb") as f:
        for _ in range(64):
            chunk = os.urandom(1024 * 1024)
            digest.update(chunk)
            f.write(chunk)
    with source.open("rb") as f:
        s3.put_object(Bucket=bucket, Key="big", Body=f, ServerSideEncryption="AES256")
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["ContentLength"] == 64 * 1024 * 1024
    received = hashlib.md5()
    for chunk in got["Body"].iter_chunks(1024 * 1024):
        received.update(chunk)
    assert received.hexdigest() == digest.hexdigest()


# -- bucket default encryption ---------------------------------------------------------------


def test_bucket_default_encryption_round_trip_and_effect(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_encryption(Bucket=bucket)
    assert error(exc) == (404, "ServerSideEncryptionConfigurationNotFoundError")
    s3.put_object(Bucket=bucket, Key="before", Body=b"plain")
    assert "ServerSideEncryption" not in s3.head_object(Bucket=bucket, Key="before")

    config = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=config)
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    put = s3.put_object(Bucket=bucket, Key="after", Body=b"secret")
    assert put["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="after")["ServerSideEncryption"] == "AES256"
    copied = s3.copy_object(
        Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "before"}
    )
    assert copied["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"plain"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    assert upload["ServerSideEncryption"] == "AES256"
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"])

    s3.delete_bucket_encryption(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_encryption(Bucket=bucket)
    assert error(exc)[1] == "ServerSideEncryptionConfigurationNotFoundError"
    assert "ServerSideEncryption" not in s3.put_object(Bucket=bucket, Key="later", Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="after")["Body"].read() == b"secret"


def test_bucket_default_encryption_rejects_bad_documents(s3: Any, bucket: str) -> None:
    unknown = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES128"}}]}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=unknown)
    assert error(exc) == (400, "InvalidArgument")
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": []})
    assert error(exc) == (400, "MalformedXML")


# -- SSE-C ---------------------------------------------------------------------------------


def test_sse_c_put_get_head_with_the_right_key(s3: Any, bucket: str, server: FerryServer) -> None:
    marker = b"SSEC-MARKER-" + os.urandom(8).hex().encode()
    body = marker * 10_000
    put = s3.put_object(Bucket=bucket, Key="k", Body=body, **sse_c(KEY_A))
    assert put["SSECustomerAlgorithm"] == "AES256"
    assert put["SSECustomerKeyMD5"] == sse_c(KEY_A)["SSECustomerKeyMD5"]
    assert put["ETag"] != f'"{hashlib.md5(body).hexdigest()}"'  # not the MD5, as AWS
    got = s3.get_object(Bucket=bucket, Key="k", **sse_c(KEY_A))
    assert got["Body"].read() == body
    assert got["SSECustomerKeyMD5"] == sse_c(KEY_A)["SSECustomerKeyMD5"]
    assert got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket=bucket, Key="k", **sse_c(KEY_A))
    assert head["ContentLength"] == len(body)
    assert head["SSECustomerAlgorithm"] == "AES256"
    ranged = s3.get_object(Bucket=bucket, Key="k", Range="bytes=70000-70100", **sse_c(KEY_A))
    assert ranged["Body"].read() == body[70000:70101]
    assert files_containing(server.data_dir, marker) == []
    assert files_containing(server.data_dir, KEY_A) == []


def test_sse_c_errors(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="secret", Body=b"data", **sse_c(KEY_A))
    s3.put_object(Bucket=bucket, Key="plain", Body=b"data")
    cases: list[tuple[str, dict[str, str], tuple[int, str]]] = [
        ("secret", {}, (400, "InvalidRequest")),
        ("secret", sse_c(KEY_B), (403, "AccessDenied")),
        ("secret", {**sse_c(KEY_A), "SSECustomerKeyMD5": sse_c(KEY_B)["SSECustomerKeyMD5"]},
         (400, "InvalidArgument")),
        ("plain", sse_c(KEY_A), (400, "InvalidRequest")),
    ]  # fmt: skip
    for key, headers, expected in cases:
        with pytest.raises(ClientError) as exc:
            s3.get_object(Bucket=bucket, Key=key, **headers)
        assert error(exc) == expected, (key, headers)
        with pytest.raises(ClientError) as exc:
            s3.head_object(Bucket=bucket, Key=key, **headers)
        assert error(exc)[0] == expected[0]
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="secret", ObjectAttributes=["ObjectSize"])
    assert error(exc) == (400, "InvalidRequest")
    attributes = s3.get_object_attributes(
        Bucket=bucket, Key="secret", ObjectAttributes=["ObjectSize"], **sse_c(KEY_A)
    )
    assert attributes["ObjectSize"] == 4


def test_sse_c_invalid_keys_on_put(s3: Any, bucket: str) -> None:
    short = {
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": base64.b64encode(b"k" * 16).decode(),
        "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(b"k" * 16).digest()).decode(),
    }
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", **short)
    assert error(exc) == (400, "InvalidArgument")
    with pytest.raises(ClientError) as exc:
        s3.put_object(
            Bucket=bucket, Key="k", Body=b"x", **{**sse_c(KEY_A), "SSECustomerAlgorithm": "AES128"}
        )
    assert error(exc) == (400, "InvalidEncryptionAlgorithmError")
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k")
    assert error(exc)[0] == 404  # nothing was stored


def test_sse_c_copy_needs_the_source_key(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"copied secret", **sse_c(KEY_A))
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert error(exc) == (400, "InvalidRequest")
    copied = s3.copy_object(
        Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
        **sse_c(KEY_A, copy_source=True), **sse_c(KEY_B),
    )  # fmt: skip
    assert copied["SSECustomerKeyMD5"] == sse_c(KEY_B)["SSECustomerKeyMD5"]
    assert (
        s3.get_object(Bucket=bucket, Key="dst", **sse_c(KEY_B))["Body"].read() == b"copied secret"
    )
    s3.copy_object(
        Bucket=bucket, Key="plain", CopySource={"Bucket": bucket, "Key": "src"},
        **sse_c(KEY_A, copy_source=True),
    )  # fmt: skip
    assert s3.get_object(Bucket=bucket, Key="plain")["Body"].read() == b"copied secret"


def test_sse_c_multipart_upload_needs_the_key_on_every_part(s3: Any, bucket: str) -> None:
    part_size = 5 * 1024 * 1024
    first, second = os.urandom(part_size), os.urandom(1000)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", **sse_c(KEY_A))
    upload_id = upload["UploadId"]
    assert upload["SSECustomerAlgorithm"] == "AES256"
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=first)
    assert error(exc) == (400, "InvalidRequest")
    with pytest.raises(ClientError) as exc:
        s3.upload_part(
            Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=first,
            **sse_c(KEY_B),
        )  # fmt: skip
    assert error(exc) == (403, "AccessDenied")
    p1 = s3.upload_part(
        Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=first, **sse_c(KEY_A)
    )
    s3.put_object(Bucket=bucket, Key="src", Body=second)
    p2 = s3.upload_part_copy(
        Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=2,
        CopySource={"Bucket": bucket, "Key": "src"}, **sse_c(KEY_A),
    )  # fmt: skip
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)["Parts"]
    assert [p["Size"] for p in parts] == [part_size, 1000]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload_id,
        MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": p1["ETag"]},
            {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]},
        ]},
    )  # fmt: skip
    assert done["ETag"].endswith('-2"')
    got = s3.get_object(Bucket=bucket, Key="mp", **sse_c(KEY_A))
    assert got["ContentLength"] == part_size + 1000
    assert got["Body"].read() == first + second
    ranged = s3.get_object(
        Bucket=bucket, Key="mp", Range=f"bytes={part_size - 5}-{part_size + 4}", **sse_c(KEY_A)
    )
    assert ranged["Body"].read() == (first + second)[part_size - 5 : part_size + 5]
    part2 = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2, **sse_c(KEY_A))
    assert part2["Body"].read() == second


# -- SSE-KMS -------------------------------------------------------------------------------


def test_sse_kms_with_a_key_of_the_key_service(s3: Any, kms: Any, bucket: str) -> None:
    key = kms.create_key(Description="sse test")["KeyMetadata"]
    put = s3.put_object(
        Bucket=bucket, Key="k", Body=b"kms data", ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key["KeyId"],
    )  # fmt: skip
    assert put["ServerSideEncryption"] == "aws:kms"
    assert put["SSEKMSKeyId"] == key["Arn"]
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"kms data"
    assert got["SSEKMSKeyId"] == key["Arn"]

    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        s3.put_object(
            Bucket=bucket, Key="k2", Body=b"x", ServerSideEncryption="aws:kms",
            SSEKMSKeyId=key["KeyId"],
        )  # fmt: skip
    assert error(exc) == (400, "KMS.DisabledException")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")
    assert error(exc) == (400, "KMS.DisabledException")
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"kms data"

    with pytest.raises(ClientError) as exc:
        s3.put_object(
            Bucket=bucket, Key="k3", Body=b"x", ServerSideEncryption="aws:kms",
            SSEKMSKeyId="11111111-2222-3333-4444-555555555555",
        )  # fmt: skip
    assert error(exc) == (400, "KMS.NotFoundException")

    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")
    assert error(exc) == (400, "KMS.KMSInvalidStateException")


def test_sse_kms_default_key_and_bucket_default(s3: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"managed", ServerSideEncryption="aws:kms")
    assert put["SSEKMSKeyId"].startswith("arn:aws:kms:us-east-1:")
    config = {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
                "BucketKeyEnabled": True,
            }
        ]
    }
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=config)
    put = s3.put_object(Bucket=bucket, Key="d", Body=b"by default")
    assert put["ServerSideEncryption"] == "aws:kms"
    assert put["BucketKeyEnabled"] is True
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == b"by default"


def test_aws_cli_copies_sse_c_and_sse_kms_files_both_ways(
    server: FerryServer, s3: Any, bucket: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "customer.key"
    key_file.write_bytes(KEY_A)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(20 * 1024 * 1024))  # multipart upload, ranged download
    sse_c_args = ("--sse-c", "AES256", "--sse-c-key", f"fileb://{key_file}")
    run_aws(server, "s3", "cp", str(big), f"s3://{bucket}/big", *sse_c_args)
    back = tmp_path / "back.bin"
    run_aws(server, "s3", "cp", f"s3://{bucket}/big", str(back), *sse_c_args)
    assert back.read_bytes() == big.read_bytes()
    head = s3.head_object(Bucket=bucket, Key="big", **sse_c(KEY_A))
    assert head["ContentLength"] == 20 * 1024 * 1024

    run_aws(server, "s3", "cp", str(big), f"s3://{bucket}/kms", "--sse", "aws:kms")
    run_aws(server, "s3", "cp", f"s3://{bucket}/kms", str(back))
    assert back.read_bytes() == big.read_bytes()
    assert s3.head_object(Bucket=bucket, Key="kms")["ServerSideEncryption"] == "aws:kms"


def test_sse_header_on_a_read_is_refused_as_aws_does(s3: Any, bucket: str) -> None:
    """AWS answers 400 to x-amz-server-side-encryption on GET/HEAD (only SSE-C's key headers
    belong on reads); Ferry refuses it rather than ignore it."""
    s3.put_object(Bucket=bucket, Key="enc", Body=b"x", ServerSideEncryption="AES256")

    def add(params: Any, **_: Any) -> None:
        params["headers"]["x-amz-server-side-encryption"] = "AES256"

    for event in ("before-call.s3.HeadObject", "before-call.s3.GetObject"):
        s3.meta.events.register(event, add)
    try:
        with pytest.raises(ClientError) as head:
            s3.head_object(Bucket=bucket, Key="enc")
        assert head.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        with pytest.raises(ClientError) as get:
            s3.get_object(Bucket=bucket, Key="enc")
        assert get.value.response["Error"]["Code"] == "InvalidArgument"
    finally:
        for event in ("before-call.s3.HeadObject", "before-call.s3.GetObject"):
            s3.meta.events.unregister(event, add)
    assert s3.get_object(Bucket=bucket, Key="enc")["Body"].read() == b"x"
