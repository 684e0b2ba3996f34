"""Payloads that encrypt on their way to the blob store (which never sees plaintext).

`SealingPayload` wraps the `Payload` a handler built (the request body, with everything the
client declared): iterating it yields the sealed stream of crypto/frames.py, while the wrapped
payload still hashes and verifies the plaintext — so size, Content-MD5, x-amz-checksum-* and
the ETag are all about the plaintext, and `finish` raises before anything is committed.
Sealing and hashing run together in a worker thread, a batch at a time, off the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
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
    """Encrypts `inner` under `data_key`; `update` sees ciphertext and ignores it."""

    def __init__(
        self,
        inner: Payload,
        data_key: bytes,
        *,
        frame_bytes: int = FRAME_PLAINTEXT_BYTES,
        etag_of: EtagOf | None = None,
    ) -> None:
        self._inner = inner
        self._sealer = FrameSealer(data_key, frame_bytes=frame_bytes)
        self._etag_of = etag_of

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
            frames += self._sealer.push(chunk)
        if last:
            frames.append(self._sealer.finish())
        return b"".join(frames)

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
