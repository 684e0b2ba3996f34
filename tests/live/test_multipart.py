"""Multipart uploads through boto3."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

MIB = 1024 * 1024


def part_bytes(n: int, size: int = 5 * MIB) -> bytes:
    return bytes([n % 256]) * size


def test_multipart_upload_complete_get_and_etag(s3: Any, versioned_bucket: str) -> None:
    b = versioned_bucket
    upload = s3.create_multipart_upload(
        Bucket=b, Key="mp", ContentType="text/plain", Metadata={"m": "1"}
    )
    uid = upload["UploadId"]
    parts = [part_bytes(1), part_bytes(2), b"tail"]
    etags = []
    for number, data in enumerate(parts, start=1):
        etags.append(
            s3.upload_part(Bucket=b, Key="mp", UploadId=uid, PartNumber=number, Body=data)["ETag"]
        )
    listed = s3.list_parts(Bucket=b, Key="mp", UploadId=uid)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3]
    done = s3.complete_multipart_upload(
        Bucket=b,
        Key="mp",
        UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]},
    )
    md5s = b"".join(hashlib.md5(p).digest() for p in parts)
    assert done["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-3"'
    assert done["VersionId"]
    got = s3.get_object(Bucket=b, Key="mp")
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"m": "1"}
    assert hashlib.md5(got["Body"].read()).digest() == hashlib.md5(b"".join(parts)).digest()
    part2 = s3.get_object(Bucket=b, Key="mp", PartNumber=2)
    assert part2["Body"].read() == parts[1]
    assert part2["PartsCount"] == 3
    assert s3.list_multipart_uploads(Bucket=b).get("Uploads", []) == []


def test_small_non_last_part_is_entity_too_small(s3: Any, bucket: str) -> None:
    uid = s3.create_multipart_upload(Bucket=bucket, Key="small")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="small", UploadId=uid, PartNumber=1, Body=b"tiny")[
        "ETag"
    ]
    e2 = s3.upload_part(Bucket=bucket, Key="small", UploadId=uid, PartNumber=2, Body=b"tiny")[
        "ETag"
    ]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="small",
            UploadId=uid,
            MultipartUpload={
                "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]
            },
        )
    assert exc.value.response["Error"]["Code"] == "EntityTooSmall"


def test_wrong_etag_is_invalid_part_and_disorder_is_invalid_part_order(
    s3: Any, bucket: str
) -> None:
    uid = s3.create_multipart_upload(Bucket=bucket, Key="bad")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="bad", UploadId=uid, PartNumber=1, Body=part_bytes(1))[
        "ETag"
    ]
    e2 = s3.upload_part(Bucket=bucket, Key="bad", UploadId=uid, PartNumber=2, Body=b"x")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="bad",
            UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0123"'}]},
        )
    assert exc.value.response["Error"]["Code"] == "InvalidPart"
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="bad",
            UploadId=uid,
            MultipartUpload={
                "Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]
            },
        )
    assert exc.value.response["Error"]["Code"] == "InvalidPartOrder"


def test_abort_removes_upload(s3: Any, bucket: str) -> None:
    uid = s3.create_multipart_upload(Bucket=bucket, Key="ab")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="ab", UploadId=uid, PartNumber=1, Body=b"x")
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [uid]
    s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=uid)
    with pytest.raises(ClientError) as exc:
        s3.list_parts(Bucket=bucket, Key="ab", UploadId=uid)
    assert exc.value.response["Error"]["Code"] == "NoSuchUpload"


def test_upload_part_copy_with_range(s3: Any, bucket: str) -> None:
    source = part_bytes(7) + b"0123456789"
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    p1 = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=uid,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange=f"bytes=0-{5 * MIB - 1}",
    )
    p2 = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=uid,
        PartNumber=2,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange=f"bytes={5 * MIB}-{5 * MIB + 3}",
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="dst",
        UploadId=uid,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]},
                {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]},
            ]
        },
    )
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == part_bytes(7) + b"0123"


@pytest.mark.parametrize(
    ("algorithm", "kind"),
    [
        ("CRC32", "COMPOSITE"),
        ("SHA256", "COMPOSITE"),
        ("CRC64NVME", "FULL_OBJECT"),
        ("CRC32C", "FULL_OBJECT"),
    ],
)
def test_multipart_checksums(s3: Any, bucket: str, algorithm: str, kind: str) -> None:
    uid = s3.create_multipart_upload(
        Bucket=bucket, Key="sum", ChecksumAlgorithm=algorithm, ChecksumType=kind
    )["UploadId"]
    parts = []
    for number, data in ((1, part_bytes(1)), (2, b"end")):
        r = s3.upload_part(
            Bucket=bucket,
            Key="sum",
            UploadId=uid,
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm=algorithm,
        )
        parts.append(
            {
                "PartNumber": number,
                "ETag": r["ETag"],
                f"Checksum{algorithm}": r[f"Checksum{algorithm}"],
            }
        )
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="sum", UploadId=uid, MultipartUpload={"Parts": parts}
    )
    value = done[f"Checksum{algorithm}"]
    assert value.endswith("-2") == (kind == "COMPOSITE")
    head = s3.head_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == value


def test_upload_file_via_transfer_manager(s3: Any, bucket: str, tmp_path: Any) -> None:
    from boto3.s3.transfer import TransferConfig

    path = tmp_path / "big.bin"
    path.write_bytes(part_bytes(3, 12 * MIB))
    s3.upload_file(
        str(path),
        bucket,
        "big.bin",
        Config=TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB),
    )
    out = tmp_path / "back.bin"
    s3.download_file(bucket, "big.bin", str(out))
    assert out.read_bytes() == path.read_bytes()


def test_get_object_attributes_pages_parts(s3: Any, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="p3")["UploadId"]
    bodies = [part_bytes(1), part_bytes(2), b"tail"]
    parts = [
        {"PartNumber": n, "ETag": s3.upload_part(
            Bucket=bucket, Key="p3", UploadId=upload, PartNumber=n, Body=body)["ETag"]}
        for n, body in enumerate(bodies, start=1)
    ]  # fmt: skip
    s3.complete_multipart_upload(
        Bucket=bucket, Key="p3", UploadId=upload, MultipartUpload={"Parts": parts}
    )

    first = s3.get_object_attributes(
        Bucket=bucket, Key="p3", ObjectAttributes=["ObjectParts"], MaxParts=2
    )["ObjectParts"]
    rest = s3.get_object_attributes(
        Bucket=bucket, Key="p3", ObjectAttributes=["ObjectParts"], MaxParts=2,
        PartNumberMarker=first["NextPartNumberMarker"],
    )["ObjectParts"]  # fmt: skip

    assert (first["TotalPartsCount"], first["IsTruncated"]) == (3, True)
    assert [p["PartNumber"] for p in first["Parts"]] == [1, 2]
    assert [(p["PartNumber"], p["Size"]) for p in rest["Parts"]] == [(3, 4)]
    assert rest["IsTruncated"] is False
