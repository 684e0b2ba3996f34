"""Payloads that encrypt on their way to the blob store (which never sees plaintext).

`SealingPayload` wraps the `Payload` a handler built (the request body, with everything the
client declared): iterating it yields the sealed stream of crypto/frames.py, while the wrapped
payload still hashes and verifies the plaintext — so size, Content-MD5, x-amz-checksum-* and
the ETag are all about the plaintext, and `finish` raises before anything is committed.
Sealing and hashing run together in a worker thread, a batch at a time, off the event loop.
A multipart object is one sealed stream per part; a payload that brings a whole multipart
object at once (a replica) names its parts' sizes and is sealed stream by stream.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace

from ferry.crypto.frames import FRAME_PLAINTEXT_BYTES, FrameSealer
from ferry.store import Payload, PayloadDigest

SEAL_BATCH_BYTES = 1024 * 1024
_ETAG_LABEL = b"ferry sse etag v1"

# Turns the plaintext MD5 (hex) into the ETag the version shows.
EtagOf = Callable[[str], str]


def keyed_etag(data_key: bytes) -> EtagOf:
    """An ETag that is not the MD5 of the data (SSE-C, as AWS): an HMAC of that MD5 under the
    object's data key, so it reveals nothing about the plaintext yet stays stable wherever
    the stored object travels, and still has the 32 hex digits multipart ETags combine."""

    def etag(md5_hex: str) -> str:
        mac = hmac.new(data_key, _ETAG_LABEL + bytes.fromhex(md5_hex), hashlib.sha256)
        return mac.hexdigest()[:32]

    return etag


class SealingPayload:
    """Encrypts `inner` under `data_key`; `update` sees ciphertext and ignores it.

    `stream_sizes`: the plaintext sizes of consecutive sealed streams to make (the parts of a
    multipart object); empty: one stream. Bytes beyond their sum go to the last stream, and the
    store's size check then refuses the payload."""

    def __init__(
        self,
        inner: Payload,
        data_key: bytes,
        *,
        frame_bytes: int = FRAME_PLAINTEXT_BYTES,
        etag_of: EtagOf | None = None,
        stream_sizes: Sequence[int] = (),
    ) -> None:
        self._inner = inner
        self._data_key = data_key
        self._frame_bytes = frame_bytes
        self._sealer = FrameSealer(data_key, frame_bytes=frame_bytes)
        self._etag_of = etag_of
        self._next_sizes = list(stream_sizes[1:])
        self._left: int | None = stream_sizes[0] if stream_sizes else None  # None: no limit

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._sealed()

    async def _sealed(self) -> AsyncIterator[bytes]:
        yield self._sealer.header()
        batch: list[bytes] = []
        size = 0
        async for chunk in self._inner:
            batch.append(chunk)
            size += len(chunk)
            if size >= SEAL_BATCH_BYTES:
                sealed = await asyncio.to_thread(self._seal, batch, False)
                batch, size = [], 0
                if sealed:
                    yield sealed
        yield await asyncio.to_thread(self._seal, batch, True)

    def _seal(self, chunks: list[bytes], last: bool) -> bytes:
        frames: list[bytes] = []
        for chunk in chunks:
            self._inner.update(chunk)
            frames += self._push(chunk)
        if last:
            frames.append(self._sealer.finish())
            while self._next_sizes:  # parts the payload never reached (then refused for size)
                frames += self._next_stream()
                frames.append(self._sealer.finish())
        return b"".join(frames)

    def _push(self, chunk: bytes) -> list[bytes]:
        """Seal `chunk`, closing each stream as its part's plaintext is complete."""
        if self._left is None:
            return self._sealer.push(chunk)  # one stream: no boundaries to find
        frames: list[bytes] = []
        view = memoryview(chunk)
        while True:
            while self._left == 0 and self._next_sizes:
                frames.append(self._sealer.finish())
                frames += self._next_stream()
            if not view:
                return frames
            take = len(view)
            if self._next_sizes:  # the last stream takes whatever remains
                take = min(take, self._left)
            frames += self._sealer.push(bytes(view[:take]))
            view = view[take:]
            self._left = max(0, self._left - take)

    def _next_stream(self) -> list[bytes]:
        self._sealer = FrameSealer(self._data_key, frame_bytes=self._frame_bytes)
        self._left = self._next_sizes.pop(0)
        return [self._sealer.header()]

    def update(self, chunk: bytes) -> None:
        """The blob store reports the ciphertext it wrote; the plaintext was hashed already."""

    def finish(self) -> PayloadDigest:
        digest = self._inner.finish()
        if self._etag_of is None:
            return digest
        return replace(digest, md5_hex=self._etag_of(digest.md5_hex))


class PlaintextPayload:
    """Bytes copied from another version (CopyObject, UploadPartCopy): nothing declared, only
    the size and MD5 to compute."""

    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self._md5 = hashlib.md5()
        self._size = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._source

    def update(self, chunk: bytes) -> None:
        self._md5.update(chunk)
        self._size += len(chunk)

    def finish(self) -> PayloadDigest:
        return PayloadDigest(size=self._size, md5_hex=self._md5.hexdigest())
