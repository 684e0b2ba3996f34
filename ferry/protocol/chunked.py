"""Decoding `aws-chunked` request bodies, verifying chunk and trailer signatures on the way.

    signed:    <hex-size>;chunk-signature=<sig>\\r\\n<data>\\r\\n ... 0;chunk-signature=<sig>\\r\\n
    unsigned:  <hex-size>\\r\\n<data>\\r\\n ... 0\\r\\n
    trailers:  then `name:value\\r\\n` lines (x-amz-trailer-signature:<sig> last when signed)
               and an empty line.

Memory stays bounded whatever the client declares: payload is passed on as it arrives and
never gathered into a whole chunk, so a chunk's bytes reach the consumer before its signature
is checked at the chunk's end. That is safe because the consumer commits nothing until the
iteration finishes, and a bad signature raises before it does.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.sigv4 import StreamingSigner, signatures_equal

MAX_LINE_BYTES = 4096  # a chunk header is ~90 bytes, a checksum trailer ~70
MAX_TRAILERS = 16
TRAILER_SIGNATURE = "x-amz-trailer-signature"
_SIGNATURE_PREFIX = b"chunk-signature="
_HEX_DIGITS = b"0123456789abcdefABCDEF"


def _truncated() -> S3Error:
    return S3Error(S3ErrorCode.IncompleteBody, "The request body terminated unexpectedly.")


def _malformed(what: str) -> S3Error:
    return S3Error(S3ErrorCode.InvalidRequest, f"Malformed aws-chunked body: {what}.")


def _bad_signature() -> S3Error:
    return S3Error(S3ErrorCode.SignatureDoesNotMatch)


class _Reader:
    """A cursor over network chunks that never holds more than one chunk plus a partial line."""

    __slots__ = ("_buf", "_pos", "_source")

    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self._buf = b""
        self._pos = 0

    async def _fill(self) -> bool:
        try:
            chunk = await anext(self._source)
        except StopAsyncIteration:
            return False
        rest = self._buf[self._pos :]
        self._buf = rest + chunk if rest else chunk
        self._pos = 0
        return True

    async def line(self, *, last: bool = False) -> bytes | None:
        """The next line without its CRLF; None at a clean end of stream. A `last` line may
        also end at the end of the stream: some clients end the trailer section that way."""
        while True:
            end = self._buf.find(b"\r\n", self._pos)
            if end >= 0:
                if end - self._pos > MAX_LINE_BYTES:
                    raise _malformed("line too long")
                line = self._buf[self._pos : end]
                self._pos = end + 2
                return line
            if len(self._buf) - self._pos > MAX_LINE_BYTES:
                raise _malformed("line too long")
            if not await self._fill():
                if self._pos == len(self._buf):
                    return None
                if not last:
                    raise _truncated()
                line = self._buf[self._pos :]
                self._pos = len(self._buf)
                return line

    async def take(self, limit: int) -> bytes:
        """Up to `limit` buffered bytes (reading more if none are buffered); b"" at the end."""
        if self._pos == len(self._buf) and not await self._fill():
            return b""
        buf, pos = self._buf, self._pos
        if pos == 0 and len(buf) <= limit:
            self._pos = len(buf)
            return buf  # the whole network chunk is payload: hand it on without copying
        piece = buf[pos : pos + limit]
        self._pos = pos + len(piece)
        return piece


def _parse_size(header: bytes, signed: bool) -> tuple[int, str | None]:
    size_text, _, extension = header.partition(b";")
    size_text = size_text.strip()
    # int(x, 16) alone would also take "0x1f", "+1f", "1_f" and spaces.
    if not size_text or len(size_text) > 16 or size_text.strip(_HEX_DIGITS):
        raise _malformed("invalid chunk size")
    size = int(size_text, 16)
    if not signed:
        return size, None
    extension = extension.strip()
    if not extension.startswith(_SIGNATURE_PREFIX):
        raise _bad_signature()
    return size, extension[len(_SIGNATURE_PREFIX) :].decode("latin-1")


class AwsChunkedDecoder:
    """Iterate once for the payload; afterwards `trailers` holds the trailing headers
    (lower-case names) and `decoded_size` the payload length."""

    __slots__ = (
        "_decoded_length",
        "_has_trailer",
        "_signer",
        "_source",
        "decoded_size",
        "trailers",
    )

    def __init__(
        self,
        source: AsyncIterator[bytes],
        *,
        signer: StreamingSigner | None,
        has_trailer: bool,
        decoded_length: int | None,
    ) -> None:
        self._source = source
        self._signer = signer
        self._has_trailer = has_trailer
        self._decoded_length = decoded_length
        self.trailers: dict[str, str] = {}
        self.decoded_size = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._decode()

    async def _decode(self) -> AsyncIterator[bytes]:
        reader = _Reader(self._source)
        signer = self._signer
        previous = signer.seed_signature if signer else ""
        while True:
            header = await reader.line()
            if header is None:
                raise _truncated()
            size, claimed = _parse_size(header, signer is not None)
            self.check_content_length(self.decoded_size + size, final=False)
            digest = hashlib.sha256() if signer else None
            remaining = size
            while remaining:
                piece = await reader.take(remaining)
                if not piece:
                    raise _truncated()
                remaining -= len(piece)
                self.decoded_size += len(piece)
                if digest is not None:
                    digest.update(piece)
                yield piece
            if signer is not None:
                assert digest is not None and claimed is not None
                expected = signer.chunk_signature(previous, digest.hexdigest())
                if not signatures_equal(expected, claimed):
                    raise _bad_signature()
                previous = claimed
            if size == 0:
                break
            end = await reader.line()
            if end is None:
                raise _truncated()
            if end:
                raise _malformed("chunk data longer than its declared size")
        self.check_content_length(self.decoded_size, final=True)
        await self._read_trailers(reader, previous)

    def check_content_length(self, size: int, *, final: bool) -> None:
        expected = self._decoded_length
        if expected is None or (size == expected if final else size <= expected):
            return
        if final:
            raise S3Error(S3ErrorCode.IncompleteBody)
        raise S3Error(
            S3ErrorCode.IncompleteBody,
            "The aws-chunked body is longer than x-amz-decoded-content-length.",
        )

    async def _read_trailers(self, reader: _Reader, previous: str) -> None:
        signer = self._signer if self._has_trailer else None
        canonical: list[str] = []
        signature: str | None = None
        first = True
        while True:
            line = await reader.line(last=True)
            if not line:
                # The final chunk's empty data line and the terminating line look alike;
                # the first is skipped, so both layouts in the wild are accepted.
                if line is not None and first and self._has_trailer:
                    first = False
                    continue
                break
            first = False
            if not self._has_trailer or signature is not None:
                raise _malformed("unexpected data after the final chunk")
            name, colon, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if not colon or not name:
                raise _malformed("invalid trailer")
            if name == TRAILER_SIGNATURE:
                signature = value
                continue
            if len(self.trailers) >= MAX_TRAILERS:
                raise _malformed("too many trailers")
            self.trailers[name] = value
            canonical.append(f"{name}:{value}\n")
        if await reader.take(1):
            raise _malformed("unexpected data after the final chunk")
        if signer is not None:
            body_hash = hashlib.sha256("".join(canonical).encode("latin-1")).hexdigest()
            expected = signer.trailer_signature(previous, body_hash)
            if signature is None or not signatures_equal(expected, signature):
                raise _bad_signature()
