"""SSE request headers → what a write asks for; a version's encryption → response headers."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ferry.api.handlers.sse import is_encryption_requested, parse_sse_request, sse_headers
from ferry.crypto import sse_errors as e
from ferry.crypto.sse import SseRequest
from ferry.store.records import Encryption, EncryptionKind

KEY = bytes(range(32))
SSE_C = {
    "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": base64.b64encode(KEY).decode(),
    "x-amz-server-side-encryption-customer-key-md5": base64.b64encode(
        hashlib.md5(KEY).digest()
    ).decode(),
}
CONTEXT = base64.b64encode(b'{"team": "orders"}').decode()


def test_no_headers_ask_for_nothing() -> None:
    assert parse_sse_request({}) == SseRequest()
    assert not is_encryption_requested({})


def test_kms_request_with_key_context_and_bucket_key() -> None:
    request = parse_sse_request(
        {
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": "alias/orders",
            "x-amz-server-side-encryption-context": CONTEXT,
            "x-amz-server-side-encryption-bucket-key-enabled": "true",
        }
    )
    assert request.kind is EncryptionKind.SSE_KMS
    assert (request.kms_key_id, request.kms_context) == ("alias/orders", CONTEXT)
    assert request.bucket_key_enabled is True


def test_customer_key_request() -> None:
    request = parse_sse_request(SSE_C)
    assert request.customer_key is not None and request.customer_key.key == KEY
    assert is_encryption_requested(SSE_C)


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({"x-amz-server-side-encryption": "AES128"}, e.InvalidEncryptionArgument),
        ({"x-amz-server-side-encryption": "AES256", **SSE_C}, e.InvalidEncryptionArgument),
        ({"x-amz-server-side-encryption-aws-kms-key-id": "k"}, e.InvalidEncryptionArgument),
        (
            {"x-amz-server-side-encryption": "AES256",
             "x-amz-server-side-encryption-aws-kms-key-id": "k"},
            e.InvalidEncryptionArgument,
        ),
        (
            {"x-amz-server-side-encryption": "aws:kms",
             "x-amz-server-side-encryption-context": "bm90IGpzb24="},
            e.InvalidEncryptionArgument,
        ),
        (
            {"x-amz-server-side-encryption": "AES256",
             "x-amz-server-side-encryption-bucket-key-enabled": "yes"},
            e.InvalidEncryptionArgument,
        ),
        (
            {**SSE_C, "x-amz-server-side-encryption-customer-algorithm": "AES128"},
            e.InvalidEncryptionAlgorithm,
        ),
    ],
)  # fmt: skip
def test_contradictory_or_malformed_headers_are_refused(
    headers: dict[str, str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        parse_sse_request(headers)


def test_response_headers_per_kind() -> None:
    kms = Encryption(
        kind=EncryptionKind.SSE_KMS, wrapped_key=b"w", frame_bytes=1, kms_key_arn="arn:k",
        kms_context=CONTEXT, bucket_key_enabled=True,
    )  # fmt: skip
    assert sse_headers(kms) == [
        ("x-amz-server-side-encryption", "aws:kms"),
        ("x-amz-server-side-encryption-aws-kms-key-id", "arn:k"),
        ("x-amz-server-side-encryption-context", CONTEXT),
        ("x-amz-server-side-encryption-bucket-key-enabled", "true"),
    ]
    s3 = Encryption(kind=EncryptionKind.SSE_S3, wrapped_key=b"w", frame_bytes=1)
    assert sse_headers(s3) == [("x-amz-server-side-encryption", "AES256")]
    customer = Encryption(kind=EncryptionKind.SSE_C, wrapped_key=b"w", frame_bytes=1)
    assert sse_headers(customer, "md5") == [
        ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
        ("x-amz-server-side-encryption-customer-key-md5", "md5"),
    ]
    assert sse_headers(None) == []
