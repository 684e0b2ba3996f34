from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime

import pytest

from ferry.api.auth import ANONYMOUS, Authenticated, authenticate
from ferry.api.body import (
    BytesPayload,
    DeclaredChecksum,
    RequestBody,
    declared_checksum,
    validate_checksum_value,
)
from ferry.api.http import Request
from ferry.core import FakeClock
from ferry.protocol import sigv4
from ferry.protocol.checksums import Checksum, ChecksumAlgorithm, compute_checksum
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.sigv4 import PayloadMode
from ferry.store.blobs import Payload, PayloadDigest

from .builders import (
    ACCESS_KEY,
    PRINCIPAL,
    REGION,
    SECRET_KEY,
    FakeKeys,
    boto3_request,
    build_request,
    from_botocore,
)

C = S3ErrorCode
A = ChecksumAlgorithm
URL = "http://localhost:9000/bucket/key"
UNSIGNED = Authenticated(principal=ANONYMOUS, payload_mode=PayloadMode.UNSIGNED)
UNSIGNED_TRAILER = Authenticated(
    principal=ANONYMOUS, payload_mode=PayloadMode.STREAMING_UNSIGNED_TRAILER
)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


async def store(payload: Payload, *, threaded: bool = False) -> PayloadDigest:
    """What the blob store does: iterate, update every chunk in order, then finish."""
    async for chunk in payload:
        if threaded:
            await asyncio.to_thread(payload.update, chunk)
        else:
            payload.update(chunk)
    return payload.finish()


def plain(
    body: bytes | list[bytes],
    headers: Mapping[str, str] | None = None,
    auth: Authenticated = UNSIGNED,
    default_algorithm: ChecksumAlgorithm | None = A.CRC64NVME,
) -> RequestBody:
    chunks = body if isinstance(body, list) else [body]
    all_headers = {"content-length": str(sum(map(len, chunks)))} | dict(headers or {})
    request = build_request("PUT", URL, all_headers, chunks)
    return RequestBody(request, auth, default_algorithm=default_algorithm)


async def fails(code: S3ErrorCode, payload: Payload) -> S3Error:
    with pytest.raises(S3Error) as caught:
        await store(payload)
    assert caught.value.code is code, caught.value.message
    return caught.value


def fails_now(code: S3ErrorCode, body: bytes, headers: Mapping[str, str]) -> S3Error:
    with pytest.raises(S3Error) as caught:
        plain(body, headers)
    assert caught.value.code is code, caught.value.message
    return caught.value


# ---- plain bodies


async def test_plain_body_digest_defaults_to_crc64nvme() -> None:
    data = b"hello world"
    digest = await store(plain([data[:3], data[3:]]))
    assert digest == PayloadDigest(
        size=11,
        md5_hex=hashlib.md5(data).hexdigest(),
        checksum_algorithm="CRC64NVME",
        checksum_value=b64(compute_checksum(A.CRC64NVME, data)),
    )


async def test_no_default_algorithm_means_no_checksum() -> None:
    digest = await store(plain(b"x", default_algorithm=None))
    assert digest.checksum_algorithm is None
    assert digest.checksum_value is None


async def test_update_may_run_on_a_worker_thread() -> None:
    chunks = [bytes([i]) * 10000 for i in range(20)]
    digest = await store(plain(chunks), threaded=True)
    assert digest.md5_hex == hashlib.md5(b"".join(chunks)).hexdigest()


async def test_empty_body() -> None:
    digest = await store(plain(b""))
    assert digest.size == 0
    assert digest.md5_hex == hashlib.md5(b"").hexdigest()


async def test_content_md5_matches() -> None:
    data = b"payload"
    headers = {"content-md5": b64(hashlib.md5(data).digest())}
    assert (await store(plain(data, headers))).size == len(data)


async def test_content_md5_mismatch_is_bad_digest() -> None:
    headers = {"content-md5": b64(hashlib.md5(b"other").digest())}
    error = await fails(C.BadDigest, plain(b"payload", headers))
    assert error.fields["ExpectedDigest"] == headers["content-md5"]
    assert error.fields["CalculatedDigest"] == b64(hashlib.md5(b"payload").digest())


@pytest.mark.parametrize("value", ["not base64!", b64(b"short"), ""])
def test_invalid_content_md5_is_invalid_digest(value: str) -> None:
    fails_now(C.InvalidDigest, b"x", {"content-md5": value})


@pytest.mark.parametrize("algorithm", list(ChecksumAlgorithm))
async def test_declared_checksum_header_matches(algorithm: ChecksumAlgorithm) -> None:
    data = b"checksummed" * 1000
    value = b64(compute_checksum(algorithm, data))
    digest = await store(plain(data, {algorithm.header: value}))
    assert digest.checksum_algorithm == algorithm.value
    assert digest.checksum_value == value


@pytest.mark.parametrize("algorithm", list(ChecksumAlgorithm))
async def test_declared_checksum_header_mismatch(algorithm: ChecksumAlgorithm) -> None:
    value = b64(compute_checksum(algorithm, b"other"))
    error = await fails(C.BadDigest, plain(b"data", {algorithm.header: value}))
    assert error.message == (
        f"The {algorithm.value} you specified did not match the calculated checksum."
    )


@pytest.mark.parametrize("value", ["AAAA", "!!!!!!==", b64(bytes(8))])
def test_malformed_checksum_header_is_refused_up_front(value: str) -> None:
    error = fails_now(C.InvalidRequest, b"x", {"x-amz-checksum-crc32": value})
    assert error.message == "Value for x-amz-checksum-crc32 header is invalid."


def test_two_checksum_headers_are_refused() -> None:
    headers = {"x-amz-checksum-crc32": b64(bytes(4)), "x-amz-checksum-sha1": b64(bytes(20))}
    error = fails_now(C.InvalidRequest, b"x", headers)
    assert "Multiple checksum Types are not allowed" in error.message


def test_sdk_algorithm_without_a_checksum_is_refused() -> None:
    error = fails_now(C.InvalidRequest, b"x", {"x-amz-sdk-checksum-algorithm": "CRC32"})
    assert error.message.startswith("x-amz-sdk-checksum-algorithm specified, but no")


def test_sdk_algorithm_must_agree_with_the_checksum_header() -> None:
    headers = {"x-amz-sdk-checksum-algorithm": "SHA1", "x-amz-checksum-crc32": b64(bytes(4))}
    error = fails_now(C.InvalidRequest, b"x", headers)
    assert error.message == (
        "Checksum Type mismatch occurred, expected checksum Type: sha1, actual checksum Type: crc32"
    )


def test_unknown_sdk_algorithm_is_refused() -> None:
    fails_now(C.InvalidRequest, b"x", {"x-amz-sdk-checksum-algorithm": "MD5"})


def test_unsupported_trailer_is_refused() -> None:
    fails_now(C.InvalidRequest, b"x", {"x-amz-trailer": "x-amz-meta-foo"})


def test_trailer_needs_an_aws_chunked_body() -> None:
    fails_now(C.InvalidRequest, b"x", {"x-amz-trailer": "x-amz-checksum-crc32"})


def test_declared_checksum_reading() -> None:
    assert declared_checksum({}) is None
    headers = {"x-amz-trailer": "x-amz-checksum-crc32c", "x-amz-sdk-checksum-algorithm": "crc32c"}
    assert declared_checksum(headers) == DeclaredChecksum(
        algorithm=A.CRC32C, value=None, in_trailer=True
    )
    assert validate_checksum_value(A.CRC32C, "sOO8/Q==") == base64.b64decode("sOO8/Q==")


async def test_sha256_payload_matches() -> None:
    data = b"signed payload"
    digest_hex = hashlib.sha256(data).hexdigest()
    auth = Authenticated(
        principal=PRINCIPAL, payload_mode=PayloadMode.SHA256, content_sha256=digest_hex
    )
    assert (await store(plain(data, auth=auth))).size == len(data)


async def test_sha256_payload_mismatch() -> None:
    claimed = hashlib.sha256(b"other").hexdigest()
    auth = Authenticated(
        principal=PRINCIPAL, payload_mode=PayloadMode.SHA256, content_sha256=claimed
    )
    error = await fails(C.XAmzContentSHA256Mismatch, plain(b"data", auth=auth))
    assert error.fields == {
        "ClientComputedContentSHA256": claimed,
        "S3ComputedContentSHA256": hashlib.sha256(b"data").hexdigest(),
    }


async def test_fewer_bytes_than_content_length_is_incomplete() -> None:
    request = build_request("PUT", URL, {"content-length": "10"}, [b"12345"])
    await fails(C.IncompleteBody, RequestBody(request, UNSIGNED))


def test_finish_before_the_body_was_read_is_incomplete() -> None:
    body = plain(b"data")
    with pytest.raises(S3Error) as caught:
        body.finish()
    assert caught.value.code is C.IncompleteBody


def test_missing_content_length() -> None:
    request = build_request("PUT", URL, {}, b"x")
    with pytest.raises(S3Error) as caught:
        RequestBody(request, UNSIGNED)
    assert caught.value.code is C.MissingContentLength
    assert caught.value.status == 411


def test_invalid_content_length() -> None:
    fails_now(C.InvalidArgument, b"x", {"content-length": "-1"})


# ---- aws-chunked bodies

DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_KEYS = FakeKeys({"AKIAIOSFODNN7EXAMPLE": (DOC_SECRET, PRINCIPAL)})
DOC_CLOCK = datetime(2013, 5, 24, 0, 1, tzinfo=UTC)
DOC_URL = "http://s3.amazonaws.com/examplebucket/chunkObject.txt"


def doc_request(seed: str, signatures: list[str], trailer: bytes, network: int) -> Request:
    """AWS's "Transferring Payload in Multiple Chunks" examples (sigv4-streaming.html and
    sigv4-streaming-trailers.html), as the wire delivers them."""
    body = f"10000;chunk-signature={signatures[0]}\r\n".encode() + b"a" * 65536 + b"\r\n"
    body += f"400;chunk-signature={signatures[1]}\r\n".encode() + b"a" * 1024 + b"\r\n"
    body += f"0;chunk-signature={signatures[2]}\r\n".encode() + (trailer or b"\r\n")
    headers = {
        "host": "s3.amazonaws.com",
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "content-length": str(len(body)),
    }
    if trailer:
        # The trailer example signs x-amz-trailer instead of Content-Length.
        headers["x-amz-content-sha256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
        headers["x-amz-trailer"] = "x-amz-checksum-crc32c"
        signed = "content-encoding;host;x-amz-content-sha256;x-amz-date;"
        signed += "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer"
    else:
        headers["x-amz-content-sha256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        signed = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
        signed += "x-amz-decoded-content-length;x-amz-storage-class"
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        f"SignedHeaders={signed},Signature={seed}"
    )
    pieces = [body[i : i + network] for i in range(0, len(body), network)]
    return build_request("PUT", DOC_URL, headers, pieces)


SIGNED = (
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ],
)
SIGNED_TRAILER = (
    "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
    [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ],
)
DOC_TRAILER = (
    b"x-amz-checksum-crc32c:sOO8/Q==\r\n"
    b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
    b"\r\n\r\n"
)


def doc_body(request: Request) -> RequestBody:
    auth = authenticate(request, DOC_KEYS, FakeClock(DOC_CLOCK), "us-east-1")
    return RequestBody(request, auth)


@pytest.mark.parametrize("network", [1000, 65536])
async def test_example_streaming_signed_payload(network: int) -> None:
    body = doc_body(doc_request(*SIGNED, b"", network))
    digest = await store(body)
    assert digest.size == 66560
    assert digest.md5_hex == hashlib.md5(b"a" * 66560).hexdigest()
    assert digest.checksum_algorithm == "CRC64NVME"
    assert body.trailers == {}


@pytest.mark.parametrize("network", [1000, 65536])
async def test_example_streaming_signed_payload_trailer(network: int) -> None:
    body = doc_body(doc_request(*SIGNED_TRAILER, DOC_TRAILER, network))
    digest = await store(body)
    assert digest.size == 66560
    assert digest.checksum_algorithm == "CRC32C"
    assert digest.checksum_value == "sOO8/Q=="
    assert body.trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}


def signed_trailer_request(data: bytes, trailer_value: str, clock: FakeClock) -> Request:
    """A STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER upload signed by our own client helpers."""
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    headers = {
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": "x-amz-checksum-crc32c",
    }
    added = sigv4.sign_headers(
        "PUT", URL, headers, mode, ACCESS_KEY, SECRET_KEY, REGION, clock.now()
    )
    signer = sigv4.StreamingSigner(
        key=sigv4.signing_key(SECRET_KEY, "20260101", REGION, "s3"),
        timestamp=added["x-amz-date"],
        scope=f"20260101/{REGION}/s3/aws4_request",
        seed_signature=added["authorization"].rsplit("Signature=", 1)[1],
    )
    body, previous = b"", signer.seed_signature
    for chunk in (data[:10], data[10:], b""):
        previous = signer.chunk_signature(previous, hashlib.sha256(chunk).hexdigest())
        body += f"{len(chunk):x};chunk-signature={previous}\r\n".encode() + chunk
        body += b"\r\n" if chunk else b""
    trailer = f"x-amz-checksum-crc32c:{trailer_value}\n"
    signature = signer.trailer_signature(previous, hashlib.sha256(trailer.encode()).hexdigest())
    body += f"{trailer[:-1]}\r\nx-amz-trailer-signature:{signature}\r\n\r\n".encode()
    return build_request("PUT", URL, headers | added, [body])


async def test_signed_trailer_checksum_is_verified(clock: FakeClock) -> None:
    data = b"0123456789abcdefghij"
    value = b64(compute_checksum(A.CRC32C, data))
    request = signed_trailer_request(data, value, clock)
    body = RequestBody(request, authenticate(request, FakeKeys(), clock, REGION))
    digest = await store(body)
    assert (digest.checksum_algorithm, digest.checksum_value) == ("CRC32C", value)


async def test_signed_trailer_checksum_mismatch(clock: FakeClock) -> None:
    value = b64(compute_checksum(A.CRC32C, b"other"))
    request = signed_trailer_request(b"0123456789abcdefghij", value, clock)
    body = RequestBody(request, authenticate(request, FakeKeys(), clock, REGION))
    error = await fails(C.BadDigest, body)
    assert error.message == "The CRC32C you specified did not match the calculated checksum."


async def test_tampered_signed_chunk_fails_while_streaming() -> None:
    request = doc_request(*SIGNED, b"", 65536)
    messages = request.receive

    async def receive() -> dict[str, object]:
        message = dict(await messages())
        body = message.get("body", b"")
        assert isinstance(body, bytes)
        message["body"] = body.replace(b"aaaa", b"aaab", 1)
        return message

    request.receive = receive
    await fails(C.SignatureDoesNotMatch, doc_body(request))


async def test_signed_streaming_without_a_signer_is_refused() -> None:
    request = doc_request(*SIGNED, b"", 65536)
    auth = Authenticated(principal=PRINCIPAL, payload_mode=PayloadMode.STREAMING_SIGNED)
    await fails(C.SignatureDoesNotMatch, RequestBody(request, auth))


def test_chunked_body_needs_decoded_content_length() -> None:
    request = build_request("PUT", URL, {"content-encoding": "aws-chunked"}, b"0\r\n\r\n")
    with pytest.raises(S3Error) as caught:
        RequestBody(request, UNSIGNED)
    assert caught.value.code is C.MissingContentLength


def unsigned_trailer_request(
    data: bytes, algorithm: ChecksumAlgorithm, value: str | None
) -> Request:
    trailer = f"{algorithm.header}:{value}\r\n".encode() if value is not None else b""
    body = f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n" + trailer + b"\r\n"
    headers = {
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": algorithm.header,
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    }
    return build_request("PUT", URL, headers, [body])


async def test_unsigned_trailer_checksum_mismatch() -> None:
    value = b64(compute_checksum(A.SHA256, b"other"))
    request = unsigned_trailer_request(b"data", A.SHA256, value)
    error = await fails(C.BadDigest, RequestBody(request, UNSIGNED_TRAILER))
    assert error.message == "The SHA256 you specified did not match the calculated checksum."


async def test_unsigned_trailer_missing() -> None:
    request = unsigned_trailer_request(b"data", A.CRC32, None)
    await fails(C.InvalidRequest, RequestBody(request, UNSIGNED_TRAILER))


async def test_unsigned_trailer_malformed() -> None:
    request = unsigned_trailer_request(b"data", A.CRC32, "nope")
    error = await fails(C.InvalidRequest, RequestBody(request, UNSIGNED_TRAILER))
    assert error.message == "Value for x-amz-checksum-crc32 trailing header is invalid."


async def test_aws_chunked_content_encoding_alone_selects_decoding() -> None:
    data = b"chunk me"
    body = f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n"
    headers = {"content-encoding": "gzip,aws-chunked", "x-amz-decoded-content-length": "8"}
    request = build_request("PUT", URL, headers, [body])
    assert (await store(RequestBody(request, UNSIGNED))).size == 8


# ---- end to end with boto3's own requests


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
async def test_boto3_put_object_over_https_trailer_checksum(
    algorithm: str, real_clock: FakeClock
) -> None:
    data = bytes(range(256)) * 5000
    prepared = boto3_request(
        "https://localhost:8443",
        "put_object",
        Bucket="b",
        Key="k",
        Body=data,
        ChecksumAlgorithm=algorithm,
    )
    request = from_botocore(prepared)
    auth = authenticate(request, FakeKeys(), real_clock, REGION)
    body = RequestBody(request, auth)
    digest = await store(body)
    assert digest.size == len(data)
    assert digest.checksum_algorithm == algorithm
    expected = Checksum(A(algorithm))
    expected.update(data)
    assert digest.checksum_value == expected.b64()


async def test_boto3_put_object_over_http_with_content_md5(real_clock: FakeClock) -> None:
    data = b"md5 and sha256 and crc32"
    prepared = boto3_request(
        "http://127.0.0.1:9000",
        "put_object",
        Bucket="b",
        Key="k",
        Body=data,
        ContentMD5=b64(hashlib.md5(data).digest()),
    )
    request = from_botocore(prepared)
    auth = authenticate(request, FakeKeys(), real_clock, REGION)
    assert auth.payload_mode is PayloadMode.SHA256
    digest = await store(RequestBody(request, auth))
    assert digest.md5_hex == hashlib.md5(data).hexdigest()
    assert digest.checksum_algorithm == "CRC32"  # boto3's default flexible checksum


async def test_boto3_upload_part_body_with_wrong_bytes_fails(real_clock: FakeClock) -> None:
    prepared = boto3_request(
        "http://127.0.0.1:9000",
        "upload_part",
        Bucket="b",
        Key="k",
        UploadId="u",
        PartNumber=1,
        Body=b"original",
    )
    request = from_botocore(prepared, body=b"tampered")
    auth = authenticate(request, FakeKeys(), real_clock, REGION)
    await fails(C.XAmzContentSHA256Mismatch, RequestBody(request, auth))


async def test_signed_request_from_our_client_signer(clock: FakeClock) -> None:
    data = b"from ferry's own client"
    headers = {"content-length": str(len(data))}
    added = sigv4.sign_headers(
        "PUT",
        URL,
        headers,
        hashlib.sha256(data).hexdigest(),
        ACCESS_KEY,
        SECRET_KEY,
        REGION,
        clock.now(),
    )
    request = build_request("PUT", URL, headers | added, [data])
    auth = authenticate(request, FakeKeys(), clock, REGION)
    assert (await store(RequestBody(request, auth))).size == len(data)


# ---- BytesPayload


async def test_bytes_payload_from_bytes() -> None:
    digest = await store(BytesPayload(b"abc"))
    assert digest == PayloadDigest(
        size=3,
        md5_hex=hashlib.md5(b"abc").hexdigest(),
        checksum_algorithm="CRC64NVME",
        checksum_value=b64(compute_checksum(A.CRC64NVME, b"abc")),
    )
    assert (await store(BytesPayload(b""))).size == 0


async def test_bytes_payload_from_an_iterator_without_checksum() -> None:
    async def source() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"c"

    digest = await store(BytesPayload(source(), checksum_algorithm=None))
    assert digest == PayloadDigest(size=3, md5_hex=hashlib.md5(b"abc").hexdigest())


async def test_bytes_payload_with_sha1() -> None:
    digest = await store(BytesPayload(b"abc", checksum_algorithm=A.SHA1))
    assert digest.checksum_value == b64(hashlib.sha1(b"abc").digest())
