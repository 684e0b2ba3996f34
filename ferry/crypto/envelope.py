"""Authenticated encryption of small secrets (key material, data keys): AES-256-GCM.

A sealed blob is self-describing so that the format can change without a flag day:

    version (1 byte, 0x01) | nonce (12 bytes, random) | ciphertext ‖ GCM tag (16 bytes)

The associated data (AAD) is never stored: the caller supplies it again to open the blob, so a
blob moved to another context (another object, another key record) fails to open.
Nonces are random 96-bit values: NIST SP 800-38D §8.3 allows 2^32 seals per key that way,
far more than one region wraps (one data key per object, one blob per KMS request).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ferry.crypto.errors import DecryptionFailed

ENVELOPE_VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
HEADER_BYTES = 1 + NONCE_BYTES
OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate `plaintext` under `key` (32 bytes), bound to `aad`."""
    if len(key) != KEY_BYTES:
        raise ValueError("envelope keys are 32 bytes")
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, aad)
    return bytes([ENVELOPE_VERSION]) + nonce + sealed


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """The plaintext `seal(key, plaintext, aad)` produced; DecryptionFailed for anything else
    (unknown version, truncation, tampering, another key, another aad)."""
    if len(key) != KEY_BYTES:
        raise ValueError("envelope keys are 32 bytes")
    if len(blob) < OVERHEAD_BYTES or blob[0] != ENVELOPE_VERSION:
        raise DecryptionFailed()
    nonce, sealed = blob[1:HEADER_BYTES], blob[HEADER_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, sealed, aad)
    except InvalidTag:
        raise DecryptionFailed() from None
