"""The flexible-checksum fields S3 repeats in objects, parts and copy results."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from xml.etree.ElementTree import Element

from ferry.protocol.xml._xml import escape, optional_text


class ChecksumAlgorithm(StrEnum):
    CRC32 = "CRC32"
    CRC32C = "CRC32C"
    CRC64NVME = "CRC64NVME"
    SHA1 = "SHA1"
    SHA256 = "SHA256"
    SHA512 = "SHA512"
    MD5 = "MD5"
    XXHASH64 = "XXHASH64"
    XXHASH3 = "XXHASH3"
    XXHASH128 = "XXHASH128"


class ChecksumType(StrEnum):
    COMPOSITE = "COMPOSITE"
    FULL_OBJECT = "FULL_OBJECT"


@dataclass(frozen=True, slots=True, kw_only=True)
class Checksums:
    """Base64 checksum values, one per algorithm; None where not computed."""

    crc32: str | None = None
    crc32c: str | None = None
    crc64nvme: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    sha512: str | None = None
    md5: str | None = None
    xxhash64: str | None = None
    xxhash3: str | None = None
    xxhash128: str | None = None

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name, _ in _ELEMENTS)


NO_CHECKSUMS = Checksums()

# (dataclass field, XML element), in the order the service model lists them.
_ELEMENTS: tuple[tuple[str, str], ...] = tuple(
    (field.name, "Checksum" + field.name.upper()) for field in fields(Checksums)
)


def render_checksums(checksums: Checksums) -> str:
    """`<ChecksumCRC32>…</ChecksumCRC32>…` for every value present."""
    if checksums is NO_CHECKSUMS:
        return ""
    parts = []
    for name, tag in _ELEMENTS:
        value = getattr(checksums, name)
        if value is not None:
            parts.append(f"<{tag}>{escape(value)}</{tag}>")
    return "".join(parts)


def parse_checksums(parent: Element) -> Checksums:
    """The `Checksum*` children of `parent` (a CompleteMultipartUpload `Part`, say)."""
    values = {name: optional_text(parent, tag) for name, tag in _ELEMENTS}
    if all(value is None for value in values.values()):
        return NO_CHECKSUMS
    return Checksums(**values)


def render_algorithm_and_type(
    algorithm: ChecksumAlgorithm | None, checksum_type: ChecksumType | None
) -> str:
    """`<ChecksumAlgorithm/><ChecksumType/>`, each only when known (listings, uploads)."""
    text = "" if algorithm is None else f"<ChecksumAlgorithm>{algorithm.value}</ChecksumAlgorithm>"
    if checksum_type is not None:
        text += f"<ChecksumType>{checksum_type.value}</ChecksumType>"
    return text
