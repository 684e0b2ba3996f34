"""Objects: DeleteObjects in and out, CopyObjectResult, GetObjectAttributesResponse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from ferry.protocol.xml._xml import (
    children,
    document,
    element,
    format_bool,
    format_timestamp,
    malformed,
    optional_element,
    optional_int_element,
    optional_text,
    parse_bool,
    parse_document,
    parse_int,
    quoted_etag,
    required_text,
    unquote_etag,
)
from ferry.protocol.xml.checksums import NO_CHECKSUMS, Checksums, ChecksumType, render_checksums

MAX_DELETE_OBJECTS = 1000

# ------------------------------------------------------------------------- DeleteObjects


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectIdentifier:
    """One `Object` of a Delete request; `etag`, `last_modified_time` and `size` are the
    optional conditions of a conditional delete (`etag` unquoted)."""

    key: str
    version_id: str | None = None
    etag: str | None = None
    last_modified_time: datetime | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteRequest:
    objects: tuple[ObjectIdentifier, ...]
    quiet: bool = False


def parse_delete(body: bytes) -> DeleteRequest:
    """1 to 1000 `Object`s, else `MalformedXML` as AWS answers."""
    root = parse_document(body, "Delete")
    objects = children(root, "Object")
    if not 1 <= len(objects) <= MAX_DELETE_OBJECTS:
        raise malformed()
    quiet = optional_text(root, "Quiet")
    return DeleteRequest(
        objects=tuple(_parse_identifier(obj) for obj in objects),
        quiet=False if quiet is None else parse_bool(quiet),
    )


def _parse_identifier(obj: Element) -> ObjectIdentifier:
    etag = optional_text(obj, "ETag")
    modified = optional_text(obj, "LastModifiedTime")
    size = optional_text(obj, "Size")
    return ObjectIdentifier(
        key=required_text(obj, "Key"),
        version_id=optional_text(obj, "VersionId"),
        etag=None if etag is None else unquote_etag(etag),
        last_modified_time=None if modified is None else _parse_http_date(modified),
        size=None if size is None else parse_int(size),
    )


def _parse_http_date(text: str) -> datetime:
    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError) as exc:
        raise malformed() from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletedObject:
    """`delete_marker` is true when the delete created or removed a marker."""

    key: str
    version_id: str | None = None
    delete_marker: bool = False
    delete_marker_version_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteError:
    key: str
    code: str
    message: str
    version_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteResult:
    """In quiet mode the handler passes no `deleted` entries."""

    deleted: tuple[DeletedObject, ...] = ()
    errors: tuple[DeleteError, ...] = ()


def render_delete_result(result: DeleteResult) -> bytes:
    deleted = "".join(
        f"<Deleted>{element('Key', entry.key)}"
        + optional_element("VersionId", entry.version_id)
        + ("<DeleteMarker>true</DeleteMarker>" if entry.delete_marker else "")
        + optional_element("DeleteMarkerVersionId", entry.delete_marker_version_id)
        + "</Deleted>"
        for entry in result.deleted
    )
    errors = "".join(
        f"<Error>{element('Key', error.key)}"
        + optional_element("VersionId", error.version_id)
        + element("Code", error.code)
        + element("Message", error.message)
        + "</Error>"
        for error in result.errors
    )
    return document("DeleteResult", deleted + errors)


# ---------------------------------------------------------------------------- CopyObject


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyObjectResult:
    etag: str
    last_modified: datetime
    checksums: Checksums = NO_CHECKSUMS
    checksum_type: ChecksumType | None = None


def render_copy_object_result(result: CopyObjectResult) -> bytes:
    return document(
        "CopyObjectResult",
        f"<LastModified>{format_timestamp(result.last_modified)}</LastModified>"
        f"<ETag>{quoted_etag(result.etag)}</ETag>"
        + ("" if result.checksum_type is None else element("ChecksumType", result.checksum_type))
        + render_checksums(result.checksums),
    )


# ------------------------------------------------------------------- GetObjectAttributes


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectPart:
    part_number: int
    size: int
    checksums: Checksums = NO_CHECKSUMS


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectParts:
    parts_count: int
    part_number_marker: int = 0
    next_part_number_marker: int | None = None
    max_parts: int = 1000
    is_truncated: bool = False
    parts: tuple[ObjectPart, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectAttributes:
    """Only the attributes the request asked for are set; None ones are left out.

    Unlike everywhere else, AWS writes this `ETag` without quotes.
    """

    etag: str | None = None
    checksums: Checksums | None = None
    checksum_type: ChecksumType | None = None
    object_parts: ObjectParts | None = None
    storage_class: str | None = None
    object_size: int | None = None


def render_object_attributes(attributes: ObjectAttributes) -> bytes:
    body = optional_element("ETag", attributes.etag)
    checksums = attributes.checksums or NO_CHECKSUMS
    if not checksums.is_empty or attributes.checksum_type is not None:
        kind = attributes.checksum_type
        body += (
            f"<Checksum>{render_checksums(checksums)}"
            + ("" if kind is None else element("ChecksumType", kind))
            + "</Checksum>"
        )
    if attributes.object_parts is not None:
        body += _render_object_parts(attributes.object_parts)
    body += optional_element("StorageClass", attributes.storage_class)
    if attributes.object_size is not None:
        body += f"<ObjectSize>{attributes.object_size}</ObjectSize>"
    return document("GetObjectAttributesResponse", body)


def _render_object_parts(parts: ObjectParts) -> str:
    next_marker = parts.next_part_number_marker
    return (
        f"<ObjectParts><PartsCount>{parts.parts_count}</PartsCount>"
        f"<PartNumberMarker>{parts.part_number_marker}</PartNumberMarker>"
        + optional_int_element("NextPartNumberMarker", next_marker)
        + f"<MaxParts>{parts.max_parts}</MaxParts>"
        f"<IsTruncated>{format_bool(parts.is_truncated)}</IsTruncated>"
        + "".join(
            f"<Part><PartNumber>{part.part_number}</PartNumber><Size>{part.size}</Size>"
            f"{render_checksums(part.checksums)}</Part>"
            for part in parts.parts
        )
        + "</ObjectParts>"
    )
