"""What can go wrong talking to another S3 endpoint."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx

from ferry.core.errors import FerryError


class TransportFailure(FerryError):
    """The remote endpoint could not be reached or did not answer in time."""


class RemoteS3Error(FerryError):
    """The remote endpoint answered with an S3 error."""

    def __init__(self, code: str, status: int, message: str = "") -> None:
        super().__init__(f"{status} {code}: {message}".strip(), code=code, status=status)
        self.code = code
        self.status = status
        self.message = message  # the remote's own words (what the console shows)


@contextlib.contextmanager
def translate_transport_errors() -> Iterator[None]:
    """httpx's exceptions stop here (httpx `map_httpcore_exceptions`, the other way round)."""
    try:
        yield
    except httpx.TransportError as exc:
        raise TransportFailure(f"{type(exc).__name__}: {exc}") from exc
