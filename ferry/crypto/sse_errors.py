"""What the SSE data path raises (api/errors.py maps each to AWS's S3 error).

    FerryError
    ├── Invalid
    │   ├── InvalidEncryptionArgument    a malformed or contradictory SSE header (InvalidArgument)
    │   ├── InvalidEncryptionAlgorithm   an SSE-C algorithm other than AES256
    │   ├── CustomerKeyMd5Mismatch       the key's MD5 is not the one sent (InvalidArgument)
    │   ├── CustomerKeyRequired          an SSE-C object read without its key (InvalidRequest)
    │   └── EncryptionNotApplicable      SSE-C headers for an object not stored with SSE-C
    ├── CustomerKeyMismatch              a different SSE-C key than the object's (AccessDenied)
    └── NotFound
        └── NoSuchEncryptionConfiguration  GetBucketEncryption on a bucket without one

Messages never contain key material.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ferry.core.errors import FerryError, Invalid, NotFound


class SseError(FerryError):
    """Server-side encryption refused the request."""

    # AWS's message, which api/errors.py passes through (a docstring message is replaced by
    # the S3 code's generic one).
    MESSAGE: ClassVar[str] = ""

    def __init__(self, message: str | None = None, **fields: Any) -> None:
        super().__init__(message or self.MESSAGE or None, **fields)


class InvalidEncryptionArgument(SseError, Invalid):
    """A malformed or contradictory SSE header."""

    MESSAGE = "The encryption method specified is not supported"


class InvalidEncryptionAlgorithm(SseError, Invalid):
    """An SSE-C algorithm other than AES256."""

    MESSAGE = "The encryption request you specified is not valid. The valid value is AES256."


class CustomerKeyMd5Mismatch(SseError, Invalid):
    """The SSE-C key's MD5 is not the one sent."""

    MESSAGE = "The calculated MD5 hash of the key did not match the hash that was provided."


class CustomerKeyRequired(SseError, Invalid):
    """An SSE-C object was read without its key."""

    MESSAGE = (
        "The object was stored using a form of Server Side Encryption. The correct parameters "
        "must be provided to retrieve the object."
    )


class EncryptionNotApplicable(SseError, Invalid):
    """SSE-C headers for an object not stored with SSE-C."""

    MESSAGE = "The encryption parameters are not applicable to this object."


class CustomerKeyMismatch(SseError):
    """An SSE-C key other than the object's."""

    MESSAGE = "Access Denied"


class NoSuchEncryptionConfiguration(SseError, NotFound):
    """GetBucketEncryption on a bucket without default encryption."""

    MESSAGE = "The server side encryption configuration was not found"
