"""The at-rest frame format: round trips, every range, and tamper detection."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from ferry.crypto.errors import DecryptionFailed
from ferry.crypto.frames import (
    HEADER_BYTES,
    TAG_BYTES,
    FrameOpener,
    FrameSealer,
    frame_count,
    frame_span,
    open_span,
    sealed_size,
)

FRAME = 16  # small frames make every boundary case cheap
KEY = bytes(range(32))


def seal(plaintext: bytes, pieces: int = 3, key: bytes = KEY) -> bytes:
    sealer = FrameSealer(key, frame_bytes=FRAME)
    out = [sealer.header()]
    step = max(1, len(plaintext) // pieces)
    for i in range(0, len(plaintext), step):
        out += sealer.push(plaintext[i : i + step])
    out.append(sealer.finish())
    return b"".join(out)


async def chunks(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def read(
    stored: bytes, size: int, start: int, end: int, key: bytes = KEY, chunk: int = 7
) -> bytes:
    opener = FrameOpener(key, stored[:HEADER_BYTES])
    span = frame_span(size, start, end, FRAME)
    sealed = stored[span.stored_start : span.stored_end]
    return b"".join([c async for c in open_span(opener, span, chunks(sealed, chunk), FRAME)])


@pytest.mark.parametrize("size", [0, 1, FRAME - 1, FRAME, FRAME + 1, 2 * FRAME, 5 * FRAME + 3])
async def test_round_trip_has_the_derived_size(size: int) -> None:
    plaintext = os.urandom(size)
    stored = seal(plaintext)
    assert len(stored) == sealed_size(size, FRAME)
    assert len(stored) == HEADER_BYTES + size + TAG_BYTES * frame_count(size, FRAME)
    assert await read(stored, size, 0, size) == plaintext


async def test_every_range_decrypts_to_the_same_bytes() -> None:
    size = 3 * FRAME + 5
    plaintext = os.urandom(size)
    stored = seal(plaintext)
    for start in range(size + 1):
        for end in range(start, size + 1):
            assert await read(stored, size, start, end, chunk=5) == plaintext[start:end]


async def test_a_range_reads_only_the_frames_it_needs() -> None:
    span = frame_span(10 * FRAME, FRAME + 2, 2 * FRAME + 1, FRAME)
    assert (span.first, span.last) == (1, 2)
    assert span.stored_end - span.stored_start == 2 * (FRAME + TAG_BYTES)


async def test_ciphertext_does_not_contain_the_plaintext() -> None:
    plaintext = b"MARKER-" * 20
    assert b"MARKER" not in seal(plaintext)


async def test_two_streams_under_one_key_never_share_a_nonce() -> None:
    assert seal(b"same") != seal(b"same")


async def test_flipped_bit_is_detected() -> None:
    stored = bytearray(seal(os.urandom(2 * FRAME)))
    stored[HEADER_BYTES + 3] ^= 1
    with pytest.raises(DecryptionFailed):
        await read(bytes(stored), 2 * FRAME, 0, 2 * FRAME)


async def test_truncation_at_a_frame_boundary_is_detected() -> None:
    plaintext = os.urandom(3 * FRAME)
    stored = seal(plaintext)
    # Pretend the stream held two frames only: frame 1 was sealed as "not final".
    cut = stored[: HEADER_BYTES + 2 * (FRAME + TAG_BYTES)]
    with pytest.raises(DecryptionFailed):
        await read(cut, 2 * FRAME, 0, 2 * FRAME)


async def test_short_stored_stream_is_detected() -> None:
    stored = seal(os.urandom(2 * FRAME))
    opener = FrameOpener(KEY, stored[:HEADER_BYTES])
    span = frame_span(2 * FRAME, 0, 2 * FRAME, FRAME)
    short = stored[span.stored_start : span.stored_end - 1]
    with pytest.raises(DecryptionFailed):
        _ = [c async for c in open_span(opener, span, chunks(short), FRAME)]


async def test_reordered_frames_are_detected() -> None:
    stored = seal(os.urandom(3 * FRAME))
    frame = FRAME + TAG_BYTES
    first = stored[HEADER_BYTES : HEADER_BYTES + frame]
    second = stored[HEADER_BYTES + frame : HEADER_BYTES + 2 * frame]
    swapped = stored[:HEADER_BYTES] + second + first + stored[HEADER_BYTES + 2 * frame :]
    with pytest.raises(DecryptionFailed):
        await read(swapped, 3 * FRAME, 0, 3 * FRAME)


async def test_frames_spliced_from_another_stream_are_detected() -> None:
    one, other = seal(os.urandom(2 * FRAME)), seal(os.urandom(2 * FRAME))
    frame = FRAME + TAG_BYTES
    spliced = one[: HEADER_BYTES + frame] + other[HEADER_BYTES + frame :]
    with pytest.raises(DecryptionFailed):
        await read(spliced, 2 * FRAME, 0, 2 * FRAME)


async def test_another_key_is_detected() -> None:
    stored = seal(b"secret")
    with pytest.raises(DecryptionFailed):
        await read(stored, 6, 0, 6, key=bytes(32))


async def test_empty_stream_truncated_to_its_header_is_detected() -> None:
    stored = seal(b"")
    with pytest.raises(DecryptionFailed):
        await read(stored[:HEADER_BYTES] + b"\0" * TAG_BYTES, 0, 0, 0)


def test_not_a_sealed_stream_header_is_refused() -> None:
    with pytest.raises(DecryptionFailed):
        FrameOpener(KEY, b"x" * HEADER_BYTES)
