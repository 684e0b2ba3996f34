"""The at-rest format of an encrypted object body: a header, then AES-256-GCM frames.

One *sealed stream* holds the bytes of one PUT, one copy or one multipart part:

    header:  magic "FSF1" (4 bytes) | nonce prefix (8 random bytes)
    frame i: ciphertext of plaintext bytes [i*F, (i+1)*F) ‖ GCM tag (16 bytes)

F is `FRAME_PLAINTEXT_BYTES`; every frame but the last holds exactly F bytes of plaintext and
the last holds 0..F (an empty body is one empty final frame, so that truncation to nothing is
detected too). Frame i's nonce is prefix ‖ i (4 bytes, big-endian): the prefix is fresh for
every stream, so a data key shared by the parts of one multipart upload never sees a nonce
twice. Each frame's associated data binds its index and whether it is the last, so dropping,
reordering, duplicating or splicing frames, or cutting the stream at a frame boundary, all fail
authentication. Sizes are derived, never stored: a plaintext of P bytes is stored in
`sealed_size(P)` bytes, and any plaintext range maps to a run of whole frames
(`frame_span`), so a range read decrypts only the frames it needs.
"""

from __future__ import annotations

import asyncio
import os
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ferry.crypto.errors import DecryptionFailed

FRAME_PLAINTEXT_BYTES = 64 * 1024
TAG_BYTES = 16
MAGIC = b"FSF1"
NONCE_PREFIX_BYTES = 8
HEADER_BYTES = len(MAGIC) + NONCE_PREFIX_BYTES
DATA_KEY_BYTES = 32
MAX_FRAMES = 2**32  # the frame index is 4 bytes of the nonce


def frame_count(plaintext_size: int, frame_bytes: int = FRAME_PLAINTEXT_BYTES) -> int:
    return max(1, -(-plaintext_size // frame_bytes))


def sealed_size(plaintext_size: int, frame_bytes: int = FRAME_PLAINTEXT_BYTES) -> int:
    """Bytes at rest for `plaintext_size` bytes of plaintext."""
    return HEADER_BYTES + plaintext_size + TAG_BYTES * frame_count(plaintext_size, frame_bytes)


def _aad(index: int, final: bool) -> bytes:
    return MAGIC + struct.pack(">Q?", index, final)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameSpan:
    """The frames holding plaintext [start, end) and where they lie in the sealed stream."""

    first: int  # index of the first frame
    last: int  # index of the last frame (inclusive)
    final: int  # index of the stream's final frame
    stored_start: int  # offset of frame `first` in the sealed stream
    stored_end: int  # offset just past frame `last`
    skip: int  # plaintext bytes to drop from the first frame
    take: int  # plaintext bytes to serve in all


def frame_span(
    plaintext_size: int, start: int, end: int, frame_bytes: int = FRAME_PLAINTEXT_BYTES
) -> FrameSpan:
    """The frames to read for plaintext bytes [start, end) of a stream of `plaintext_size`."""
    assert 0 <= start <= end <= plaintext_size
    final = frame_count(plaintext_size, frame_bytes) - 1
    first = min(start // frame_bytes, final)
    last = max(first, min((end - 1) // frame_bytes, final)) if end > start else first
    stored_frame = frame_bytes + TAG_BYTES
    stored_end = HEADER_BYTES + last * stored_frame + TAG_BYTES
    stored_end += min(frame_bytes, plaintext_size - last * frame_bytes)
    return FrameSpan(
        first=first,
        last=last,
        final=final,
        stored_start=HEADER_BYTES + first * stored_frame,
        stored_end=stored_end,
        skip=start - first * frame_bytes,
        take=end - start,
    )


class FrameSealer:
    """Encrypts one stream incrementally: `header()`, then `push()` plaintext, then `finish()`.

    A complete frame is held back until more plaintext arrives, because only then is it known
    not to be the final one."""

    def __init__(
        self, data_key: bytes, *, frame_bytes: int = FRAME_PLAINTEXT_BYTES, prefix: bytes = b""
    ) -> None:
        if len(data_key) != DATA_KEY_BYTES:
            raise ValueError("data keys are 32 bytes")
        self._aead = AESGCM(data_key)
        self._prefix = prefix or os.urandom(NONCE_PREFIX_BYTES)
        assert len(self._prefix) == NONCE_PREFIX_BYTES
        self._frame_bytes = frame_bytes
        self._pending = bytearray()
        self._index = 0

    def header(self) -> bytes:
        return MAGIC + self._prefix

    def push(self, plaintext: bytes) -> list[bytes]:
        """Sealed frames now known not to be final (possibly none)."""
        self._pending += plaintext
        out = []
        size = self._frame_bytes
        # Strictly more than one frame pending: the first is certainly not the last.
        while len(self._pending) > size:
            out.append(self._seal(bytes(self._pending[:size]), final=False))
            del self._pending[:size]
        return out

    def finish(self) -> bytes:
        """The final frame (the remaining plaintext, possibly empty)."""
        frame = self._seal(bytes(self._pending), final=True)
        self._pending.clear()
        return frame

    def _seal(self, plaintext: bytes, *, final: bool) -> bytes:
        if self._index >= MAX_FRAMES:
            raise ValueError("too many frames for one stream")
        index = self._index
        self._index += 1
        return self._aead.encrypt(_nonce(self._prefix, index), plaintext, _aad(index, final))


def parse_header(header: bytes) -> bytes:
    """The nonce prefix of a sealed stream's header; DecryptionFailed if it is not one."""
    if len(header) != HEADER_BYTES or not header.startswith(MAGIC):
        raise DecryptionFailed("The stored object is not an encrypted stream.")
    return header[len(MAGIC) :]


class FrameOpener:
    """Decrypts frames of one stream, given its data key and header."""

    def __init__(self, data_key: bytes, header: bytes) -> None:
        if len(data_key) != DATA_KEY_BYTES:
            raise ValueError("data keys are 32 bytes")
        self._aead = AESGCM(data_key)
        self._prefix = parse_header(header)

    def open(self, index: int, sealed: bytes, *, final: bool) -> bytes:
        try:
            return self._aead.decrypt(_nonce(self._prefix, index), sealed, _aad(index, final))
        except InvalidTag:
            raise DecryptionFailed() from None


async def open_span(
    opener: FrameOpener,
    span: FrameSpan,
    sealed: AsyncIterator[bytes],
    frame_bytes: int = FRAME_PLAINTEXT_BYTES,
) -> AsyncIterator[bytes]:
    """The plaintext of `span`, from the stored bytes [span.stored_start, span.stored_end)."""
    stored_frame = frame_bytes + TAG_BYTES
    buffer = bytearray()
    index = span.first
    skip, remaining = span.skip, span.take

    def frame_length(i: int) -> int:
        if i < span.last:
            return stored_frame
        return span.stored_end - span.stored_start - (span.last - span.first) * stored_frame

    async for chunk in sealed:
        buffer += chunk
        ready: list[tuple[int, bytes]] = []
        while index <= span.last and len(buffer) >= frame_length(index):
            length = frame_length(index)
            ready.append((index, bytes(buffer[:length])))
            del buffer[:length]
            index += 1
        if not ready:
            continue
        # Many frames at once (a whole read chunk): decrypt them off the event loop.
        if len(ready) > 1:
            plains = await asyncio.to_thread(_open_frames, opener, ready, span.final)
        else:
            plains = _open_frames(opener, ready, span.final)
        for plain in plains:
            piece = plain[skip : skip + remaining]
            skip = 0
            remaining -= len(piece)
            if piece:
                yield piece
    if index <= span.last or buffer:
        raise DecryptionFailed("The stored object is shorter or longer than recorded.")


def _open_frames(opener: FrameOpener, frames: list[tuple[int, bytes]], final: int) -> list[bytes]:
    return [opener.open(index, sealed, final=index == final) for index, sealed in frames]
