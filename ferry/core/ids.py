"""Identifiers: version IDs, upload IDs, blob IDs, request IDs.

Version IDs sort by creation time (useful in logs and listings) and carry enough randomness
that two regions never mint the same one, because replicas keep the source's version ID.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from typing import NewType

VersionId = NewType("VersionId", str)
UploadId = NewType("UploadId", str)
BlobId = NewType("BlobId", str)
RequestId = NewType("RequestId", str)

NULL_VERSION_ID = VersionId("null")

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_lock = threading.Lock()
_last = [0, 0]  # last millisecond, counter within it


def _base62(number: int, width: int) -> str:
    out = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out))


def _time_ordered(width: int) -> str:
    """Millisecond time + in-millisecond counter + randomness, base62, lexically sortable."""
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last[0]:
            ms = _last[0]
            _last[1] += 1
        else:
            _last[0], _last[1] = ms, 0
        counter = _last[1]
    head = _base62(ms, 8) + _base62(counter, 3)
    return head + _base62(secrets.randbits(128), width - len(head))[: width - len(head)]


def new_version_id() -> VersionId:
    return VersionId(_time_ordered(32))


def new_upload_id() -> UploadId:
    return UploadId(_time_ordered(48))


def new_blob_id() -> BlobId:
    return BlobId(os.urandom(16).hex())


def new_request_id() -> RequestId:
    return RequestId(secrets.token_hex(8).upper())
