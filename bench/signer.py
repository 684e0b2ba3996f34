"""Pick the SigV4 header signer: Ferry's own if it exists and agrees with ours, else bench's.

`ferry.protocol.sigv4.sign_headers` is being written alongside this benchmark. It is used when it
imports, accepts the agreed call shape and produces the same Authorization header as
`bench.sigv4_min` on a fixed request; otherwise the bench signer is used and the reason is shown.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench import sigv4_min

SignFn = Callable[..., Mapping[str, str]]

_PROBE_NOW = datetime(2013, 5, 24, 0, 0, 0, tzinfo=UTC)
_PROBE_ARGS: tuple[Any, ...] = (
    "PUT",
    "http://127.0.0.1:9000/bench-bucket/some/key-1",
    {"host": "127.0.0.1:9000"},
    sigv4_min.UNSIGNED_PAYLOAD,
    "AKIDEXAMPLE",
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "us-east-1",
    _PROBE_NOW,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Signer:
    sign: SignFn
    source: str
    note: str


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def load_signer() -> Signer:
    """Return Ferry's signer when usable, otherwise bench's minimal one (with the reason)."""
    fallback = sigv4_min.sign_headers
    try:
        module = importlib.import_module("ferry.protocol.sigv4")
    except Exception as exc:  # boundary: a module mid-edit may fail in any way
        return Signer(sign=fallback, source="bench.sigv4_min", note=f"ferry signer: {exc!r}")
    candidate = getattr(module, "sign_headers", None)
    if not callable(candidate):
        note = "ferry.protocol.sigv4 has no sign_headers()"
        return Signer(sign=fallback, source="bench.sigv4_min", note=note)
    try:
        theirs = _lower(candidate(*_PROBE_ARGS, service="s3"))
    except Exception as exc:  # boundary: unknown third-party code
        note = f"ferry sign_headers() failed on the probe: {exc!r}"
        return Signer(sign=fallback, source="bench.sigv4_min", note=note)
    ours = _lower(fallback(*_PROBE_ARGS))
    if theirs.get("authorization") != ours["authorization"]:
        note = "ferry sign_headers() disagrees with bench.sigv4_min on the probe request"
        return Signer(sign=fallback, source="bench.sigv4_min", note=note)
    return Signer(sign=candidate, source="ferry.protocol.sigv4", note="")
