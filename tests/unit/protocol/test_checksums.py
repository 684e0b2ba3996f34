from __future__ import annotations

import base64
import hashlib
import os

import pytest
from botocore.httpchecksum import (
    BaseChecksum,
    Crc32Checksum,
    CrtCrc32cChecksum,
    CrtCrc32Checksum,
    CrtCrc64NvmeChecksum,
    Sha1Checksum,
    Sha256Checksum,
)

from ferry.protocol import checksums
from ferry.protocol.checksums import Checksum, ChecksumAlgorithm

A = ChecksumAlgorithm
BOTOCORE: dict[ChecksumAlgorithm, type[BaseChecksum]] = {
    A.CRC32: Crc32Checksum,
    A.CRC32C: CrtCrc32cChecksum,
    A.CRC64NVME: CrtCrc64NvmeChecksum,
    A.SHA1: Sha1Checksum,
    A.SHA256: Sha256Checksum,
}
CRCS = [A.CRC32, A.CRC32C, A.CRC64NVME]


@pytest.mark.parametrize(
    ("algorithm", "value"),
    [
        (A.CRC32, 0xCBF43926),
        (A.CRC32C, 0xE3069283),
        (A.CRC64NVME, 0xAE8B14860A799888),
    ],
)
def test_crc_check_values(algorithm: ChecksumAlgorithm, value: int) -> None:
    digest = checksums.compute_checksum(algorithm, b"123456789")
    assert digest == value.to_bytes(algorithm.digest_size, "big")


def test_crc64nvme_of_zeros_and_aws_crc32c_example() -> None:
    assert checksums.compute_checksum(A.CRC64NVME, bytes(32)).hex() == "cf3473434d4ecf3b"
    # The trailer in AWS's sigv4-streaming-trailers example: CRC32C of 66560 'a's.
    checksum = Checksum(A.CRC32C)
    checksum.update(b"a" * 65536)
    checksum.update(b"a" * 1024)
    assert checksum.b64() == "sOO8/Q=="


@pytest.mark.parametrize("algorithm", list(ChecksumAlgorithm))
@pytest.mark.parametrize("size", [0, 1, 1000, 70001])
def test_checksum_matches_botocore(algorithm: ChecksumAlgorithm, size: int) -> None:
    data = os.urandom(size)
    ours = Checksum(algorithm)
    for start in range(0, size, 4096):
        ours.update(data[start : start + 4096])
    theirs = BOTOCORE[algorithm]()
    theirs.update(data)
    assert ours.digest() == theirs.digest()
    assert ours.b64() == theirs.b64digest()
    assert len(ours.digest()) == algorithm.digest_size


def test_crt_crc32_agrees_with_zlib() -> None:
    theirs = CrtCrc32Checksum()
    theirs.update(b"ferry")
    assert checksums.compute_checksum(A.CRC32, b"ferry") == theirs.digest()


def test_header_names_and_parsing() -> None:
    assert A.CRC32.header == "x-amz-checksum-crc32"
    assert A.CRC64NVME.header == "x-amz-checksum-crc64nvme"
    assert tuple(a.header for a in ChecksumAlgorithm) == checksums.CHECKSUM_HEADERS
    assert checksums.algorithm_for_header("X-Amz-Checksum-SHA256") is A.SHA256
    assert checksums.algorithm_for_header("x-amz-checksum-type") is None
    assert checksums.parse_checksum_algorithm("crc32c") is A.CRC32C
    assert checksums.parse_checksum_algorithm("MD5") is None
    assert A.CRC32.is_crc and not A.SHA1.is_crc


def test_decode_checksum_checks_base64_and_length() -> None:
    assert checksums.decode_checksum(A.CRC32C, "sOO8/Q==") == base64.b64decode("sOO8/Q==")
    assert checksums.decode_checksum(A.CRC32C, "sOO8/Q") is None
    assert checksums.decode_checksum(A.CRC32C, "AAAAAAAAAAA=") is None
    assert checksums.decode_checksum(A.SHA1, "not base64!") is None


@pytest.mark.parametrize("algorithm", list(ChecksumAlgorithm))
def test_composite_checksum_hashes_concatenated_part_digests(algorithm: ChecksumAlgorithm) -> None:
    parts = [os.urandom(100), os.urandom(5000), b""]
    digests = [checksums.compute_checksum(algorithm, p) for p in parts]
    expected = base64.b64encode(checksums.compute_checksum(algorithm, b"".join(digests)))
    assert checksums.composite_checksum(algorithm, digests) == f"{expected.decode()}-3"


def test_multipart_etag() -> None:
    parts = [b"a" * 10, b"b" * 20]
    md5s = [hashlib.md5(p).digest() for p in parts]
    assert checksums.multipart_etag(md5s) == hashlib.md5(b"".join(md5s)).hexdigest() + "-2"


@pytest.mark.parametrize("algorithm", CRCS)
def test_full_object_crc_equals_crc_of_concatenation(algorithm: ChecksumAlgorithm) -> None:
    parts = [os.urandom(n) for n in (5 * 1024, 5 * 1024, 1, 0, 777)]
    pairs = [(checksums.compute_checksum(algorithm, p), len(p)) for p in parts]
    assert checksums.full_object_crc(algorithm, pairs) == checksums.compute_checksum(
        algorithm, b"".join(parts)
    )
    assert checksums.full_object_crc(algorithm, []) == bytes(algorithm.digest_size)


@pytest.mark.parametrize("algorithm", [A.SHA1, A.SHA256])
def test_full_object_checksum_needs_a_crc(algorithm: ChecksumAlgorithm) -> None:
    with pytest.raises(ValueError, match="cannot be combined"):
        checksums.full_object_crc(algorithm, [(b"", 0)])


@pytest.mark.parametrize("algorithm", CRCS)
@pytest.mark.parametrize(("len1", "len2"), [(0, 3), (3, 0), (1, 1), (100, 1000), (9, 70001)])
def test_pure_crc_combine_matches_awscrt(
    algorithm: ChecksumAlgorithm, len1: int, len2: int
) -> None:
    a, b = os.urandom(len1), os.urandom(len2)
    crc_a, crc_b = (int.from_bytes(checksums.compute_checksum(algorithm, x), "big") for x in (a, b))
    expected = int.from_bytes(checksums.compute_checksum(algorithm, a + b), "big")
    assert checksums.crc_combine_pure(algorithm, crc_a, crc_b, len2) == expected


def test_combiner_falls_back_to_pure_python_without_awscrt_support() -> None:
    combine = checksums._combiner(A.CRC32, "combine_that_does_not_exist")
    a, b = b"hello ", b"world"
    crc = combine(
        int.from_bytes(checksums.compute_checksum(A.CRC32, a), "big"),
        int.from_bytes(checksums.compute_checksum(A.CRC32, b), "big"),
        len(b),
    )
    assert crc.to_bytes(4, "big") == checksums.compute_checksum(A.CRC32, a + b)
