"""Multipart uploads: initiate, complete, copy a part, list parts, list uploads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.etree.ElementTree import Element

from ferry.protocol.xml._xml import (
    children,
    document,
    element,
    escape,
    format_bool,
    format_timestamp,
    malformed,
    optional_element,
    optional_int_element,
    parse_document,
    parse_int,
    quoted_etag,
    required_text,
    unquote_etag,
)
from ferry.protocol.xml.checksums import (
    NO_CHECKSUMS,
    ChecksumAlgorithm,
    Checksums,
    ChecksumType,
    parse_checksums,
    render_algorithm_and_type,
    render_checksums,
)
from ferry.protocol.xml.encoding import (
    EncodingType,
    encode_name,
    encoding_type_element,
    name_element,
    render_common_prefixes,
)
from ferry.protocol.xml.owner import Owner, OwnerMemo, render_owner

STANDARD = "STANDARD"

# ------------------------------------------------------------------ CreateMultipartUpload


@dataclass(frozen=True, slots=True, kw_only=True)
class InitiateMultipartUploadResult:
    bucket: str
    key: str
    upload_id: str


def render_initiate_multipart_upload(result: InitiateMultipartUploadResult) -> bytes:
    return document(
        "InitiateMultipartUploadResult",
        element("Bucket", result.bucket)
        + element("Key", result.key)
        + element("UploadId", result.upload_id),
    )


# ---------------------------------------------------------------- CompleteMultipartUpload


@dataclass(frozen=True, slots=True, kw_only=True)
class CompletedPart:
    """A part as the client lists it; `etag` unquoted whatever the client sent."""

    part_number: int
    etag: str
    checksums: Checksums = NO_CHECKSUMS


@dataclass(frozen=True, slots=True, kw_only=True)
class CompleteMultipartUpload:
    """The parts in the order given; checking that order is the handler's (InvalidPartOrder)."""

    parts: tuple[CompletedPart, ...]


def parse_complete_multipart_upload(body: bytes) -> CompleteMultipartUpload:
    """At least one `Part`, each with `PartNumber` and `ETag`; else `MalformedXML`."""
    root = parse_document(body, "CompleteMultipartUpload")
    parts = children(root, "Part")
    if not parts:
        raise malformed()
    return CompleteMultipartUpload(parts=tuple(_parse_part(part) for part in parts))


def _parse_part(part: Element) -> CompletedPart:
    return CompletedPart(
        part_number=parse_int(required_text(part, "PartNumber")),
        etag=unquote_etag(required_text(part, "ETag")),
        checksums=parse_checksums(part),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CompleteMultipartUploadResult:
    location: str
    bucket: str
    key: str
    etag: str
    checksums: Checksums = NO_CHECKSUMS
    checksum_type: ChecksumType | None = None


def render_complete_multipart_upload(result: CompleteMultipartUploadResult) -> bytes:
    kind = result.checksum_type
    return document(
        "CompleteMultipartUploadResult",
        element("Location", result.location)
        + element("Bucket", result.bucket)
        + element("Key", result.key)
        + f"<ETag>{quoted_etag(result.etag)}</ETag>"
        + render_checksums(result.checksums)
        + ("" if kind is None else f"<ChecksumType>{kind.value}</ChecksumType>"),
    )


# ------------------------------------------------------------------------ UploadPartCopy


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyPartResult:
    etag: str
    last_modified: datetime
    checksums: Checksums = NO_CHECKSUMS


def render_copy_part_result(result: CopyPartResult) -> bytes:
    return document(
        "CopyPartResult",
        f"<LastModified>{format_timestamp(result.last_modified)}</LastModified>"
        f"<ETag>{quoted_etag(result.etag)}</ETag>" + render_checksums(result.checksums),
    )


# ----------------------------------------------------------------------------- ListParts


@dataclass(frozen=True, slots=True, kw_only=True)
class ListedPart:
    part_number: int
    last_modified: datetime
    etag: str
    size: int
    checksums: Checksums = NO_CHECKSUMS


@dataclass(frozen=True, slots=True, kw_only=True)
class ListPartsResult:
    bucket: str
    key: str
    upload_id: str
    initiator: Owner
    owner: Owner
    storage_class: str = STANDARD
    part_number_marker: int = 0
    next_part_number_marker: int | None = None
    max_parts: int = 1000
    is_truncated: bool = False
    parts: tuple[ListedPart, ...] = ()
    checksum_algorithm: ChecksumAlgorithm | None = None
    checksum_type: ChecksumType | None = None


def render_list_parts(result: ListPartsResult) -> bytes:
    next_marker = result.next_part_number_marker
    parts = "".join(
        f"<Part><PartNumber>{part.part_number}</PartNumber>"
        f"<LastModified>{format_timestamp(part.last_modified)}</LastModified>"
        f"<ETag>{quoted_etag(part.etag)}</ETag><Size>{part.size}</Size>"
        f"{render_checksums(part.checksums)}</Part>"
        for part in result.parts
    )
    return document(
        "ListPartsResult",
        element("Bucket", result.bucket)
        + element("Key", result.key)
        + element("UploadId", result.upload_id)
        + render_owner(result.initiator, "Initiator")
        + render_owner(result.owner)
        + element("StorageClass", result.storage_class)
        + f"<PartNumberMarker>{result.part_number_marker}</PartNumberMarker>"
        + optional_int_element("NextPartNumberMarker", next_marker)
        + f"<MaxParts>{result.max_parts}</MaxParts>"
        f"<IsTruncated>{format_bool(result.is_truncated)}</IsTruncated>"
        + parts
        + render_algorithm_and_type(result.checksum_algorithm, result.checksum_type),
    )


# ------------------------------------------------------------------ ListMultipartUploads


@dataclass(frozen=True, slots=True, kw_only=True)
class ListedUpload:
    key: str
    upload_id: str
    initiator: Owner
    owner: Owner
    initiated: datetime
    storage_class: str = STANDARD
    checksum_algorithm: ChecksumAlgorithm | None = None
    checksum_type: ChecksumType | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListMultipartUploadsResult:
    """With `encoding_type=URL`, keys, prefixes, the delimiter and key markers are encoded."""

    bucket: str
    key_marker: str = ""
    upload_id_marker: str = ""
    next_key_marker: str | None = None
    next_upload_id_marker: str | None = None
    prefix: str = ""
    delimiter: str | None = None
    max_uploads: int = 1000
    is_truncated: bool = False
    encoding_type: EncodingType | None = None
    uploads: tuple[ListedUpload, ...] = ()
    common_prefixes: tuple[str, ...] = ()


def render_list_multipart_uploads(result: ListMultipartUploadsResult) -> bytes:
    enc = result.encoding_type
    head = (
        element("Bucket", result.bucket)
        + f"<KeyMarker>{encode_name(result.key_marker, enc)}</KeyMarker>"
        + element("UploadIdMarker", result.upload_id_marker)
        + name_element("NextKeyMarker", result.next_key_marker, enc)
        + optional_element("NextUploadIdMarker", result.next_upload_id_marker)
        + name_element("Delimiter", result.delimiter, enc)
        + f"<Prefix>{encode_name(result.prefix, enc)}</Prefix>"
        + f"<MaxUploads>{result.max_uploads}</MaxUploads>"
        + encoding_type_element(enc)
        + f"<IsTruncated>{format_bool(result.is_truncated)}</IsTruncated>"
    )
    initiators, owners = OwnerMemo("Initiator"), OwnerMemo()
    uploads = "".join(
        f"<Upload><Key>{encode_name(upload.key, enc)}</Key>"
        f"<UploadId>{escape(upload.upload_id)}</UploadId>"
        f"{initiators.render(upload.initiator)}{owners.render(upload.owner)}"
        f"<StorageClass>{escape(upload.storage_class)}</StorageClass>"
        f"<Initiated>{format_timestamp(upload.initiated)}</Initiated>"
        f"{render_algorithm_and_type(upload.checksum_algorithm, upload.checksum_type)}"
        "</Upload>"
        for upload in result.uploads
    )
    prefixes = render_common_prefixes(result.common_prefixes, enc)
    return document("ListMultipartUploadsResult", head + uploads + prefixes)
