"""Listings: ListBucketResult (ListObjects v1 and v2) and ListVersionsResult.

The hot path of the whole package: a full page is a thousand entries, so each entry is
one f-string. With `encoding_type=URL` the names S3 encodes (keys, prefixes, delimiter,
markers, start-after; never tokens or version IDs) are URL-encoded as S3 encodes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ferry.protocol.xml._xml import (
    document,
    escape,
    format_bool,
    format_timestamp,
    optional_element,
)
from ferry.protocol.xml.checksums import ChecksumAlgorithm, ChecksumType, render_algorithm_and_type
from ferry.protocol.xml.encoding import (
    EncodingType,
    encode_name,
    encoding_type_element,
    name_element,
    render_common_prefixes,
)
from ferry.protocol.xml.owner import Owner, OwnerMemo

STANDARD = "STANDARD"


@dataclass(frozen=True, slots=True, kw_only=True)
class ListedObject:
    """One `Contents` entry; `etag` unquoted."""

    key: str
    last_modified: datetime
    etag: str
    size: int
    storage_class: str = STANDARD
    checksum_algorithm: ChecksumAlgorithm | None = None
    checksum_type: ChecksumType | None = None
    owner: Owner | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListObjectsResult:
    """ListObjects (v1). `next_marker` is written only when a delimiter was given, as S3
    does; without one, clients continue from the last key."""

    name: str
    prefix: str = ""
    delimiter: str | None = None
    marker: str = ""
    next_marker: str | None = None
    max_keys: int = 1000
    is_truncated: bool = False
    encoding_type: EncodingType | None = None
    contents: tuple[ListedObject, ...] = ()
    common_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ListObjectsV2Result:
    """ListObjectsV2. Owners are written only with `fetch_owner`; `KeyCount` is computed."""

    name: str
    prefix: str = ""
    delimiter: str | None = None
    max_keys: int = 1000
    is_truncated: bool = False
    continuation_token: str | None = None
    next_continuation_token: str | None = None
    start_after: str | None = None
    fetch_owner: bool = False
    encoding_type: EncodingType | None = None
    contents: tuple[ListedObject, ...] = ()
    common_prefixes: tuple[str, ...] = ()

    @property
    def key_count(self) -> int:
        return len(self.contents) + len(self.common_prefixes)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListedVersion:
    key: str
    version_id: str
    is_latest: bool
    last_modified: datetime
    etag: str
    size: int
    storage_class: str = STANDARD
    checksum_algorithm: ChecksumAlgorithm | None = None
    checksum_type: ChecksumType | None = None
    owner: Owner | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListedDeleteMarker:
    key: str
    version_id: str
    is_latest: bool
    last_modified: datetime
    owner: Owner | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListObjectVersionsResult:
    """ListObjectVersions; `versions` interleaves versions and delete markers in key order,
    newest first within a key, and is written in that order."""

    name: str
    prefix: str = ""
    delimiter: str | None = None
    key_marker: str = ""
    version_id_marker: str = ""
    next_key_marker: str | None = None
    next_version_id_marker: str | None = None
    max_keys: int = 1000
    is_truncated: bool = False
    encoding_type: EncodingType | None = None
    versions: tuple[ListedVersion | ListedDeleteMarker, ...] = ()
    common_prefixes: tuple[str, ...] = ()


def render_list_objects(result: ListObjectsResult) -> bytes:
    enc = result.encoding_type
    next_marker = result.next_marker if result.delimiter is not None else None
    head = (
        f"<Name>{escape(result.name)}</Name>"
        f"<Prefix>{encode_name(result.prefix, enc)}</Prefix>"
        f"<Marker>{encode_name(result.marker, enc)}</Marker>"
        + name_element("NextMarker", next_marker, enc)
        + f"<MaxKeys>{result.max_keys}</MaxKeys>"
        + name_element("Delimiter", result.delimiter, enc)
        + encoding_type_element(enc)
        + f"<IsTruncated>{format_bool(result.is_truncated)}</IsTruncated>"
    )
    contents = _render_contents(result.contents, enc, with_owner=True)
    prefixes = render_common_prefixes(result.common_prefixes, enc)
    return document("ListBucketResult", head + contents + prefixes)


def render_list_objects_v2(result: ListObjectsV2Result) -> bytes:
    enc = result.encoding_type
    head = (
        f"<Name>{escape(result.name)}</Name>"
        f"<Prefix>{encode_name(result.prefix, enc)}</Prefix>"
        + optional_element("ContinuationToken", result.continuation_token)
        + optional_element("NextContinuationToken", result.next_continuation_token)
        + name_element("StartAfter", result.start_after, enc)
        + f"<KeyCount>{result.key_count}</KeyCount>"
        f"<MaxKeys>{result.max_keys}</MaxKeys>"
        + name_element("Delimiter", result.delimiter, enc)
        + encoding_type_element(enc)
        + f"<IsTruncated>{format_bool(result.is_truncated)}</IsTruncated>"
    )
    contents = _render_contents(result.contents, enc, with_owner=result.fetch_owner)
    prefixes = render_common_prefixes(result.common_prefixes, enc)
    return document("ListBucketResult", head + contents + prefixes)


def render_list_object_versions(result: ListObjectVersionsResult) -> bytes:
    enc = result.encoding_type
    head = (
        f"<Name>{escape(result.name)}</Name>"
        f"<Prefix>{encode_name(result.prefix, enc)}</Prefix>"
        f"<KeyMarker>{encode_name(result.key_marker, enc)}</KeyMarker>"
        f"<VersionIdMarker>{escape(result.version_id_marker)}</VersionIdMarker>"
        + name_element("NextKeyMarker", result.next_key_marker, enc)
        + optional_element("NextVersionIdMarker", result.next_version_id_marker)
        + f"<MaxKeys>{result.max_keys}</MaxKeys>"
        + name_element("Delimiter", result.delimiter, enc)
        + encoding_type_element(enc)
        + f"<IsTruncated>{format_bool(result.is_truncated)}</IsTruncated>"
    )
    versions = _render_versions(result.versions, enc)
    prefixes = render_common_prefixes(result.common_prefixes, enc)
    return document("ListVersionsResult", head + versions + prefixes)


def _render_contents(
    contents: tuple[ListedObject, ...], enc: EncodingType | None, *, with_owner: bool
) -> str:
    owners = OwnerMemo()
    return "".join(
        f"<Contents><Key>{encode_name(obj.key, enc)}</Key>"
        f"<LastModified>{format_timestamp(obj.last_modified)}</LastModified>"
        f"<ETag>&quot;{escape(obj.etag)}&quot;</ETag>"
        f"{render_algorithm_and_type(obj.checksum_algorithm, obj.checksum_type)}"
        f"<Size>{obj.size}</Size><StorageClass>{escape(obj.storage_class)}</StorageClass>"
        f"{owners.render(obj.owner) if with_owner else ''}</Contents>"
        for obj in contents
    )


def _render_versions(
    versions: tuple[ListedVersion | ListedDeleteMarker, ...], enc: EncodingType | None
) -> str:
    owners = OwnerMemo()
    parts = []
    for entry in versions:
        head = (
            f"<Key>{encode_name(entry.key, enc)}</Key>"
            f"<VersionId>{escape(entry.version_id)}</VersionId>"
            f"<IsLatest>{format_bool(entry.is_latest)}</IsLatest>"
            f"<LastModified>{format_timestamp(entry.last_modified)}</LastModified>"
        )
        if isinstance(entry, ListedVersion):
            parts.append(
                f"<Version>{head}<ETag>&quot;{escape(entry.etag)}&quot;</ETag>"
                f"{render_algorithm_and_type(entry.checksum_algorithm, entry.checksum_type)}"
                f"<Size>{entry.size}</Size>"
                f"<StorageClass>{escape(entry.storage_class)}</StorageClass>"
                f"{owners.render(entry.owner)}</Version>"
            )
        else:
            parts.append(f"<DeleteMarker>{head}{owners.render(entry.owner)}</DeleteMarker>")
    return "".join(parts)
