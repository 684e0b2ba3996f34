"""The request pipeline (`api/app.py`): errors, authentication, Ferry endpoints, bodies."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from pathlib import Path

import httpx

from ferry.config import RegionConfig, RootCredentials
from ferry.core.secret import Secret
from ferry.region import Region, build_region
from tests.integration.s3 import ACCESS_KEY, S3, error_of, parse_xml

LARGE = b"0123456789abcdef" * 8192  # 128 KiB: written to a blob file, not inline
STREAMING_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


def blob_files(region: Region) -> list[Path]:
    return [p for p in (region.config.data_dir / "blobs").rglob("*") if p.is_file()]


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def aws_chunked(pieces: list[bytes], trailers: dict[str, str]) -> bytes:
    """An unsigned aws-chunked body: `<hex size>\\r\\n<data>\\r\\n` … `0\\r\\n`, trailers, CRLF."""
    framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
    trailer = "".join(f"{name}:{value}\r\n" for name, value in trailers.items())
    return framed + b"0\r\n" + trailer.encode() + b"\r\n"


def chunked_headers(decoded_length: int) -> dict[str, str]:
    return {
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(decoded_length),
        "x-amz-trailer": "x-amz-checksum-crc32",
    }


# ---- error responses


async def test_error_response_has_code_message_resource_and_request_id(s3: S3) -> None:
    response = await s3.get("/missing-bucket/some/key")

    root = error_of(response, 404, "NoSuchBucket")
    assert [child.tag for child in root][:2] == ["Code", "Message"]
    assert root.findtext("Message")
    assert root.findtext("Resource") == "/missing-bucket/some/key"
    assert root.findtext("RequestId") == response.headers["x-amz-request-id"]
    assert root.findtext("BucketName") == "missing-bucket"


async def test_each_request_gets_its_own_request_id(s3: S3) -> None:
    first, second = await s3.get("/"), await s3.get("/")
    assert first.headers["x-amz-request-id"] != second.headers["x-amz-request-id"]


async def test_head_error_response_has_no_body(s3: S3, bucket: str) -> None:
    for path in (f"/{bucket}/missing", "/missing-bucket"):
        response = await s3.head(path)
        assert response.status_code == 404
        assert response.content == b""
        assert "x-amz-request-id" in response.headers


async def test_head_with_bad_signature_is_403_without_body(s3: S3, http: httpx.AsyncClient) -> None:
    wrong = S3(http, secret_key="not-the-secret")
    response = await wrong.head("/")
    assert response.status_code == 403
    assert response.content == b""


# ---- authentication


async def test_anonymous_request_is_access_denied(s3: S3, bucket: str) -> None:
    error_of(await s3.request("GET", "/", signed=False), 403, "AccessDenied")
    response = await s3.request("PUT", f"/{bucket}/k", body=b"data", signed=False)
    error_of(response, 403, "AccessDenied")
    error_of(await s3.get(f"/{bucket}/k"), 404, "NoSuchKey")


async def test_wrong_secret_is_signature_does_not_match(http: httpx.AsyncClient) -> None:
    wrong = S3(http, secret_key="not-the-secret")

    root = error_of(await wrong.get("/"), 403, "SignatureDoesNotMatch")

    assert root.findtext("AWSAccessKeyId") == ACCESS_KEY
    assert root.findtext("StringToSign", "").startswith("AWS4-HMAC-SHA256\n")


async def test_unknown_access_key_is_invalid_access_key_id(http: httpx.AsyncClient) -> None:
    stranger = S3(http, access_key="AKIANOBODY0000000000")
    error_of(await stranger.get("/"), 403, "InvalidAccessKeyId")


async def test_request_altered_after_signing_is_signature_does_not_match(
    s3: S3, bucket: str
) -> None:
    signed = await s3.get(f"/{bucket}", query={"prefix": "a"})
    assert signed.status_code == 200
    request = signed.request
    url = request.url.copy_with(query=b"prefix=b")
    tampered = await s3.http.request("GET", url, headers=request.headers)
    error_of(tampered, 403, "SignatureDoesNotMatch")


# ---- Ferry endpoints


async def test_health_is_ok_json_once_started(s3: S3) -> None:
    response = await s3.request("GET", "/_ferry/health", signed=False)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.content) == {"status": "ok", "region": "us-east-1"}


async def test_health_is_503_before_start_up(tmp_path: Path) -> None:
    root = RootCredentials(
        access_key=ACCESS_KEY, secret_key=Secret("s"), account_id="1", defaulted=False
    )
    region = build_region(RegionConfig(name="us-east-1", data_dir=tmp_path / "cold"), root)
    try:
        transport = httpx.ASGITransport(app=region.app)  # runs no lifespan
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            response = await http.get("/_ferry/health")
        assert response.status_code == 503
    finally:
        region.db.close()


async def test_unknown_ferry_endpoint_is_not_implemented(s3: S3) -> None:
    root = error_of(await s3.request("GET", "/_ferry/x", signed=False), 501, "NotImplemented")
    assert root.findtext("Resource") == "/_ferry/x"


# ---- request bodies


async def test_aws_chunked_upload_with_crc32_trailer_is_stored(s3: S3, bucket: str) -> None:
    pieces = [LARGE[:70_000], LARGE[70_000:], b"tail"]
    data = b"".join(pieces)
    body = aws_chunked(pieces, {"x-amz-checksum-crc32": crc32_b64(data)})

    response = await s3.request(
        "PUT",
        f"/{bucket}/chunked.bin",
        body=body,
        headers=chunked_headers(len(data)),
        content_sha256=STREAMING_TRAILER,
    )

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert response.headers["x-amz-checksum-crc32"] == crc32_b64(data)
    stored = await s3.get(f"/{bucket}/chunked.bin", headers={"x-amz-checksum-mode": "ENABLED"})
    assert stored.content == data
    assert stored.headers["content-length"] == str(len(data))
    assert "content-encoding" not in stored.headers  # aws-chunked is framing, not an encoding
    assert stored.headers["x-amz-checksum-crc32"] == crc32_b64(data)


async def test_aws_chunked_upload_with_wrong_trailer_checksum_stores_nothing(
    s3: S3, bucket: str, region: Region
) -> None:
    body = aws_chunked([LARGE], {"x-amz-checksum-crc32": crc32_b64(b"something else")})

    response = await s3.request(
        "PUT",
        f"/{bucket}/chunked.bin",
        body=body,
        headers=chunked_headers(len(LARGE)),
        content_sha256=STREAMING_TRAILER,
    )

    error_of(response, 400, "BadDigest")
    error_of(await s3.get(f"/{bucket}/chunked.bin"), 404, "NoSuchKey")
    assert blob_files(region) == []


async def test_tampered_content_sha256_is_mismatch_and_stores_nothing(
    s3: S3, bucket: str, region: Region
) -> None:
    claimed = hashlib.sha256(b"what was signed").hexdigest()

    response = await s3.request("PUT", f"/{bucket}/k", body=LARGE, content_sha256=claimed)

    root = error_of(response, 400, "XAmzContentSHA256Mismatch")
    assert root.findtext("ClientComputedContentSHA256") == claimed
    assert root.findtext("S3ComputedContentSHA256") == hashlib.sha256(LARGE).hexdigest()
    assert "connection" not in response.headers  # the body was read to its end
    error_of(await s3.get(f"/{bucket}/k"), 404, "NoSuchKey")
    listing = parse_xml(await s3.get(f"/{bucket}", query={"list-type": "2"}))
    assert listing.findtext("KeyCount") == "0"
    assert blob_files(region) == []


async def test_error_before_body_is_read_closes_connection(s3: S3) -> None:
    response = await s3.put("/missing-bucket/k", b"unread body")

    error_of(response, 404, "NoSuchBucket")
    assert response.headers["connection"] == "close"


async def test_anonymous_upload_refused_unread_closes_connection(s3: S3, bucket: str) -> None:
    response = await s3.request("PUT", f"/{bucket}/k", body=b"unread body", signed=False)

    error_of(response, 403, "AccessDenied")
    assert response.headers["connection"] == "close"


async def test_success_and_bodiless_errors_keep_connection(s3: S3, bucket: str) -> None:
    assert "connection" not in (await s3.put(f"/{bucket}/k", b"read body")).headers
    assert "connection" not in (await s3.get(f"/{bucket}/missing")).headers


async def test_invalid_uri_with_unread_body_closes_connection(http: httpx.AsyncClient) -> None:
    response = await http.put("/it-bucket/%FF", content=b"unread body")

    error_of(response, 400, "InvalidURI")
    assert response.headers.get("connection") == "close"
