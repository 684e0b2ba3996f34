"""SSE-C: customer-provided keys. Ferry never stores one.

A customer key protects an object's data key through a key-encryption key derived from the
customer key alone (HKDF-SHA256 with a random per-object salt), so an SSE-C object can be
moved to another region as stored — ciphertext, wrapped data key, salt — and opened there with
the same customer key, without any region's master key. To recognise the right key before
touching the data (AWS answers 403 for another key), the version keeps a salted HMAC of the
key; the HMAC and the wrapping both use keys derived with distinct HKDF labels.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ferry.crypto.envelope import open_sealed, seal
from ferry.crypto.errors import DecryptionFailed
from ferry.crypto.sse_errors import (
    CustomerKeyMd5Mismatch,
    CustomerKeyMismatch,
    InvalidEncryptionAlgorithm,
    InvalidEncryptionArgument,
)

CUSTOMER_KEY_BYTES = 32
SALT_BYTES = 16
_WRAP_LABEL = b"ferry sse-c data key wrapping v1"
_CHECK_LABEL = b"ferry sse-c key check v1"
_WRAP_AAD = b"ferry:sse-c:data-key"


@dataclass(frozen=True, slots=True)
class CustomerKey:
    """A validated SSE-C key from request headers; repr shows only its MD5."""

    key: bytes = field(repr=False)
    md5_b64: str  # what x-amz-server-side-encryption-customer-key-MD5 echoes

    def derive(self, salt: bytes, label: bytes) -> bytes:
        return HKDF(hashes.SHA256(), CUSTOMER_KEY_BYTES, salt, label).derive(self.key)

    def check_value(self, salt: bytes) -> bytes:
        """The salted HMAC that recognises this key (stored instead of the key)."""
        return hmac.new(self.derive(salt, _CHECK_LABEL), _CHECK_LABEL, hashlib.sha256).digest()

    def wrap(self, data_key: bytes, salt: bytes) -> bytes:
        return seal(self.derive(salt, _WRAP_LABEL), data_key, _WRAP_AAD)

    def unwrap(self, wrapped: bytes, salt: bytes, check_value: bytes) -> bytes:
        """The data key; CustomerKeyMismatch if this is not the key it was wrapped with."""
        if not hmac.compare_digest(self.check_value(salt), check_value):
            raise CustomerKeyMismatch()
        try:
            return open_sealed(self.derive(salt, _WRAP_LABEL), wrapped, _WRAP_AAD)
        except DecryptionFailed:
            raise CustomerKeyMismatch() from None


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def parse_customer_key(
    algorithm: str | None, key_b64: str | None, md5_b64: str | None, *, header_prefix: str
) -> CustomerKey | None:
    """The three SSE-C headers (named `<header_prefix>-algorithm`, `-key`, `-key-MD5`) → a key,
    None if none is present, or AWS's error for an incomplete or invalid set."""
    if algorithm is None and key_b64 is None and md5_b64 is None:
        return None
    if algorithm is None:
        raise InvalidEncryptionArgument(
            "Requests specifying Server Side Encryption with Customer provided keys must "
            "provide a valid encryption algorithm.",
            argument_name=f"{header_prefix}-algorithm",
            argument_value="null",
        )
    if algorithm != "AES256":
        raise InvalidEncryptionAlgorithm(
            argument_name=f"{header_prefix}-algorithm", argument_value=algorithm
        )
    if key_b64 is None:
        raise InvalidEncryptionArgument(
            "Requests specifying Server Side Encryption with Customer provided keys must "
            "provide an appropriate secret key.",
            argument_name=f"{header_prefix}-key",
            argument_value="null",
        )
    key = _decode(key_b64)
    if key is None or len(key) != CUSTOMER_KEY_BYTES:
        raise InvalidEncryptionArgument(
            "The secret key was invalid for the specified algorithm.",
            argument_name=f"{header_prefix}-key",
        )
    actual_md5 = base64.b64encode(hashlib.md5(key).digest()).decode()
    if md5_b64 is None:
        raise InvalidEncryptionArgument(
            "Requests specifying Server Side Encryption with Customer provided keys must "
            "provide the client calculated MD5 of the secret key.",
            argument_name=f"{header_prefix}-key-MD5",
            argument_value="null",
        )
    if md5_b64 != actual_md5:
        raise CustomerKeyMd5Mismatch(argument_name=f"{header_prefix}-key-MD5")
    return CustomerKey(key, actual_md5)


def _decode(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
