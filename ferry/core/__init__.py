"""Leaf package: identifiers, names, clock, base errors, secrets. Imports nothing from ferry."""

from __future__ import annotations

from ferry.core.clock import Clock, FakeClock, SystemClock
from ferry.core.errors import Conflict, FerryError, Invalid, NotFound
from ferry.core.ids import new_blob_id, new_request_id, new_upload_id, new_version_id
from ferry.core.secret import Secret

__all__ = [
    "Clock",
    "Conflict",
    "FakeClock",
    "FerryError",
    "Invalid",
    "NotFound",
    "Secret",
    "SystemClock",
    "new_blob_id",
    "new_request_id",
    "new_upload_id",
    "new_version_id",
]
