from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum, CrtCrc32cChecksum

from ferry.protocol import sigv4
from ferry.protocol.checksums import ChecksumAlgorithm, compute_checksum
from ferry.protocol.chunked import MAX_LINE_BYTES, AwsChunkedDecoder
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.sigv4 import StreamingSigner

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DATE = "20130524T000000Z"
SCOPE = "20130524/us-east-1/s3/aws4_request"
SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
DOC_CHUNK_SIGNATURES = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
]
TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
DOC_TRAILER_CHUNK_SIGNATURES = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
]
DOC_TRAILER_SIGNATURE = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
DOC_PAYLOAD = b"a" * 66560


def doc_signer(seed: str = SEED) -> StreamingSigner:
    key = sigv4.signing_key(SECRET_KEY, "20130524", "us-east-1", "s3")
    return StreamingSigner(key=key, timestamp=DATE, scope=SCOPE, seed_signature=seed)


def doc_body(signatures: list[str], trailer: bytes = b"") -> bytes:
    """The wire body of AWS's examples: 64 KiB and 1 KiB of 'a', then the final chunk."""
    body = f"10000;chunk-signature={signatures[0]}\r\n".encode() + b"a" * 65536 + b"\r\n"
    body += f"400;chunk-signature={signatures[1]}\r\n".encode() + b"a" * 1024 + b"\r\n"
    body += f"0;chunk-signature={signatures[2]}\r\n".encode()
    return body + (trailer or b"\r\n")


DOC_TRAILER = (
    f"x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{DOC_TRAILER_SIGNATURE}\r\n\r\n"
).encode()


async def network(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def decode(
    body: bytes,
    *,
    signer: StreamingSigner | None = None,
    has_trailer: bool = False,
    decoded_length: int | None = None,
    size: int = 65536,
) -> tuple[bytes, AwsChunkedDecoder]:
    decoder = AwsChunkedDecoder(
        network(body, size), signer=signer, has_trailer=has_trailer, decoded_length=decoded_length
    )
    out = bytearray()
    async for piece in decoder:
        assert isinstance(piece, bytes)
        out += piece
    assert decoder.decoded_size == len(out)
    return bytes(out), decoder


async def expect_error(code: S3ErrorCode, body: bytes, **kwargs: Any) -> S3Error:
    with pytest.raises(S3Error) as caught:
        await decode(body, **kwargs)
    assert caught.value.code is code, caught.value.message
    return caught.value


def test_example_chunk_signatures() -> None:
    signer = doc_signer()
    previous = SEED
    for data, expected in zip([b"a" * 65536, b"a" * 1024, b""], DOC_CHUNK_SIGNATURES, strict=True):
        previous = signer.chunk_signature(previous, hashlib.sha256(data).hexdigest())
        assert previous == expected


@pytest.mark.parametrize("size", [1, 7, 89, 4096, 65536, 1 << 20])
async def test_example_streaming_signed_payload(size: int) -> None:
    body = doc_body(DOC_CHUNK_SIGNATURES)
    assert len(body) == 66824  # the example's Content-Length
    payload, decoder = await decode(body, signer=doc_signer(), decoded_length=66560, size=size)
    assert payload == DOC_PAYLOAD
    assert decoder.trailers == {}


@pytest.mark.parametrize("size", [1, 13, 65536, 1 << 20])
async def test_example_streaming_signed_payload_trailer(size: int) -> None:
    body = doc_body(DOC_TRAILER_CHUNK_SIGNATURES, DOC_TRAILER)
    payload, decoder = await decode(
        body, signer=doc_signer(TRAILER_SEED), has_trailer=True, decoded_length=66560, size=size
    )
    assert payload == DOC_PAYLOAD
    assert decoder.trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}


async def test_signed_trailer_after_an_empty_data_line_is_accepted() -> None:
    # Some SDKs terminate the zero-length chunk's (empty) data with CRLF before the trailers.
    body = doc_body(DOC_TRAILER_CHUNK_SIGNATURES, b"\r\n" + DOC_TRAILER)
    _, decoder = await decode(body, signer=doc_signer(TRAILER_SEED), has_trailer=True)
    assert decoder.trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}


async def test_signed_trailer_without_final_crlf_is_accepted() -> None:
    body = doc_body(DOC_TRAILER_CHUNK_SIGNATURES, DOC_TRAILER[:-4])
    _, decoder = await decode(body, signer=doc_signer(TRAILER_SEED), has_trailer=True)
    assert decoder.trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}


async def test_tampered_chunk_fails_signature() -> None:
    body = bytearray(doc_body(DOC_CHUNK_SIGNATURES))
    body[200] = ord("b")  # inside the first chunk's data
    await expect_error(S3ErrorCode.SignatureDoesNotMatch, bytes(body), signer=doc_signer())


async def test_replaced_chunk_signature_fails() -> None:
    signatures = [*DOC_CHUNK_SIGNATURES]
    signatures[2] = "0" * 64
    await expect_error(S3ErrorCode.SignatureDoesNotMatch, doc_body(signatures), signer=doc_signer())


async def test_non_ascii_chunk_signature_fails() -> None:
    body = "3;chunk-signature=é\r\nabc\r\n".encode("latin-1")
    await expect_error(S3ErrorCode.SignatureDoesNotMatch, body, signer=doc_signer())


async def test_missing_chunk_signature_fails() -> None:
    await expect_error(
        S3ErrorCode.SignatureDoesNotMatch, b"3\r\nabc\r\n0\r\n\r\n", signer=doc_signer()
    )


async def test_wrong_seed_fails() -> None:
    body = doc_body(DOC_CHUNK_SIGNATURES)
    await expect_error(S3ErrorCode.SignatureDoesNotMatch, body, signer=doc_signer(TRAILER_SEED))


async def test_tampered_trailer_fails_signature() -> None:
    trailer = DOC_TRAILER.replace(b"sOO8/Q==", b"AAAAAA==")
    body = doc_body(DOC_TRAILER_CHUNK_SIGNATURES, trailer)
    await expect_error(
        S3ErrorCode.SignatureDoesNotMatch, body, signer=doc_signer(TRAILER_SEED), has_trailer=True
    )


async def test_missing_trailer_signature_fails() -> None:
    body = doc_body(DOC_TRAILER_CHUNK_SIGNATURES, b"x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n")
    await expect_error(
        S3ErrorCode.SignatureDoesNotMatch, body, signer=doc_signer(TRAILER_SEED), has_trailer=True
    )


@pytest.mark.parametrize(
    ("checksum_cls", "algorithm"),
    [(Crc32Checksum, ChecksumAlgorithm.CRC32), (CrtCrc32cChecksum, ChecksumAlgorithm.CRC32C)],
)
@pytest.mark.parametrize("data_size", [0, 1, 1 << 20, (1 << 20) + 5])
async def test_botocore_aws_chunked_wrapper_round_trips(
    checksum_cls: type, algorithm: ChecksumAlgorithm, data_size: int
) -> None:
    data = bytes(range(256)) * (data_size // 256) + b"x" * (data_size % 256)
    wrapper = AwsChunkedWrapper(
        io.BytesIO(data), checksum_cls=checksum_cls, checksum_name=algorithm.header
    )
    body = wrapper.read()
    payload, decoder = await decode(body, has_trailer=True, decoded_length=data_size, size=8000)
    assert payload == data
    expected = compute_checksum(algorithm, data)
    assert decoder.trailers == {algorithm.header: base64.b64encode(expected).decode()}


async def test_unsigned_trailer_stream_without_trailers() -> None:
    payload, decoder = await decode(b"3\r\nabc\r\n0\r\n\r\n", has_trailer=True)
    assert payload == b"abc"
    assert decoder.trailers == {}


async def test_unsigned_chunks_ignore_extensions_and_accept_a_missing_final_crlf() -> None:
    payload, _ = await decode(b"3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\n")
    assert payload == b"abc0123456789"


@pytest.mark.parametrize("cut", [0, 5, 100, 65600, 66700, 66740])
async def test_truncated_signed_body_is_incomplete(cut: int) -> None:
    body = doc_body(DOC_CHUNK_SIGNATURES)[:cut]
    await expect_error(S3ErrorCode.IncompleteBody, body, signer=doc_signer())


async def test_truncated_unsigned_body_is_incomplete() -> None:
    await expect_error(S3ErrorCode.IncompleteBody, b"a\r\n01234", has_trailer=True)
    await expect_error(S3ErrorCode.IncompleteBody, b"3\r\nabc\r\n", has_trailer=True)
    await expect_error(S3ErrorCode.IncompleteBody, b"3\r\nabc", has_trailer=True)


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\n",
        b"0x3\r\nabc\r\n0\r\n\r\n",
        b"+3\r\nabc\r\n0\r\n\r\n",
        b"\r\n",
        b"11111111111111111\r\n",
        b"3\r\nabcd\r\n0\r\n\r\n",
        b"1" * (MAX_LINE_BYTES + 1) + b"\r\n",
        b"1" * (MAX_LINE_BYTES + 1),
        b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
        b"0\r\n\r\ngarbage",
    ],
)
async def test_malformed_framing_is_an_invalid_request(body: bytes) -> None:
    await expect_error(S3ErrorCode.InvalidRequest, body)


@pytest.mark.parametrize(
    "trailer",
    [
        b"no-colon-here\r\n\r\n",
        b":value\r\n\r\n",
        b"".join(b"x-amz-meta-%d:v\r\n" % i for i in range(17)) + b"\r\n",
        b"x-amz-checksum-crc32:AAAAAA==\r\n\r\nmore",
    ],
)
async def test_malformed_trailers_are_invalid_requests(trailer: bytes) -> None:
    await expect_error(S3ErrorCode.InvalidRequest, b"0\r\n" + trailer, has_trailer=True)


async def test_trailer_after_the_trailer_signature_is_rejected() -> None:
    trailer = DOC_TRAILER[:-2] + b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    body = doc_body(DOC_TRAILER_CHUNK_SIGNATURES, trailer)
    await expect_error(
        S3ErrorCode.InvalidRequest, body, signer=doc_signer(TRAILER_SEED), has_trailer=True
    )


async def test_body_longer_than_decoded_length_fails_before_reading_it() -> None:
    error = await expect_error(
        S3ErrorCode.IncompleteBody, b"ffffff\r\n" + b"a" * 10, decoded_length=10
    )
    assert "longer than x-amz-decoded-content-length" in error.message


async def test_body_shorter_than_decoded_length_is_incomplete() -> None:
    await expect_error(S3ErrorCode.IncompleteBody, b"3\r\nabc\r\n0\r\n\r\n", decoded_length=4)
