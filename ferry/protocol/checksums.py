"""S3 checksum algorithms, their header names, and the multipart combinations.

CRC32 comes from zlib; CRC32C and CRC64NVME from awscrt, the library botocore itself uses, so
our values are byte-for-byte what SDKs compute. Digests travel as raw big-endian bytes and
appear on the wire base64-encoded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import lru_cache
from typing import Any

from awscrt import checksums as crt

CHECKSUM_HEADER_PREFIX = "x-amz-checksum-"


class ChecksumAlgorithm(StrEnum):
    CRC32 = "CRC32"
    CRC32C = "CRC32C"
    CRC64NVME = "CRC64NVME"
    SHA1 = "SHA1"
    SHA256 = "SHA256"

    @property
    def header(self) -> str:
        """`x-amz-checksum-crc32`, ...: the request/response header and trailer name."""
        return CHECKSUM_HEADER_PREFIX + self.value.lower()

    @property
    def digest_size(self) -> int:
        return _DIGEST_SIZE[self]

    @property
    def is_crc(self) -> bool:
        return self.value.startswith("CRC")


class ChecksumType(StrEnum):
    """How a multipart upload's object checksum relates to its parts' checksums."""

    COMPOSITE = "COMPOSITE"
    FULL_OBJECT = "FULL_OBJECT"


_A = ChecksumAlgorithm
_DIGEST_SIZE = {_A.CRC32: 4, _A.CRC32C: 4, _A.CRC64NVME: 8, _A.SHA1: 20, _A.SHA256: 32}
_BY_NAME = {a.value: a for a in ChecksumAlgorithm}
_BY_HEADER = {a.header: a for a in ChecksumAlgorithm}
CHECKSUM_HEADERS = tuple(_BY_HEADER)

_CRC_UPDATE: dict[ChecksumAlgorithm, Callable[[Any, int], int]] = {
    _A.CRC32: zlib.crc32,
    _A.CRC32C: crt.crc32c,
    _A.CRC64NVME: crt.crc64nvme,
}
_HASH_NEW = {_A.SHA1: hashlib.sha1, _A.SHA256: hashlib.sha256}


def parse_checksum_algorithm(name: str) -> ChecksumAlgorithm | None:
    """An algorithm name as clients spell it (x-amz-sdk-checksum-algorithm is case-insensitive)."""
    return _BY_NAME.get(name.upper())


def algorithm_for_header(header: str) -> ChecksumAlgorithm | None:
    """`x-amz-checksum-crc32` → CRC32; None for other names (x-amz-checksum-type, ...)."""
    return _BY_HEADER.get(header.lower())


class Checksum:
    """An incremental checksum: `update` chunks in order, then `digest` or `b64`."""

    __slots__ = ("_crc", "_crc_update", "_hash", "algorithm")

    def __init__(self, algorithm: ChecksumAlgorithm) -> None:
        self.algorithm = algorithm
        self._crc = 0
        self._crc_update = _CRC_UPDATE.get(algorithm)
        self._hash = None if self._crc_update else _HASH_NEW[algorithm]()

    def update(self, chunk: bytes) -> None:
        if self._hash is not None:
            self._hash.update(chunk)
        else:
            assert self._crc_update is not None
            self._crc = self._crc_update(chunk, self._crc)

    def digest(self) -> bytes:
        if self._hash is not None:
            return self._hash.digest()
        return self._crc.to_bytes(_DIGEST_SIZE[self.algorithm], "big")

    def b64(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


def compute_checksum(algorithm: ChecksumAlgorithm, data: bytes) -> bytes:
    checksum = Checksum(algorithm)
    checksum.update(data)
    return checksum.digest()


def decode_checksum(algorithm: ChecksumAlgorithm, value: str) -> bytes | None:
    """The raw digest in a base64 header value, or None if it is not one of this algorithm."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == _DIGEST_SIZE[algorithm] else None


# ---- multipart -----------------------------------------------------------------------------


def composite_checksum(algorithm: ChecksumAlgorithm, part_digests: Iterable[bytes]) -> str:
    """COMPOSITE object checksum: base64(H(concat(raw part digests))) + "-N"."""
    checksum = Checksum(algorithm)
    count = 0
    for digest in part_digests:
        checksum.update(digest)
        count += 1
    return f"{checksum.b64()}-{count}"


def multipart_etag(part_md5s: Iterable[bytes]) -> str:
    """md5(concat(binary part MD5s)).hex() + "-N", unquoted."""
    md5 = hashlib.md5(usedforsecurity=False)
    count = 0
    for digest in part_md5s:
        md5.update(digest)
        count += 1
    return f"{md5.hexdigest()}-{count}"


# Reflected polynomials and widths, for the pure-Python combine below.
_CRC_POLY = {
    _A.CRC32: (0xEDB88320, 32),
    _A.CRC32C: (0x82F63B78, 32),
    _A.CRC64NVME: (0x9A6C9329AC4BC9B5, 64),
}


def _multiply_mod_p(a: int, b: int, poly: int, width: int) -> int:
    # a * b modulo the CRC polynomial, in the reflected bit order CRCs use (zlib's multmodp).
    m = 1 << (width - 1)  # x^0 is the top bit
    product = 0
    while a:
        if a & m:
            product ^= b
            a ^= m
        m >>= 1
        b = (b >> 1) ^ poly if b & 1 else b >> 1
    return product


@lru_cache(maxsize=256)
def _x_pow_8n(algorithm: ChecksumAlgorithm, length: int) -> int:
    # x^(8 * length) mod p by square-and-multiply; cached because parts usually share a size.
    poly, width = _CRC_POLY[algorithm]
    result = 1 << (width - 1)  # x^0
    square = 1 << (width - 2)  # x^1
    exponent = 8 * length
    while exponent:
        if exponent & 1:
            result = _multiply_mod_p(square, result, poly, width)
        square = _multiply_mod_p(square, square, poly, width)
        exponent >>= 1
    return result


def crc_combine_pure(algorithm: ChecksumAlgorithm, crc1: int, crc2: int, length2: int) -> int:
    """CRC(A || B) from CRC(A), CRC(B) and len(B), for installs whose awscrt lacks combine."""
    poly, width = _CRC_POLY[algorithm]
    return _multiply_mod_p(_x_pow_8n(algorithm, length2), crc1, poly, width) ^ crc2


def _combiner(algorithm: ChecksumAlgorithm, name: str) -> Callable[[int, int, int], int]:
    native: Callable[[int, int, int], int] | None = getattr(crt, name, None)
    if native is not None:
        return native
    return lambda crc1, crc2, length2: crc_combine_pure(algorithm, crc1, crc2, length2)


# awscrt added combine_* in 0.2x; pyproject allows older releases, hence the fallback.
_CRC_COMBINE = {
    _A.CRC32: _combiner(_A.CRC32, "combine_crc32"),
    _A.CRC32C: _combiner(_A.CRC32C, "combine_crc32c"),
    _A.CRC64NVME: _combiner(_A.CRC64NVME, "combine_crc64nvme"),
}


def full_object_crc(algorithm: ChecksumAlgorithm, parts: Iterable[tuple[bytes, int]]) -> bytes:
    """FULL_OBJECT checksum of a multipart object from (raw part CRC, part length) pairs:
    the CRC of the concatenated data, without reading it again."""
    combine = _CRC_COMBINE.get(algorithm)
    if combine is None:
        raise ValueError(f"{algorithm} checksums cannot be combined into a full-object checksum")
    size = _DIGEST_SIZE[algorithm]
    crc = 0
    for digest, length in parts:
        crc = combine(crc, int.from_bytes(digest, "big"), length)
    return crc.to_bytes(size, "big")
