"""Object headers in and out: content headers, user metadata, conditions, ranges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.mime_words import decode_metadata_value, encode_metadata_value
from ferry.store import Pairs, Version
from ferry.store.errors import InvalidRange, PreconditionFailed

CONTENT_HEADERS = (
    "content-type",
    "content-encoding",
    "content-disposition",
    "content-language",
    "cache-control",
    "expires",
    "x-amz-website-redirect-location",
)
META_PREFIX = "x-amz-meta-"
MAX_USER_METADATA_BYTES = 2 * 1024
DEFAULT_CONTENT_TYPE = "binary/octet-stream"
STORAGE_CLASSES = frozenset(
    {
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
        "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
    }
)  # fmt: skip
RESPONSE_OVERRIDES = {
    "response-content-type": "content-type",
    "response-content-language": "content-language",
    "response-expires": "expires",
    "response-cache-control": "cache-control",
    "response-content-disposition": "content-disposition",
    "response-content-encoding": "content-encoding",
}


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def parse_content_headers(headers: Mapping[str, str]) -> Pairs:
    out = []
    for name in CONTENT_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        if name == "content-encoding":
            # aws-chunked is transport framing, not a property of the object.
            codings = [c.strip() for c in value.split(",") if c.strip() != "aws-chunked"]
            if not codings:
                continue
            value = ",".join(codings)
        out.append((name, value))
    return tuple(out)


def parse_user_metadata(headers: Mapping[str, str]) -> Pairs:
    """`x-amz-meta-*`, values decoded to Unicode as S3 stores them (protocol/mime_words.py)."""
    pairs = tuple(
        (name[len(META_PREFIX) :], decode_metadata_value(value))
        for name, value in headers.items()
        if name.startswith(META_PREFIX)
    )
    size = sum(len(k.encode()) + len(v.encode()) for k, v in pairs)
    if size > MAX_USER_METADATA_BYTES:
        raise S3Error(S3ErrorCode.MetadataTooLarge, Size=size, MaxSizeAllowed=2048)
    return pairs


def parse_storage_class(headers: Mapping[str, str]) -> str:
    value = headers.get("x-amz-storage-class", "STANDARD")
    if value not in STORAGE_CLASSES:
        raise S3Error(S3ErrorCode.InvalidStorageClass, StorageClassRequested=value)
    return value


def version_headers(version: Version, *, versioned_bucket: bool) -> list[tuple[str, str]]:
    """Headers GET and HEAD return for a version (without length/range)."""
    attrs = version.attrs
    out = [
        ("etag", f'"{attrs.etag}"'),
        ("last-modified", http_date(version.last_modified)),
        ("accept-ranges", "bytes"),
    ]
    content = dict(attrs.content_headers)
    out.append(("content-type", content.pop("content-type", DEFAULT_CONTENT_TYPE)))
    out.extend(content.items())
    out.extend((META_PREFIX + k, encode_metadata_value(v)) for k, v in attrs.user_metadata)
    if versioned_bucket or version.version_id != "null":
        out.append(("x-amz-version-id", version.version_id))
    if attrs.storage_class != "STANDARD":
        out.append(("x-amz-storage-class", attrs.storage_class))
    if attrs.tags:
        out.append(("x-amz-tagging-count", str(len(attrs.tags))))
    if attrs.replication_status:
        out.append(("x-amz-replication-status", attrs.replication_status))
    return out


def checksum_headers(version: Version) -> list[tuple[str, str]]:
    attrs = version.attrs
    if not attrs.checksum_algorithm or not attrs.checksum_value:
        return []
    out = [(f"x-amz-checksum-{attrs.checksum_algorithm.lower()}", attrs.checksum_value)]
    if attrs.checksum_type:
        out.append(("x-amz-checksum-type", attrs.checksum_type))
    return out


def _parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # S3 ignores unparseable dates


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [c.strip().removeprefix("W/").strip('"') for c in header.split(",")]
    return "*" in candidates or etag in candidates


def check_read_conditions(headers: Mapping[str, str], version: Version, prefix: str = "") -> None:
    """RFC 7232 as S3 applies it: If-Match/If-Unmodified-Since → 412; If-None-Match/
    If-Modified-Since → 304 (412 for copy sources, which use the x-amz-copy-source- prefix)."""
    etag = version.attrs.etag
    modified = version.last_modified.replace(microsecond=0)
    if_match = headers.get(prefix + "if-match")
    if_none_match = headers.get(prefix + "if-none-match")
    since = _parse_http_date(headers.get(prefix + "if-modified-since"))
    unmodified = _parse_http_date(headers.get(prefix + "if-unmodified-since"))
    if if_match is not None:
        if not _etag_matches(if_match, etag):
            raise PreconditionFailed(condition="If-Match")
    elif unmodified is not None and modified > unmodified:
        raise PreconditionFailed(condition="If-Unmodified-Since")
    if if_none_match is not None:
        if _etag_matches(if_none_match, etag):
            _not_modified(version, "If-None-Match", copy_source=bool(prefix))
    elif since is not None and modified <= since:
        _not_modified(version, "If-Modified-Since", copy_source=bool(prefix))


def _not_modified(version: Version, condition: str, *, copy_source: bool) -> None:
    """304 with the validators a cache needs (RFC 9110 §15.4.5: ETag, Last-Modified), as AWS
    sends them; a copy source answers 412 instead."""
    if copy_source:
        raise PreconditionFailed(condition=condition)
    headers = {"etag": f'"{version.attrs.etag}"', "last-modified": http_date(version.last_modified)}
    raise S3Error(S3ErrorCode.NotModified, headers=headers)


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # exclusive


def parse_range(value: str | None, size: int) -> ByteRange | None:
    """`bytes=a-b`, `bytes=a-`, `bytes=-n`. Syntax S3 does not understand is ignored."""
    if not value or not value.startswith("bytes="):
        return None
    spec = value[len("bytes=") :].strip()
    if "," in spec:
        return None  # multiple ranges: S3 serves the whole object
    first, dash, last = spec.partition("-")
    if not dash:
        return None
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                raise InvalidRange(actual_size=size)
            return ByteRange(max(0, size - suffix), size) if size else _unsatisfiable(size)
        start = int(first)
        end = int(last) + 1 if last else size
    except ValueError:
        return None
    if start < 0 or (last and end <= start):
        return None
    if start >= size:
        _unsatisfiable(size)
    return ByteRange(start, min(end, size))


def _unsatisfiable(size: int) -> ByteRange:
    raise InvalidRange(actual_size=size)
