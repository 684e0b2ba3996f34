from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml import (
    Checksums,
    ChecksumType,
    CopyObjectResult,
    DeletedObject,
    DeleteError,
    DeleteRequest,
    DeleteResult,
    ObjectAttributes,
    ObjectIdentifier,
    ObjectPart,
    ObjectParts,
    parse_delete,
    render_copy_object_result,
    render_delete_result,
    render_object_attributes,
)

T0 = datetime(2009, 10, 28, 22, 32, 0, 120000, tzinfo=UTC)
CHECKSUMS = Checksums(
    crc32="AAAAAA==",
    crc64nvme="AAAAAAAAAAA=",
    sha256="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
)


def test_delete_objects_as_botocore_sends_it(serialize_input, request_keys) -> None:
    objects = [{"Key": key} for key in request_keys]
    objects[0] |= {"VersionId": "3/L4kqtJl40Nr8X8gdRQBpUMLUo"}
    objects[1] |= {
        "ETag": '"abc"',
        "Size": 12,
        "LastModifiedTime": datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    }
    body = serialize_input(
        "DeleteObjects", {"Bucket": "b", "Delete": {"Objects": objects, "Quiet": True}}
    )
    request = parse_delete(body)
    assert request.quiet is True
    assert request.objects[0] == ObjectIdentifier(
        key=request_keys[0], version_id="3/L4kqtJl40Nr8X8gdRQBpUMLUo"
    )
    assert request.objects[1] == ObjectIdentifier(
        key=request_keys[1],
        etag="abc",
        size=12,
        last_modified_time=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    )
    assert [obj.key for obj in request.objects] == list(request_keys)


@pytest.mark.parametrize("quiet", [False, None])
def test_delete_without_quiet_is_verbose(serialize_input, quiet: bool | None) -> None:
    delete = {"Objects": [{"Key": "k"}]} | ({} if quiet is None else {"Quiet": quiet})
    body = serialize_input("DeleteObjects", {"Bucket": "b", "Delete": delete})
    assert parse_delete(body) == DeleteRequest(objects=(ObjectIdentifier(key="k"),), quiet=False)


def test_delete_accepts_a_thousand_objects(serialize_input) -> None:
    objects = [{"Key": f"k{index}"} for index in range(1000)]
    body = serialize_input("DeleteObjects", {"Bucket": "b", "Delete": {"Objects": objects}})
    assert len(parse_delete(body).objects) == 1000


@pytest.mark.parametrize(
    "body",
    [
        b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>",
        b"<Delete><Quiet>true</Quiet></Delete>",
        b"<Delete><Object><VersionId>v</VersionId></Object></Delete>",
        b"<Delete><Object><Key>k</Key></Object><Quiet>maybe</Quiet></Delete>",
        b"<Delete><Object><Key>k</Key><Size>-</Size></Object></Delete>",
        b"<Delete><Object><Key>k</Key><Size>\xd9\xa3</Size></Object></Delete>",
        b"<Delete><Object><Key>k</Key><LastModifiedTime>yesterday</LastModifiedTime></Object></Delete>",
        b"<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>",
    ],
)
def test_malformed_delete_is_malformed_xml(body: bytes) -> None:
    with pytest.raises(S3Error) as caught:
        parse_delete(body)
    assert caught.value.code is S3ErrorCode.MalformedXML


def test_delete_accepts_documents_without_namespace_in_any_order() -> None:
    body = (
        b"<Delete><Quiet> TRUE </Quiet>"
        b"<Object><VersionId>v1</VersionId><Key> spaced key </Key></Object></Delete>"
    )
    assert parse_delete(body) == DeleteRequest(
        objects=(ObjectIdentifier(key=" spaced key ", version_id="v1"),), quiet=True
    )


def test_delete_result_parses_in_botocore(parse_output, awkward_keys) -> None:
    result = DeleteResult(
        deleted=(
            DeletedObject(key=awkward_keys[0]),
            DeletedObject(key=awkward_keys[1], version_id="v1"),
            DeletedObject(key=awkward_keys[2], delete_marker=True, delete_marker_version_id="dm1"),
        ),
        errors=(
            DeleteError(key=awkward_keys[3], code="AccessDenied", message="Access Denied"),
            DeleteError(
                key=awkward_keys[4], version_id="v&2", code="InternalError", message="<oops>"
            ),
        ),
    )
    assert parse_output("DeleteObjects", render_delete_result(result)) == {
        "Deleted": [
            {"Key": awkward_keys[0]},
            {"Key": awkward_keys[1], "VersionId": "v1"},
            {"Key": awkward_keys[2], "DeleteMarker": True, "DeleteMarkerVersionId": "dm1"},
        ],
        "Errors": [
            {"Key": awkward_keys[3], "Code": "AccessDenied", "Message": "Access Denied"},
            {
                "Key": awkward_keys[4],
                "VersionId": "v&2",
                "Code": "InternalError",
                "Message": "<oops>",
            },
        ],
    }


def test_quiet_delete_result_without_errors_is_empty(parse_output) -> None:
    body = render_delete_result(DeleteResult())
    assert body.endswith(b'<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>')
    assert parse_output("DeleteObjects", body) == {}


def test_delete_result_matches_the_aws_example_bytes() -> None:
    result = DeleteResult(
        deleted=(DeletedObject(key="sample1.txt"),),
        errors=(DeleteError(key="sample2.txt", code="AccessDenied", message="Access Denied"),),
    )
    assert render_delete_result(result) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Deleted><Key>sample1.txt</Key></Deleted>"
        b"<Error><Key>sample2.txt</Key><Code>AccessDenied</Code>"
        b"<Message>Access Denied</Message></Error></DeleteResult>"
    )


def test_copy_object_result_matches_the_aws_example_bytes() -> None:
    result = CopyObjectResult(
        etag="9b2cf535f27731c974343645a3985328", last_modified=T0.replace(microsecond=0)
    )
    assert render_copy_object_result(result) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<LastModified>2009-10-28T22:32:00.000Z</LastModified>"
        b"<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></CopyObjectResult>"
    )


def test_copy_object_result_parses_in_botocore(parse_output) -> None:
    result = CopyObjectResult(
        etag="9b2cf535f27731c974343645a3985328-3",
        last_modified=T0,
        checksums=CHECKSUMS,
        checksum_type=ChecksumType.FULL_OBJECT,
    )
    assert parse_output("CopyObject", render_copy_object_result(result)) == {
        "CopyObjectResult": {
            "ETag": '"9b2cf535f27731c974343645a3985328-3"',
            "LastModified": T0,
            "ChecksumType": "FULL_OBJECT",
            "ChecksumCRC32": CHECKSUMS.crc32,
            "ChecksumCRC64NVME": CHECKSUMS.crc64nvme,
            "ChecksumSHA256": CHECKSUMS.sha256,
        }
    }


def test_object_attributes_parse_in_botocore_with_an_unquoted_etag(parse_output) -> None:
    attributes = ObjectAttributes(
        etag="fba9dede5f27731c9771645a39863328-2",
        checksums=CHECKSUMS,
        checksum_type=ChecksumType.COMPOSITE,
        object_parts=ObjectParts(
            parts_count=2,
            part_number_marker=0,
            next_part_number_marker=2,
            max_parts=1000,
            is_truncated=False,
            parts=(
                ObjectPart(part_number=1, size=5242880, checksums=Checksums(crc32="AAAAAQ==")),
                ObjectPart(part_number=2, size=17),
            ),
        ),
        storage_class="STANDARD",
        object_size=5242897,
    )
    body = render_object_attributes(attributes)
    assert b"<ETag>fba9dede5f27731c9771645a39863328-2</ETag>" in body
    assert body.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    )
    assert parse_output("GetObjectAttributes", body) == {
        "ETag": "fba9dede5f27731c9771645a39863328-2",
        "Checksum": {
            "ChecksumCRC32": CHECKSUMS.crc32,
            "ChecksumCRC64NVME": CHECKSUMS.crc64nvme,
            "ChecksumSHA256": CHECKSUMS.sha256,
            "ChecksumType": "COMPOSITE",
        },
        "ObjectParts": {
            "TotalPartsCount": 2,
            "PartNumberMarker": 0,
            "NextPartNumberMarker": 2,
            "MaxParts": 1000,
            "IsTruncated": False,
            "Parts": [
                {"PartNumber": 1, "Size": 5242880, "ChecksumCRC32": "AAAAAQ=="},
                {"PartNumber": 2, "Size": 17},
            ],
        },
        "StorageClass": "STANDARD",
        "ObjectSize": 5242897,
    }


def test_object_attributes_leave_out_what_was_not_asked_for(parse_output) -> None:
    body = render_object_attributes(ObjectAttributes(object_size=0, checksums=Checksums()))
    assert b"Checksum" not in body
    assert parse_output("GetObjectAttributes", body) == {"ObjectSize": 0}
    assert parse_output("GetObjectAttributes", render_object_attributes(ObjectAttributes())) == {}


def test_carriage_returns_survive_when_the_client_escapes_them() -> None:
    body = b"<Delete><Object><Key>a&#xD;b\r\nc</Key></Object></Delete>"
    assert parse_delete(body).objects[0].key == "a\rb\nc"
