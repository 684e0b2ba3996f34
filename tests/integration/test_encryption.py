"""SSE on the object handlers and Put/Get/DeleteBucketEncryption, in-process."""

from __future__ import annotations

import base64
import hashlib

from tests.integration.s3 import S3, error_of, parse_xml

KEY = bytes(range(32))
SSE_C = {
    "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": base64.b64encode(KEY).decode(),
    "x-amz-server-side-encryption-customer-key-MD5": base64.b64encode(
        hashlib.md5(KEY).digest()
    ).decode(),
}
AES256_RULE = (
    b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
    b"<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>"
    b"</Rule></ServerSideEncryptionConfiguration>"
)
ENCRYPTION = {"encryption": None}


async def test_put_get_delete_bucket_encryption(s3: S3, bucket: str) -> None:
    missing = await s3.get(f"/{bucket}", query=ENCRYPTION)
    error_of(missing, 404, "ServerSideEncryptionConfigurationNotFoundError")
    assert (await s3.put(f"/{bucket}", AES256_RULE, query=ENCRYPTION)).status_code == 200
    got = await s3.get(f"/{bucket}", query=ENCRYPTION)
    root = parse_xml(got)
    assert root.findtext("Rule/ApplyServerSideEncryptionByDefault/SSEAlgorithm") == "AES256"
    assert root.findtext("Rule/BucketKeyEnabled") == "false"
    assert (await s3.delete(f"/{bucket}", query=ENCRYPTION)).status_code == 204
    error_of(
        await s3.get(f"/{bucket}", query=ENCRYPTION),
        404,
        "ServerSideEncryptionConfigurationNotFoundError",
    )


async def test_bucket_encryption_of_a_missing_bucket_is_no_such_bucket(s3: S3) -> None:
    error_of(await s3.put("/nope", AES256_RULE, query=ENCRYPTION), 404, "NoSuchBucket")


async def test_put_object_with_sse_s3_answers_its_headers(s3: S3, bucket: str) -> None:
    put = await s3.put(f"/{bucket}/k", b"data", headers={"x-amz-server-side-encryption": "AES256"})
    assert put.headers["x-amz-server-side-encryption"] == "AES256"
    got = await s3.get(f"/{bucket}/k")
    assert got.content == b"data"
    assert got.headers["x-amz-server-side-encryption"] == "AES256"
    head = await s3.head(f"/{bucket}/k")
    assert head.headers["content-length"] == "4"


async def test_sse_c_object_without_its_key_is_refused_with_aws_message(
    s3: S3, bucket: str
) -> None:
    await s3.put(f"/{bucket}/k", b"secret", headers=SSE_C)
    refused = error_of(await s3.get(f"/{bucket}/k"), 400, "InvalidRequest")
    assert refused.findtext("Message") == (
        "The object was stored using a form of Server Side Encryption. The correct parameters "
        "must be provided to retrieve the object."
    )
    other = bytes(32)
    wrong = {
        **SSE_C,
        "x-amz-server-side-encryption-customer-key": base64.b64encode(other).decode(),
        "x-amz-server-side-encryption-customer-key-MD5": base64.b64encode(
            hashlib.md5(other).digest()
        ).decode(),
    }
    error_of(await s3.get(f"/{bucket}/k", headers=wrong), 403, "AccessDenied")
    got = await s3.get(f"/{bucket}/k", headers=SSE_C)
    assert got.content == b"secret"
    assert (
        got.headers["x-amz-server-side-encryption-customer-key-md5"]
        == (SSE_C["x-amz-server-side-encryption-customer-key-MD5"])
    )


async def test_refused_sse_c_put_stores_nothing(s3: S3, bucket: str) -> None:
    bad_md5 = {**SSE_C, "x-amz-server-side-encryption-customer-key-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="}
    refused = error_of(await s3.put(f"/{bucket}/k", b"x", headers=bad_md5), 400, "InvalidArgument")
    assert refused.findtext("Message") == (
        "The calculated MD5 hash of the key did not match the hash that was provided."
    )
    assert KEY.hex() not in refused.findtext("Message", "")
    assert (await s3.head(f"/{bucket}/k")).status_code == 404


async def test_unknown_kms_key_is_kms_not_found(s3: S3, bucket: str) -> None:
    headers = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": "alias/missing",
    }
    error_of(await s3.put(f"/{bucket}/k", b"x", headers=headers), 400, "KMS.NotFoundException")
