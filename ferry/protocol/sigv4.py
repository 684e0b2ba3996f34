"""AWS Signature Version 4 for S3: canonical request, string-to-sign, signing key, presign.

Pure functions shared by the server (`api/auth.py` verifies) and the outbound client (signs).
S3 differs from generic SigV4 in two ways that matter here: the canonical URI is the path as
sent (no normalisation, no second encoding), and the payload hash may be a STREAMING-* marker.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from urllib.parse import quote, quote_from_bytes, unquote_to_bytes, urlsplit, urlunsplit

from ferry.protocol.errors import S3Error, S3ErrorCode

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINAL = "aws4_request"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_PRESIGN_EXPIRES_S = 604800
SIGNING_KEY_CACHE_SIZE = 1024
# Headers a proxy or the HTTP stack may add or rewrite after signing (botocore's list).
UNSIGNABLE_HEADERS = frozenset(
    {"authorization", "expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"}
)


class PayloadMode(StrEnum):
    """What x-amz-content-sha256 says about the body (SHA256 means a hex digest was given)."""

    UNSIGNED = "UNSIGNED-PAYLOAD"
    SHA256 = "SHA256"
    STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

    # Plain frozenset lookups: these run on every request, and Enum.value is a descriptor.
    @property
    def is_streaming(self) -> bool:
        return self in _STREAMING

    @property
    def is_signed_streaming(self) -> bool:
        return self in _SIGNED_STREAMING

    @property
    def has_trailer(self) -> bool:
        return self in _TRAILER


_P = PayloadMode
_SIGNED_STREAMING = frozenset({_P.STREAMING_SIGNED, _P.STREAMING_SIGNED_TRAILER})
_TRAILER = frozenset({_P.STREAMING_SIGNED_TRAILER, _P.STREAMING_UNSIGNED_TRAILER})
_STREAMING = _SIGNED_STREAMING | _TRAILER
_HEX = frozenset("0123456789abcdefABCDEF")
_MODES = {m.value: m for m in PayloadMode if m is not PayloadMode.SHA256}


def parse_payload_mode(value: str) -> PayloadMode:
    """Classify an x-amz-content-sha256 value; anything else is AWS's InvalidArgument."""
    mode = _MODES.get(value)
    if mode is not None:
        return mode
    if len(value) == 64 and _HEX.issuperset(value):
        return PayloadMode.SHA256
    raise S3Error(
        S3ErrorCode.InvalidArgument,
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER "
        "or a valid sha256 value.",
        ArgumentName="x-amz-content-sha256",
        ArgumentValue=value,
    )


# ---- canonical request ---------------------------------------------------------------------


def uri_encode(value: str | bytes, *, keep_slash: bool = False) -> str:
    """AWS URI encoding: unreserved A-Za-z0-9-_.~ kept, everything else %XX (upper-case)."""
    if isinstance(value, str):
        return quote(value, safe="/" if keep_slash else "")
    return quote_from_bytes(value, safe="/" if keep_slash else "")


def canonical_uri(raw_path: str) -> str:
    """S3's canonical URI is the path exactly as the client sent it."""
    return raw_path or "/"


def reencoded_uri(raw_path: str) -> str:
    """The path decoded and encoded again with AWS rules: what a strict SDK would have signed
    when the client sent characters it did not encode (or lower-case escapes)."""
    segments = raw_path.split("/")  # per segment, so an encoded %2F stays encoded
    return "/".join([quote_from_bytes(unquote_to_bytes(s), safe="") for s in segments]) or "/"


def canonical_query(raw: str | bytes, *, exclude: str | None = None) -> str:
    """Sort query pairs by encoded name then value, re-encoding each the AWS way.

    Pairs are percent-decoded first (to bytes, so invalid UTF-8 still round-trips) with '+' as
    a space, as S3 reads them; `exclude` drops one name (X-Amz-Signature for presigned URLs).
    """
    if not raw:
        return ""
    # Bytes throughout, so raw non-ASCII and invalid UTF-8 re-encode to the bytes sent.
    data = raw if isinstance(raw, bytes) else raw.encode()
    pairs: list[tuple[str, str]] = []
    for part in data.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        encoded = quote_from_bytes(unquote_to_bytes(name.replace(b"+", b"%20")), safe="")
        if encoded == exclude:
            continue
        value = unquote_to_bytes(value.replace(b"+", b"%20"))
        pairs.append((encoded, quote_from_bytes(value, safe="")))
    pairs.sort()
    return "&".join([f"{name}={value}" for name, value in pairs])


def _trim(value: str) -> str:
    value = value.strip()
    # Collapsing whitespace allocates, so do it only when there is some to collapse.
    if "  " in value or "\t" in value or "\n" in value:
        return " ".join(value.split())
    return value


def canonical_request(
    method: str,
    uri: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    payload_hash: str,
) -> str:
    """`headers` has lower-case names; a signed header the request lacks canonicalises empty."""
    lines = [method, uri, query]
    lines.extend([f"{name}:{_trim(headers.get(name, ''))}" for name in signed_headers])
    lines.append("")
    lines.append(";".join(signed_headers))
    lines.append(payload_hash)
    return "\n".join(lines)


def string_to_sign(timestamp: str, scope: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{digest}"


@lru_cache(maxsize=SIGNING_KEY_CACHE_SIZE)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """Four chained HMACs, the same for a key all day: cached, since it runs on every request."""
    key = hmac.digest(f"AWS4{secret}".encode(), date.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, TERMINAL.encode(), "sha256")


def sign(key: bytes, to_sign: str) -> str:
    return hmac.digest(key, to_sign.encode("utf-8"), "sha256").hex()


def signatures_equal(expected: str, provided: str) -> bool:
    """Constant-time; compare_digest raises on non-ASCII str, and `provided` is the client's."""
    return hmac.compare_digest(expected.encode(), provided.encode("utf-8", "replace"))


def chunk_string_to_sign(timestamp: str, scope: str, previous: str, chunk_sha256: str) -> str:
    return f"{ALGORITHM}-PAYLOAD\n{timestamp}\n{scope}\n{previous}\n{EMPTY_SHA256}\n{chunk_sha256}"


def trailer_string_to_sign(timestamp: str, scope: str, previous: str, trailer_sha256: str) -> str:
    return f"{ALGORITHM}-TRAILER\n{timestamp}\n{scope}\n{previous}\n{trailer_sha256}"


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamingSigner:
    """What it takes to sign or verify the chunks of one aws-chunked body."""

    key: bytes
    timestamp: str
    scope: str
    seed_signature: str

    def chunk_signature(self, previous: str, chunk_sha256: str) -> str:
        return sign(
            self.key, chunk_string_to_sign(self.timestamp, self.scope, previous, chunk_sha256)
        )

    def trailer_signature(self, previous: str, trailer_sha256: str) -> str:
        to_sign = trailer_string_to_sign(self.timestamp, self.scope, previous, trailer_sha256)
        return sign(self.key, to_sign)


# ---- parsing what the client sent ----------------------------------------------------------


def parse_amz_date(value: str) -> datetime | None:
    """`YYYYMMDDTHHMMSSZ` → aware UTC datetime (by hand: strptime is slow on every request)."""
    if len(value) != 16 or value[8] != "T" or value[15] != "Z":
        return None
    digits = value[:8] + value[9:15]
    if not digits.isascii() or not digits.isdigit():
        return None
    try:
        year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
        hour, minute, second = int(digits[8:10]), int(digits[10:12]), int(digits[12:])
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def format_amz_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(AMZ_DATE_FORMAT)


@dataclass(frozen=True, slots=True, kw_only=True)
class Credential:
    access_key: str
    date: str  # YYYYMMDD
    region: str
    service: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINAL}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedAuth:
    """The signature claim of a request, from either the Authorization header or the query."""

    credential: Credential
    signed_headers: tuple[str, ...]
    signature: str
    presigned: bool
    timestamp: str = ""  # X-Amz-Date (presigned only; header auth reads the headers)
    expires_s: int = 0


_HEADER_MALFORMED = "The authorization header is malformed; "
_QUERY_MALFORMED = "Error parsing the X-Amz-Credential parameter; "


def _fault(presigned: bool, detail: str) -> S3Error:
    if presigned:
        return S3Error(S3ErrorCode.AuthorizationQueryParametersError, _QUERY_MALFORMED + detail)
    return S3Error(S3ErrorCode.AuthorizationHeaderMalformed, _HEADER_MALFORMED + detail)


def _parse_credential(value: str, presigned: bool) -> Credential:
    parts = value.split("/")
    if len(parts) != 5 or not parts[0] or len(parts[1]) != 8 or not parts[1].isdigit():
        raise _fault(
            presigned,
            'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/'
            'aws4_request".',
        )
    if parts[4] != TERMINAL:
        raise _fault(
            presigned, f'incorrect terminal "{parts[4]}". This endpoint uses "{TERMINAL}".'
        )
    return Credential(access_key=parts[0], date=parts[1], region=parts[2], service=parts[3])


def parse_form_credential(value: str) -> Credential:
    """A POST form's `x-amz-credential` field (its faults worded as a presigned URL's)."""
    return _parse_credential(value, True)


def check_scope(credential: Credential, *, region: str, service: str, presigned: bool) -> None:
    """The credential must name this endpoint's service and region (AWS wording)."""
    if credential.service != service:
        raise _fault(
            presigned,
            f'incorrect service "{credential.service}". This endpoint belongs to "{service}".',
        )
    if credential.region != region:
        error = _fault(
            presigned, f"the region '{credential.region}' is wrong; expecting '{region}'"
        )
        error.fields["Region"] = region
        raise error


def parse_authorization(value: str) -> SignedAuth:
    """`AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..`, commas and spaces loose."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != ALGORITHM:
        raise _fault(False, f"the authorization mechanism '{scheme}' is not supported.")
    fields: dict[str, str] = {}
    for token in rest.replace(",", " ").split():
        name, eq, field = token.partition("=")
        if not eq or name in fields:
            raise _fault(False, f"the authorization component '{token}' is malformed.")
        fields[name] = field
    credential, signed, signature = (
        fields.get("Credential"),
        fields.get("SignedHeaders"),
        fields.get("Signature"),
    )
    if not credential or not signed or not signature or len(fields) != 3:
        raise _fault(
            False,
            "the authorization header requires three components: Credential, SignedHeaders, "
            "and Signature.",
        )
    return SignedAuth(
        credential=_parse_credential(credential, False),
        signed_headers=tuple(signed.split(";")),
        signature=signature,
        presigned=False,
    )


_PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)


def _query_error(message: str) -> S3Error:
    return S3Error(S3ErrorCode.AuthorizationQueryParametersError, message)


def parse_presigned(params: Mapping[str, str]) -> SignedAuth:
    """The X-Amz-* query parameters of a presigned URL (decoded, first value per name)."""
    if params.get("X-Amz-Algorithm", ALGORITHM) != ALGORITHM:
        raise _query_error(f'X-Amz-Algorithm only supports "{ALGORITHM}"')
    if not all(params.get(name) for name in _PRESIGN_PARAMS):
        raise _query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
            "and X-Amz-Expires parameters."
        )
    timestamp = params["X-Amz-Date"]
    if parse_amz_date(timestamp) is None:
        raise _query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    raw_expires = params["X-Amz-Expires"]
    try:
        expires = int(raw_expires)
    except ValueError:
        raise _query_error("X-Amz-Expires should be a number") from None
    if expires < 0:
        raise _query_error("X-Amz-Expires must be non-negative")
    if expires > MAX_PRESIGN_EXPIRES_S:
        raise _query_error(
            "X-Amz-Expires must be less than a week (in seconds) that is; 604800 seconds"
        )
    return SignedAuth(
        credential=_parse_credential(params["X-Amz-Credential"], True),
        signed_headers=tuple(params["X-Amz-SignedHeaders"].split(";")),
        signature=params["X-Amz-Signature"],
        presigned=True,
        timestamp=timestamp,
        expires_s=expires,
    )


# ---- outbound ------------------------------------------------------------------------------


def _host(netloc: str, scheme: str) -> str:
    # Like botocore and httpx: the default port is not part of the Host header.
    host, _, port = netloc.rpartition("@")[2].partition(":")
    if port and (scheme, port) not in (("http", "80"), ("https", "443")):
        return f"{host}:{port}"
    return host


def _headers_to_sign(url_host: str, headers: Mapping[str, str]) -> dict[str, str]:
    lowered = {k.lower(): v for k, v in headers.items() if k.lower() not in UNSIGNABLE_HEADERS}
    lowered.setdefault("host", url_host)
    return lowered


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
    session_token: str | None = None,
) -> dict[str, str]:
    """The headers to add to a request so S3 accepts it: authorization, x-amz-date,
    x-amz-content-sha256 (and x-amz-security-token). `payload_sha256_hex` may be a
    PayloadMode marker such as UNSIGNED-PAYLOAD. `url` must already be percent-encoded."""
    parts = urlsplit(url)
    timestamp = format_amz_date(now)
    added = {"x-amz-date": timestamp, "x-amz-content-sha256": payload_sha256_hex}
    if session_token is not None:
        added["x-amz-security-token"] = session_token
    to_sign = _headers_to_sign(_host(parts.netloc, parts.scheme), headers)
    to_sign.update(added)
    names = sorted(to_sign)
    credential = Credential(
        access_key=access_key, date=timestamp[:8], region=region, service=service
    )
    canonical = canonical_request(
        method.upper(),
        canonical_uri(parts.path),
        canonical_query(parts.query),
        to_sign,
        names,
        payload_sha256_hex,
    )
    key = signing_key(secret_key, credential.date, region, service)
    signature = sign(key, string_to_sign(timestamp, credential.scope, canonical))
    added["authorization"] = (
        f"{ALGORITHM} Credential={access_key}/{credential.scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return added


def presign_url(
    method: str,
    url: str,
    access_key: str,
    secret_key: str,
    region: str,
    now: datetime,
    expires_s: int = 3600,
    headers: Mapping[str, str] | None = None,
    service: str = "s3",
    session_token: str | None = None,
) -> str:
    """`url` with X-Amz-* query parameters that let anyone holding it make this request."""
    parts = urlsplit(url)
    timestamp = format_amz_date(now)
    to_sign = _headers_to_sign(_host(parts.netloc, parts.scheme), headers or {})
    names = sorted(to_sign)
    credential = Credential(
        access_key=access_key, date=timestamp[:8], region=region, service=service
    )
    auth = [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", f"{access_key}/{credential.scope}"),
        ("X-Amz-Date", timestamp),
        ("X-Amz-Expires", str(expires_s)),
        ("X-Amz-SignedHeaders", ";".join(names)),
    ]
    if session_token is not None:
        auth.append(("X-Amz-Security-Token", session_token))
    query = "&".join([f"{n}={uri_encode(v)}" for n, v in auth])
    query = f"{parts.query}&{query}" if parts.query else query
    canonical = canonical_request(
        method.upper(),
        canonical_uri(parts.path),
        canonical_query(query),
        to_sign,
        names,
        "UNSIGNED-PAYLOAD",
    )
    key = signing_key(secret_key, credential.date, region, service)
    signature = sign(key, string_to_sign(timestamp, credential.scope, canonical))
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path, f"{query}&X-Amz-Signature={signature}", "")
    )
