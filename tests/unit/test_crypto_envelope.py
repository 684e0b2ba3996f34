"""Authenticated wrapping: any change to blob, key or associated data is detected."""

from __future__ import annotations

import pytest

from ferry.crypto import DecryptionFailed, open_sealed, seal

KEY = bytes(range(32))


def test_round_trip() -> None:
    assert open_sealed(KEY, seal(KEY, b"hello", b"ctx"), b"ctx") == b"hello"
    assert open_sealed(KEY, seal(KEY, b"", b""), b"") == b""


def test_every_flipped_bit_is_detected() -> None:
    blob = seal(KEY, b"sixteen byte msg", b"ctx")
    for index in range(len(blob)):
        for bit in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[index] ^= bit
            with pytest.raises(DecryptionFailed):
                open_sealed(KEY, bytes(tampered), b"ctx")


@pytest.mark.parametrize("cut", [0, 1, 13, 28])
def test_truncated_blob_is_rejected(cut: int) -> None:
    blob = seal(KEY, b"payload", b"")
    with pytest.raises(DecryptionFailed):
        open_sealed(KEY, blob[:cut], b"")


def test_other_key_or_other_aad_is_rejected() -> None:
    blob = seal(KEY, b"payload", b"bucket/key")
    with pytest.raises(DecryptionFailed):
        open_sealed(bytes(32), blob, b"bucket/key")
    with pytest.raises(DecryptionFailed):
        open_sealed(KEY, blob, b"bucket/other")


def test_unknown_format_version_is_rejected() -> None:
    blob = bytearray(seal(KEY, b"payload", b""))
    blob[0] = 2
    with pytest.raises(DecryptionFailed):
        open_sealed(KEY, bytes(blob), b"")


def test_keys_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        seal(b"short", b"", b"")
