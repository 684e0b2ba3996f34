from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml import (
    ChecksumAlgorithm,
    Checksums,
    ChecksumType,
    CompletedPart,
    CompleteMultipartUpload,
    CompleteMultipartUploadResult,
    CopyPartResult,
    EncodingType,
    InitiateMultipartUploadResult,
    ListedPart,
    ListedUpload,
    ListMultipartUploadsResult,
    ListPartsResult,
    Owner,
    parse_complete_multipart_upload,
    render_complete_multipart_upload,
    render_copy_part_result,
    render_initiate_multipart_upload,
    render_list_multipart_uploads,
    render_list_parts,
)

T0 = datetime(2010, 11, 10, 20, 48, 34, 5000, tzinfo=UTC)
OWNER = Owner(
    id="75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", display_name="someName"
)
INITIATOR = Owner(id="arn:aws:iam::111122223333:user/some-user", display_name="umat-user")
UPLOAD_ID = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"


def test_initiate_multipart_upload_matches_the_aws_example_bytes() -> None:
    result = InitiateMultipartUploadResult(
        bucket="example-bucket", key="example-object", upload_id=UPLOAD_ID
    )
    assert render_initiate_multipart_upload(result) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Bucket>example-bucket</Bucket><Key>example-object</Key>"
        b"<UploadId>" + UPLOAD_ID.encode() + b"</UploadId></InitiateMultipartUploadResult>"
    )


def test_initiate_multipart_upload_parses_in_botocore(parse_output, awkward_keys) -> None:
    for key in awkward_keys:
        result = InitiateMultipartUploadResult(bucket="b", key=key, upload_id=UPLOAD_ID)
        parsed = parse_output("CreateMultipartUpload", render_initiate_multipart_upload(result))
        assert parsed == {"Bucket": "b", "Key": key, "UploadId": UPLOAD_ID}


def test_complete_multipart_upload_as_botocore_sends_it(serialize_input) -> None:
    parts = [
        {
            "PartNumber": 1,
            "ETag": '"a54357aff0632cce46d942af68356b38"',
            "ChecksumCRC32": "AAAAAA==",
        },
        {"PartNumber": 2, "ETag": "0c78aef83f66abc1fa1e8477f296d394", "ChecksumSHA256": "x/y+z=="},
        {"PartNumber": 10000, "ETag": '"acbd18db4cc2f85cedef654fccc4a4d8"'},
    ]
    body = serialize_input(
        "CompleteMultipartUpload",
        {"Bucket": "b", "Key": "k", "UploadId": "u", "MultipartUpload": {"Parts": parts}},
    )
    assert parse_complete_multipart_upload(body) == CompleteMultipartUpload(
        parts=(
            CompletedPart(
                part_number=1,
                etag="a54357aff0632cce46d942af68356b38",
                checksums=Checksums(crc32="AAAAAA=="),
            ),
            CompletedPart(
                part_number=2,
                etag="0c78aef83f66abc1fa1e8477f296d394",
                checksums=Checksums(sha256="x/y+z=="),
            ),
            CompletedPart(part_number=10000, etag="acbd18db4cc2f85cedef654fccc4a4d8"),
        )
    )


def test_complete_multipart_upload_keeps_the_client_order() -> None:
    body = (
        b"<CompleteMultipartUpload>"
        b"<Part><ETag>&quot;b&quot;</ETag><PartNumber>2</PartNumber></Part>"
        b"<Part><PartNumber> 1 </PartNumber><ETag>a</ETag></Part>"
        b"</CompleteMultipartUpload>"
    )
    parts = parse_complete_multipart_upload(body).parts
    assert [(part.part_number, part.etag) for part in parts] == [(2, "b"), (1, "a")]


@pytest.mark.parametrize(
    "body",
    [
        b"<CompleteMultipartUpload/>",
        b"<CompleteMultipartUpload><Part><ETag>a</ETag></Part></CompleteMultipartUpload>",
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
        b"<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>a</ETag></Part>"
        b"</CompleteMultipartUpload>",
        b"<CompleteMultipartUpload><Part><PartNumber>1.5</PartNumber><ETag>a</ETag></Part>"
        b"</CompleteMultipartUpload>",
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag>"
        b"<ChecksumCRC32>x</ChecksumCRC32><ChecksumCRC32>y</ChecksumCRC32></Part>"
        b"</CompleteMultipartUpload>",
        b"<CompleteMultipartUploadResult><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part>"
        b"</CompleteMultipartUploadResult>",
    ],
)
def test_malformed_complete_multipart_upload_is_malformed_xml(body: bytes) -> None:
    with pytest.raises(S3Error) as caught:
        parse_complete_multipart_upload(body)
    assert caught.value.code is S3ErrorCode.MalformedXML


def test_complete_multipart_upload_result_parses_in_botocore(parse_output, awkward_keys) -> None:
    checksums = Checksums(crc64nvme="AAAAAAAAAAA=", sha1="2jmj7l5rSw0yVb/vlWAYkK/YBwk=")
    for key in awkward_keys:
        result = CompleteMultipartUploadResult(
            location=f"http://b.s3.amazonaws.com/{key}",
            bucket="b",
            key=key,
            etag="3858f62230ac3c915f300c664312c11f-9",
            checksums=checksums,
            checksum_type=ChecksumType.COMPOSITE,
        )
        parsed = parse_output("CompleteMultipartUpload", render_complete_multipart_upload(result))
        assert parsed == {
            "Location": f"http://b.s3.amazonaws.com/{key}",
            "Bucket": "b",
            "Key": key,
            "ETag": '"3858f62230ac3c915f300c664312c11f-9"',
            "ChecksumCRC64NVME": "AAAAAAAAAAA=",
            "ChecksumSHA1": "2jmj7l5rSw0yVb/vlWAYkK/YBwk=",
            "ChecksumType": "COMPOSITE",
        }


def test_complete_multipart_upload_result_matches_the_aws_example_bytes() -> None:
    result = CompleteMultipartUploadResult(
        location="http://Example-Bucket.s3.region.amazonaws.com/Example-Object",
        bucket="Example-Bucket",
        key="Example-Object",
        etag="3858f62230ac3c915f300c664312c11f-9",
    )
    assert render_complete_multipart_upload(result) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Location>http://Example-Bucket.s3.region.amazonaws.com/Example-Object</Location>"
        b"<Bucket>Example-Bucket</Bucket><Key>Example-Object</Key>"
        b"<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
        b"</CompleteMultipartUploadResult>"
    )


def test_copy_part_result_parses_in_botocore(parse_output) -> None:
    result = CopyPartResult(
        etag="b4ddb8ac4d0d9ab0a6f3d1bd4b4dc0ad",
        last_modified=T0,
        checksums=Checksums(crc32c="AAAAAA=="),
    )
    assert parse_output("UploadPartCopy", render_copy_part_result(result)) == {
        "CopyPartResult": {
            "ETag": '"b4ddb8ac4d0d9ab0a6f3d1bd4b4dc0ad"',
            "LastModified": T0,
            "ChecksumCRC32C": "AAAAAA==",
        }
    }


def test_list_parts_parses_in_botocore(parse_output, awkward_keys) -> None:
    parts = tuple(
        ListedPart(
            part_number=number,
            last_modified=T0 + timedelta(minutes=number),
            etag=f"{number:032x}",
            size=10485760,
            checksums=Checksums(crc32="AAAAAA==") if number % 2 else Checksums(),
        )
        for number in (2, 3)
    )
    result = ListPartsResult(
        bucket="example-bucket",
        key=awkward_keys[2],
        upload_id=UPLOAD_ID,
        initiator=INITIATOR,
        owner=OWNER,
        part_number_marker=1,
        next_part_number_marker=3,
        max_parts=2,
        is_truncated=True,
        parts=parts,
        checksum_algorithm=ChecksumAlgorithm.CRC32,
        checksum_type=ChecksumType.COMPOSITE,
    )
    assert parse_output("ListParts", render_list_parts(result)) == {
        "Bucket": "example-bucket",
        "Key": awkward_keys[2],
        "UploadId": UPLOAD_ID,
        "Initiator": {"ID": INITIATOR.id, "DisplayName": INITIATOR.display_name},
        "Owner": {"ID": OWNER.id, "DisplayName": OWNER.display_name},
        "StorageClass": "STANDARD",
        "PartNumberMarker": 1,
        "NextPartNumberMarker": 3,
        "MaxParts": 2,
        "IsTruncated": True,
        "Parts": [
            {
                "PartNumber": 2,
                "LastModified": parts[0].last_modified,
                "ETag": f'"{parts[0].etag}"',
                "Size": 10485760,
            },
            {
                "PartNumber": 3,
                "LastModified": parts[1].last_modified,
                "ETag": f'"{parts[1].etag}"',
                "Size": 10485760,
                "ChecksumCRC32": "AAAAAA==",
            },
        ],
        "ChecksumAlgorithm": "CRC32",
        "ChecksumType": "COMPOSITE",
    }


def test_list_parts_of_an_upload_without_parts_parses_in_botocore(parse_output) -> None:
    result = ListPartsResult(bucket="b", key="k", upload_id="u", initiator=OWNER, owner=OWNER)
    parsed = parse_output("ListParts", render_list_parts(result))
    assert parsed["PartNumberMarker"] == 0 and parsed["IsTruncated"] is False
    assert "Parts" not in parsed and "NextPartNumberMarker" not in parsed


def _uploads(keys: tuple[str, ...]) -> tuple[ListedUpload, ...]:
    return tuple(
        ListedUpload(
            key=key,
            upload_id=f"upload-{index}",
            initiator=INITIATOR,
            owner=OWNER,
            initiated=T0 + timedelta(seconds=index),
            storage_class="STANDARD_IA" if index % 2 else "STANDARD",
            checksum_algorithm=ChecksumAlgorithm.SHA256 if index % 2 else None,
            checksum_type=ChecksumType.COMPOSITE if index % 2 else None,
        )
        for index, key in enumerate(keys)
    )


def test_list_multipart_uploads_parses_in_botocore(parse_output, awkward_keys) -> None:
    uploads = _uploads(awkward_keys)
    result = ListMultipartUploadsResult(
        bucket="bucket",
        key_marker="my-movie.m2ts",
        upload_id_marker="YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ",
        next_key_marker="my-movie.m2ts",
        next_upload_id_marker="QpMmVLUVdhQ3R1MEUtd0ZxZGhNQWdN",
        prefix="",
        delimiter="/",
        max_uploads=3,
        is_truncated=True,
        uploads=uploads,
        common_prefixes=("photos/", "videos/"),
    )
    expected_uploads = []
    for upload in uploads:
        entry = {
            "Key": upload.key,
            "UploadId": upload.upload_id,
            "Initiator": {"ID": INITIATOR.id, "DisplayName": INITIATOR.display_name},
            "Owner": {"ID": OWNER.id, "DisplayName": OWNER.display_name},
            "StorageClass": upload.storage_class,
            "Initiated": upload.initiated,
        }
        if upload.checksum_algorithm is not None:
            entry |= {"ChecksumAlgorithm": "SHA256", "ChecksumType": "COMPOSITE"}
        expected_uploads.append(entry)
    assert parse_output("ListMultipartUploads", render_list_multipart_uploads(result)) == {
        "Bucket": "bucket",
        "KeyMarker": "my-movie.m2ts",
        "UploadIdMarker": "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ",
        "NextKeyMarker": "my-movie.m2ts",
        "NextUploadIdMarker": "QpMmVLUVdhQ3R1MEUtd0ZxZGhNQWdN",
        "Prefix": "",
        "Delimiter": "/",
        "MaxUploads": 3,
        "IsTruncated": True,
        "Uploads": expected_uploads,
        "CommonPrefixes": [{"Prefix": "photos/"}, {"Prefix": "videos/"}],
    }


def test_list_multipart_uploads_url_encodes_keys_and_markers(parse_output, control_keys) -> None:
    from urllib.parse import unquote_plus

    result = ListMultipartUploadsResult(
        bucket="b",
        key_marker="\x01km",
        next_key_marker="\x02nk",
        next_upload_id_marker="nu",
        prefix="\x03",
        delimiter="\x04",
        encoding_type=EncodingType.URL,
        uploads=_uploads(control_keys),
        common_prefixes=("\x03/\x04",),
    )
    parsed = parse_output("ListMultipartUploads", render_list_multipart_uploads(result))
    assert parsed["EncodingType"] == "url"
    assert parsed["NextUploadIdMarker"] == "nu"
    assert [unquote_plus(upload["Key"]) for upload in parsed["Uploads"]] == list(control_keys)
    decoded = [
        unquote_plus(parsed[name]) for name in ("KeyMarker", "NextKeyMarker", "Prefix", "Delimiter")
    ]
    assert decoded == ["\x01km", "\x02nk", "\x03", "\x04"]
    assert unquote_plus(parsed["CommonPrefixes"][0]["Prefix"]) == "\x03/\x04"


def test_list_multipart_uploads_of_an_empty_bucket_parses_in_botocore(parse_output) -> None:
    parsed = parse_output(
        "ListMultipartUploads",
        render_list_multipart_uploads(ListMultipartUploadsResult(bucket="b")),
    )
    assert parsed == {
        "Bucket": "b",
        "KeyMarker": "",
        "UploadIdMarker": "",
        "Prefix": "",
        "MaxUploads": 1000,
        "IsTruncated": False,
    }
