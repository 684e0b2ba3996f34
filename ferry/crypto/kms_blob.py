"""The KMS ciphertext blob: what Encrypt and GenerateDataKey return and Decrypt accepts.

AWS's blobs are opaque but self-describing (Decrypt needs no KeyId); Ferry's are

    format version (1 byte, 0x01) | key ID (36 ASCII bytes, UUID) | sealed envelope

where the envelope (crypto/envelope.py) is AES-256-GCM under the KMS key's material, with
associated data = version | key ID | the encryption context as canonical JSON. A different
context, a different key or one flipped bit all fail the same way: InvalidCiphertextException.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

from ferry.crypto.envelope import OVERHEAD_BYTES, open_sealed, seal
from ferry.crypto.errors import DecryptionFailed, KmsInvalidCiphertext

BLOB_VERSION = 1
KEY_ID_CHARS = 36
_HEADER_BYTES = 1 + KEY_ID_CHARS


def canonical_context(context: Mapping[str, str]) -> bytes:
    """One byte string per encryption context, whatever order its pairs came in."""
    return json.dumps(
        dict(context), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def blob_key_id(blob: bytes) -> str:
    """The key ID a blob names; KmsInvalidCiphertext if it is no Ferry KMS blob."""
    if len(blob) < _HEADER_BYTES + OVERHEAD_BYTES or blob[0] != BLOB_VERSION:
        raise KmsInvalidCiphertext()
    try:
        key_id = blob[1:_HEADER_BYTES].decode("ascii")
        if str(uuid.UUID(key_id)) != key_id:
            raise ValueError(key_id)
    except ValueError:  # UnicodeDecodeError is a ValueError
        raise KmsInvalidCiphertext() from None
    return key_id


def seal_blob(material: bytes, key_id: str, plaintext: bytes, context: Mapping[str, str]) -> bytes:
    header = bytes([BLOB_VERSION]) + key_id.encode("ascii")
    assert len(header) == _HEADER_BYTES, "key IDs are canonical UUIDs"
    return header + seal(material, plaintext, header + canonical_context(context))


def open_blob(material: bytes, blob: bytes, context: Mapping[str, str]) -> bytes:
    header = blob[:_HEADER_BYTES]
    try:
        return open_sealed(material, blob[_HEADER_BYTES:], header + canonical_context(context))
    except DecryptionFailed:
        raise KmsInvalidCiphertext() from None
