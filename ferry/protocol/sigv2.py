"""AWS Signature Version 2 for S3 (HMAC-SHA1): string-to-sign, signature, the client's claim.

Legacy, but alive: boto3 still presigns `?AWSAccessKeyId=..&Signature=..&Expires=..` URLs for
us-east-1 and custom endpoints by default, and older tools send `Authorization: AWS AK:SIG`.

    StringToSign = Verb \\n Content-MD5 \\n Content-Type \\n Date-or-Expires \\n
                   CanonicalizedAmzHeaders CanonicalizedResource

Clients disagree on some details, so the server tries every reading a known client signs:
- which query parameters are signed sub-resources (botocore's list lacks `encryption`, ...);
- whether an empty sub-resource value keeps its `=` (botocore: as sent; AWS's prose: bare);
- a path-style bucket request: `/bucket` as sent (AWS's prose) or `/bucket/` (botocore);
- a path sent with raw characters, which a client may have signed percent-encoded;
- where x-amz-date goes. AWS's prose puts an empty Date line and signs x-amz-date as an
  x-amz-* header (boto2, the Java SDK, Ceph), but AWS's own Delete example puts its value on the
  Date line and leaves it out of the headers.
Every reading still signs the method, the decoded path, every x-amz-* header and the time.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import quote_from_bytes, unquote_to_bytes

from ferry.protocol.errors import S3Error, S3ErrorCode

SCHEME = "AWS"
QUERY_PARAMS = ("AWSAccessKeyId", "Signature", "Expires")

# botocore's HmacV1Auth.QSAOfInterest: what boto3 and the aws CLI sign.
BOTOCORE_SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory",
        "lifecycle", "location", "logging", "metrics", "notification", "object-lock",
        "partNumber", "policy", "replication", "requestPayment", "response-cache-control",
        "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires", "restore",
        "select", "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads",
        "versionId", "versioning", "versions", "website",
    }
)  # fmt: skip
# Newer sub-resources that other clients (MinIO, Ceph) sign and botocore does not.
SUBRESOURCES = BOTOCORE_SUBRESOURCES | {"encryption", "legal-hold", "retention"}


# ---- canonical resource --------------------------------------------------------------------


def _subresources(query: str | bytes) -> list[tuple[str, str | None]]:
    """(name, decoded value or None when sent without '=') for every signable pair, in order."""
    data = query if isinstance(query, bytes) else query.encode()
    pairs: list[tuple[str, str | None]] = []
    for part in data.split(b"&") if data else ():
        raw_name, eq, raw_value = part.partition(b"=")
        name = unquote_to_bytes(raw_name).decode("utf-8", "replace")
        if name not in SUBRESOURCES:
            continue
        # '+' is a space, as api/http.py reads it: sign the value the handler will act on.
        value = unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8", "replace")
        pairs.append((name, value if eq else None))
    return pairs


def _resource(
    path: str,
    pairs: list[tuple[str, str | None]],
    subresources: frozenset[str],
    bare_empty: bool,
) -> str:
    signed = sorted([(n, v) for n, v in pairs if n in subresources], key=lambda p: p[0])
    if not signed:
        return path
    rendered = [n if v is None or (bare_empty and not v) else f"{n}={v}" for n, v in signed]
    return f"{path}?{'&'.join(rendered)}"


def _path(raw_path: str, virtual_bucket: str | None) -> str:
    if virtual_bucket is None:
        return raw_path or "/"
    # botocore's auth_path: a bucket-level request keeps its slash ("/bucket/").
    return f"/{virtual_bucket}{raw_path or '/'}"


def canonical_resource(
    raw_path: str, query: str | bytes, *, virtual_bucket: str | None = None
) -> str:
    """`/bucket/key?sub&resources`: the path as sent (still percent-encoded), prefixed with
    the bucket named by the Host header for virtual-hosted requests, then the signed
    sub-resources sorted by name, values decoded."""
    return _resource(_path(raw_path, virtual_bucket), _subresources(query), SUBRESOURCES, False)


def canonical_resources(
    raw_path: str, query: str | bytes, *, virtual_bucket: str | None = None
) -> list[str]:
    """Every reading of the resource a known client signs, `canonical_resource` first."""
    pairs = _subresources(query)
    paths = [raw_path]
    if virtual_bucket is None and raw_path.count("/") == 1 and len(raw_path) > 1:
        # botocore signs a path-style bucket request `/bucket?acl` as `/bucket/?acl`.
        paths.append(raw_path + "/")
    # A client that sent characters raw may have signed the AWS-encoded form (cf. SigV4).
    segments = raw_path.split("/")
    reencoded = "/".join([quote_from_bytes(unquote_to_bytes(s), safe="") for s in segments])
    if reencoded != raw_path:
        paths.append(reencoded)
    found: list[str] = []
    for path in [_path(p, virtual_bucket) for p in paths]:
        for subresources in (SUBRESOURCES, BOTOCORE_SUBRESOURCES):
            for bare_empty in (False, True):
                resource = _resource(path, pairs, subresources, bare_empty)
                if resource not in found:
                    found.append(resource)
    return found


# ---- string to sign ------------------------------------------------------------------------


def _value(value: str) -> str:
    # "Unfold" folded header lines, then trim (the ASGI server normally did both already).
    if "\n" in value:
        value = " ".join(line.strip() for line in value.splitlines())
    return value.strip()


def canonical_amz_headers(headers: Mapping[str, str], *, exclude: str | None = None) -> str:
    """`name:value\\n` for every x-amz-* header, names lower-cased and sorted. Repeated headers
    must already be joined with ',' (as `api/http.py` does)."""
    amz = sorted(
        [
            (name.lower(), _value(value))
            for name, value in headers.items()
            if name.lower().startswith("x-amz-") and name.lower() != exclude
        ]
    )
    return "".join([f"{name}:{value}\n" for name, value in amz])


def _compose(method: str, headers: Mapping[str, str], date: str, amz: str, resource: str) -> str:
    md5 = _value(headers.get("content-md5", ""))
    content_type = _value(headers.get("content-type", ""))
    return f"{method}\n{md5}\n{content_type}\n{date}\n{amz}{resource}"


def string_to_sign(
    method: str, headers: Mapping[str, str], resource: str, *, expires: str | None = None
) -> str:
    """AWS's reading. `headers` has lower-case names. `expires` (query authentication) takes
    the Date line; otherwise x-amz-date, if sent, empties it."""
    return strings_to_sign(method, headers, resource, expires=expires)[0]


def strings_to_sign(
    method: str, headers: Mapping[str, str], resource: str, *, expires: str | None = None
) -> list[str]:
    """Every reading of the string-to-sign a known client signs, AWS's first."""
    amz = canonical_amz_headers(headers)
    if expires is not None:
        return [_compose(method, headers, expires, amz, resource)]
    amz_date = headers.get("x-amz-date")
    date = _value(headers.get("date", ""))
    if amz_date is None:
        return [_compose(method, headers, date, amz, resource)]
    found = [
        _compose(method, headers, "", amz, resource),
        _compose(
            method,
            headers,
            _value(amz_date),
            canonical_amz_headers(headers, exclude="x-amz-date"),
            resource,
        ),
    ]
    if date:  # botocore (or MinIO's server) with an x-amz-date header added: Date stays
        found.append(_compose(method, headers, date, amz, resource))
    return found


def query_headers(headers: Mapping[str, str], query: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers a presigned URL signs: botocore moves Content-MD5, Content-Type and x-amz-*
    headers (x-amz-security-token above all) into the query; a header sent wins."""
    merged = {k.lower(): v for k, v in headers.items()}
    for name, value in query:
        lowered = name.lower()
        if lowered.startswith("x-amz-") or lowered in ("content-md5", "content-type"):
            merged.setdefault(lowered, value)
    return merged


def sign(secret: str, to_sign: str) -> str:
    """Base64 of HMAC-SHA1 over the UTF-8 string-to-sign."""
    return base64.b64encode(hmac.digest(secret.encode(), to_sign.encode(), "sha1")).decode()


def signatures_equal(expected: str, provided: str) -> bool:
    """Constant-time; compare_digest raises on non-ASCII str, and `provided` is the client's."""
    return hmac.compare_digest(expected.encode(), provided.encode("utf-8", "replace"))


# ---- parsing what the client sent ----------------------------------------------------------


def parse_authorization(value: str) -> tuple[str, str]:
    """`AWS AccessKeyId:Signature` → (access key, signature), else AWS's InvalidArgument."""
    scheme, _, credential = value.strip().partition(" ")
    access_key, colon, signature = credential.strip().partition(":")
    if scheme != SCHEME or not colon or not access_key or not signature:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            ArgumentName="Authorization",
            ArgumentValue=value,
        )
    return access_key, signature


def parse_query(params: Mapping[str, str]) -> tuple[str, str, int]:
    """(access key, signature, expires in epoch seconds) from the decoded query parameters."""
    if not all(params.get(name) for name in QUERY_PARAMS):
        raise S3Error(
            S3ErrorCode.AccessDenied,
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
            "parameters",
        )
    expires = params["Expires"]
    if not expires.isascii() or not expires.isdigit():
        raise S3Error(
            S3ErrorCode.AccessDenied, f"Invalid date (should be seconds since epoch): {expires}"
        )
    # Base64 has no spaces: a '+' the client left unencoded was decoded as one.
    signature = params["Signature"].replace(" ", "+")
    return params["AWSAccessKeyId"], signature, int(expires)
