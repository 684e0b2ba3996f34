"""Minimal AWS Signature V4 header signer for the load generator.

A stop-gap until `ferry.protocol.sigv4.sign_headers` exists: same call shape, so `bench.signer`
can swap one for the other. Signs `host`, `x-amz-date`, `x-amz-content-sha256` and whatever
headers the caller passes; path-style URLs; the signing key is cached per day/region/service.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256_HEX = hashlib.sha256(b"").hexdigest()
_UNRESERVED = "-_.~"


@lru_cache(maxsize=32)
def _signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _canonical_query(query: str) -> str:
    pairs: list[tuple[str, str]] = []
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append(
                (quote(unquote(name), safe=_UNRESERVED), quote(unquote(value), safe=_UNRESERVED))
            )
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def sign_headers(
    method: str,
    url: str,
    headers: Mapping[str, str],
    payload_sha256_hex: str,
    access_key: str,
    secret_key: str,
    region: str,
    now: datetime,
    service: str = "s3",
) -> dict[str, str]:
    """Return the headers to add to the request: x-amz-date, x-amz-content-sha256, authorization.

    `now` must be an aware UTC datetime. `payload_sha256_hex` may be `UNSIGNED-PAYLOAD`.
    """
    parts = urlsplit(url)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    signed = {name.lower().strip(): " ".join(value.split()) for name, value in headers.items()}
    signed.setdefault("host", parts.netloc)
    signed["x-amz-date"] = amz_date
    signed["x-amz-content-sha256"] = payload_sha256_hex
    names = sorted(signed)
    signed_names = ";".join(names)
    canonical_request = "\n".join(
        [
            method,
            quote(unquote(parts.path or "/"), safe="/" + _UNRESERVED),
            _canonical_query(parts.query),
            "".join(f"{name}:{signed[name]}\n" for name in names),
            signed_names,
            payload_sha256_hex,
        ]
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _signing_key(secret_key, date, region, service)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "x-amz-date": amz_date,
        "x-amz-content-sha256": payload_sha256_hex,
        "authorization": (
            f"{ALGORITHM} Credential={access_key}/{scope}, "
            f"SignedHeaders={signed_names}, Signature={signature}"
        ),
    }
