"""Object bodies on their way in, checked against everything the client declared.

`RequestBody` is the `Payload` PutObject and UploadPart hand to the store: iterating it yields
the decoded bytes (plain, or aws-chunked with chunk signatures verified); `update` hashes what
the store wrote; `finish` compares the hashes and length with Content-MD5, x-amz-checksum-*
(header or trailer), x-amz-content-sha256 and Content-Length, raising before any commit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass

from ferry.api.auth import Authenticated
from ferry.api.http import Request
from ferry.protocol.checksums import (
    CHECKSUM_HEADER_PREFIX,
    CHECKSUM_HEADERS,
    Checksum,
    ChecksumAlgorithm,
    algorithm_for_header,
    decode_checksum,
    parse_checksum_algorithm,
)
from ferry.protocol.chunked import AwsChunkedDecoder
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.sigv4 import PayloadMode
from ferry.store.blobs import PayloadDigest

# S3 checksums every new object, CRC64NVME when the client names no algorithm (since 2025).
DEFAULT_CHECKSUM_ALGORITHM = ChecksumAlgorithm.CRC64NVME
_C = S3ErrorCode
_BY_HEADER = {a.header: a for a in ChecksumAlgorithm}
# x-amz-checksum-* names that are not a checksum value
_CHECKSUM_NAMES = frozenset(
    {*CHECKSUM_HEADERS, "x-amz-checksum-type", "x-amz-checksum-mode", "x-amz-checksum-algorithm"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredChecksum:
    """The object checksum a request announces: its value in a header, or in a trailer."""

    algorithm: ChecksumAlgorithm
    value: str | None  # base64, None until the trailer arrives
    in_trailer: bool


def validate_checksum_value(
    algorithm: ChecksumAlgorithm, value: str, *, trailing: bool = False
) -> bytes:
    """The raw digest in a declared checksum, or AWS's InvalidRequest for a malformed one."""
    raw = decode_checksum(algorithm, value)
    if raw is None:
        where = "trailing header" if trailing else "header"
        raise S3Error(_C.InvalidRequest, f"Value for {algorithm.header} {where} is invalid.")
    return raw


def declared_checksum(headers: Mapping[str, str]) -> DeclaredChecksum | None:
    """Read x-amz-checksum-*, x-amz-trailer and x-amz-sdk-checksum-algorithm, up front. A
    checksum of an algorithm Ferry does not compute (x-amz-checksum-sha512, -md5, -xxhash*)
    is refused, never accepted unverified."""
    for name in headers:
        if name.startswith(CHECKSUM_HEADER_PREFIX) and name not in _CHECKSUM_NAMES:
            raise S3Error(
                _C.NotImplemented,
                "A header you provided implies functionality that is not implemented",
                Header=name,
            )
    in_headers = [_BY_HEADER[name] for name in CHECKSUM_HEADERS if name in headers]
    trailer = headers.get("x-amz-trailer")
    if trailer is not None:
        trailer_algorithm = algorithm_for_header(trailer.strip())
        if trailer_algorithm is None:
            raise S3Error(
                _C.InvalidRequest,
                "The value specified in the x-amz-trailer header is not supported",
            )
        in_headers.append(trailer_algorithm)
    if len(in_headers) > 1:
        raise S3Error(
            _C.InvalidRequest,
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        )
    sdk_name = headers.get("x-amz-sdk-checksum-algorithm")
    sdk = parse_checksum_algorithm(sdk_name) if sdk_name is not None else None
    if sdk_name is not None and sdk is None:
        raise S3Error(
            _C.InvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid."
        )
    if not in_headers:
        if sdk is not None:
            raise S3Error(
                _C.InvalidRequest,
                "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* "
                "or x-amz-trailer headers were found.",
            )
        return None
    algorithm = in_headers[0]
    if sdk is not None and sdk is not algorithm:
        raise S3Error(
            _C.InvalidRequest,
            f"Checksum Type mismatch occurred, expected checksum Type: {sdk.value.lower()}, "
            f"actual checksum Type: {algorithm.value.lower()}",
        )
    if trailer is not None:
        return DeclaredChecksum(algorithm=algorithm, value=None, in_trailer=True)
    value = headers[algorithm.header]
    validate_checksum_value(algorithm, value)
    return DeclaredChecksum(algorithm=algorithm, value=value, in_trailer=False)


def _parse_length(value: str | None) -> int:
    if value is None:
        raise S3Error(_C.MissingContentLength)
    value = value.strip()
    if not value.isascii() or not value.isdigit():
        raise S3Error(_C.InvalidArgument, f"Invalid content length: {value}")
    return int(value)


def _parse_content_md5(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        raise S3Error(_C.InvalidDigest, "The Content-MD5 you specified was invalid.")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class RequestBody:
    """The body of a PutObject/UploadPart request as a store `Payload`.

    `update` may run on a worker thread: it touches only the hash objects and a counter.
    """

    __slots__ = (
        "_auth",
        "_checksum",
        "_chunked",
        "_complete",
        "_content_md5",
        "_declared",
        "_decoder",
        "_expected_size",
        "_md5",
        "_request",
        "_sha256",
        "_size",
    )

    def __init__(
        self,
        request: Request,
        auth: Authenticated,
        *,
        default_algorithm: ChecksumAlgorithm | None = DEFAULT_CHECKSUM_ALGORITHM,
    ) -> None:
        headers = request.headers
        mode = auth.payload_mode
        self._request = request
        self._auth = auth
        self._chunked = mode.is_streaming or "aws-chunked" in headers.get("content-encoding", "")
        self._declared = declared_checksum(headers)
        if self._declared is not None and self._declared.in_trailer and not self._chunked:
            raise S3Error(_C.InvalidRequest, "x-amz-trailer requires an aws-chunked body.")
        length_header = "x-amz-decoded-content-length" if self._chunked else "content-length"
        self._expected_size = _parse_length(headers.get(length_header))
        self._content_md5 = _parse_content_md5(headers.get("content-md5"))
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha256 = hashlib.sha256() if mode is PayloadMode.SHA256 else None
        algorithm = self._declared.algorithm if self._declared else default_algorithm
        self._checksum = Checksum(algorithm) if algorithm is not None else None
        self._decoder: AwsChunkedDecoder | None = None
        self._size = 0
        self._complete = False

    @property
    def declared_size(self) -> int:
        """The body's length as declared (Content-Length, or x-amz-decoded-content-length)."""
        return self._expected_size

    @property
    def trailers(self) -> Mapping[str, str]:
        """Trailing headers of an aws-chunked body, once it has been read."""
        return self._decoder.trailers if self._decoder is not None else {}

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        source: AsyncIterator[bytes] = self._request.stream()
        if self._chunked:
            mode = self._auth.payload_mode
            signer = self._auth.streaming_signer if mode.is_signed_streaming else None
            if mode.is_signed_streaming and signer is None:
                raise S3Error(_C.SignatureDoesNotMatch)
            has_trailer = mode.has_trailer or bool(self._declared and self._declared.in_trailer)
            self._decoder = AwsChunkedDecoder(
                source, signer=signer, has_trailer=has_trailer, decoded_length=self._expected_size
            )
            source = aiter(self._decoder)
        async for chunk in source:
            yield chunk
        self._complete = True

    def update(self, chunk: bytes) -> None:
        self._size += len(chunk)
        self._md5.update(chunk)
        if self._sha256 is not None:
            self._sha256.update(chunk)
        if self._checksum is not None:
            self._checksum.update(chunk)

    def finish(self) -> PayloadDigest:
        if not self._complete or self._size != self._expected_size:
            raise S3Error(_C.IncompleteBody)
        if self._sha256 is not None:
            computed = self._sha256.hexdigest()
            if computed != self._auth.content_sha256:
                raise S3Error(
                    _C.XAmzContentSHA256Mismatch,
                    ClientComputedContentSHA256=self._auth.content_sha256 or "",
                    S3ComputedContentSHA256=computed,
                )
        md5 = self._md5.digest()
        if self._content_md5 is not None and md5 != self._content_md5:
            raise S3Error(
                _C.BadDigest,
                "The Content-MD5 you specified did not match what we received.",
                ExpectedDigest=_b64(self._content_md5),
                CalculatedDigest=_b64(md5),
            )
        checksum = self._verify_checksum()
        return PayloadDigest(
            size=self._size,
            md5_hex=md5.hex(),
            checksum_algorithm=checksum.algorithm.value if checksum else None,
            checksum_value=checksum.b64() if checksum else None,
        )

    def _verify_checksum(self) -> Checksum | None:
        checksum, declared = self._checksum, self._declared
        if checksum is None or declared is None:
            return checksum
        algorithm = declared.algorithm
        value = declared.value
        if declared.in_trailer:
            value = self.trailers.get(algorithm.header)
            if value is None:
                raise S3Error(
                    _C.InvalidRequest,
                    f"The trailing header {algorithm.header} named in x-amz-trailer was not sent.",
                )
            validate_checksum_value(algorithm, value, trailing=True)
        if checksum.b64() != value:
            raise S3Error(
                _C.BadDigest,
                f"The {algorithm.value} you specified did not match the calculated checksum.",
            )
        return checksum


class BytesPayload:
    """A `Payload` with nothing declared to verify: for internal writers (copy) and tests."""

    __slots__ = ("_checksum", "_md5", "_size", "_source")

    def __init__(
        self,
        source: AsyncIterator[bytes] | bytes,
        *,
        checksum_algorithm: ChecksumAlgorithm | None = DEFAULT_CHECKSUM_ALGORITHM,
    ) -> None:
        self._source = source
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._checksum = Checksum(checksum_algorithm) if checksum_algorithm else None
        self._size = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        if isinstance(self._source, bytes):
            if self._source:
                yield self._source
            return
        async for chunk in self._source:
            yield chunk

    def update(self, chunk: bytes) -> None:
        self._size += len(chunk)
        self._md5.update(chunk)
        if self._checksum is not None:
            self._checksum.update(chunk)

    def finish(self) -> PayloadDigest:
        checksum = self._checksum
        return PayloadDigest(
            size=self._size,
            md5_hex=self._md5.hexdigest(),
            checksum_algorithm=checksum.algorithm.value if checksum else None,
            checksum_value=checksum.b64() if checksum else None,
        )


def verify_required_checksum(headers: Mapping[str, str], body: bytes) -> None:
    """For operations S3 marks `requestChecksumRequired` (PutBucketReplication…): the whole
    body must come with Content-MD5 or an x-amz-checksum-* header, and match it."""
    declared = declared_checksum(headers)
    if "content-md5" not in headers and (declared is None or declared.value is None):
        raise S3Error(_C.InvalidRequest, "Missing required header for this request: Content-MD5")
    verify_declared_checksums(headers, body)


def verify_declared_checksums(headers: Mapping[str, str], body: bytes) -> None:
    """A small body read whole (a configuration document) against the Content-MD5 and
    x-amz-checksum-* its request declares, if any: `Request.read_body` runs it for S3."""
    content_md5 = _parse_content_md5(headers.get("content-md5"))
    declared = declared_checksum(headers)
    if content_md5 is not None and hashlib.md5(body, usedforsecurity=False).digest() != content_md5:
        raise S3Error(_C.BadDigest, "The Content-MD5 you specified did not match what we received.")
    if declared is not None and declared.value is not None:
        checksum = Checksum(declared.algorithm)
        checksum.update(body)
        if checksum.b64() != declared.value:
            raise S3Error(
                _C.BadDigest,
                f"The {declared.algorithm.value} you specified did not match the calculated "
                "checksum.",
            )


class FormFilePayload:
    """The file of a POST Object form as a store `Payload`: its length is known only at its
    end, so `check_length(size, final)` (the policy's content-length-range) runs as it
    streams; Content-MD5 and x-amz-checksum-* fields are verified as RequestBody does."""

    __slots__ = ("_check_length", "_checksum", "_content_md5", "_declared", "_md5", "_size",
                 "_source")  # fmt: skip

    def __init__(
        self,
        source: AsyncIterator[bytes],
        fields: Mapping[str, str],
        check_length: Callable[[int, bool], None],
    ) -> None:
        self._source = source
        self._declared = declared_checksum(fields)
        if self._declared is not None and self._declared.in_trailer:
            raise S3Error(_C.InvalidRequest, "x-amz-trailer requires an aws-chunked body.")
        self._content_md5 = _parse_content_md5(fields.get("content-md5"))
        self._md5 = hashlib.md5(usedforsecurity=False)
        algorithm = self._declared.algorithm if self._declared else DEFAULT_CHECKSUM_ALGORITHM
        self._checksum = Checksum(algorithm)
        self._check_length = check_length
        self._size = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in self._source:
            received += len(chunk)
            self._check_length(received, False)
            yield chunk
        self._check_length(received, True)

    def update(self, chunk: bytes) -> None:
        self._size += len(chunk)
        self._md5.update(chunk)
        self._checksum.update(chunk)

    def finish(self) -> PayloadDigest:
        md5 = self._md5.digest()
        if self._content_md5 is not None and md5 != self._content_md5:
            raise S3Error(
                _C.BadDigest,
                "The Content-MD5 you specified did not match what we received.",
                ExpectedDigest=_b64(self._content_md5),
                CalculatedDigest=_b64(md5),
            )
        declared = self._declared
        if declared is not None and self._checksum.b64() != declared.value:
            raise S3Error(
                _C.BadDigest,
                f"The {declared.algorithm.value} you specified did not match the calculated "
                "checksum.",
            )
        return PayloadDigest(
            size=self._size,
            md5_hex=md5.hex(),
            checksum_algorithm=self._checksum.algorithm.value,
            checksum_value=self._checksum.b64(),
        )
