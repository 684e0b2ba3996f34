"""Object reads, writes, copies and deletes (`api/handlers/objects.py`)."""

from __future__ import annotations

import base64
import hashlib

from tests.integration.s3 import S3, error_of, parse_xml, texts

LARGE = bytes(range(256)) * 1024  # 256 KiB: stored as a blob file, not inline


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


async def test_put_object_returns_etag_and_default_checksum(s3: S3, bucket: str) -> None:
    response = await s3.put(f"/{bucket}/dir/file.txt", b"hello")

    assert response.status_code == 200
    assert response.headers["etag"] == f'"{md5_hex(b"hello")}"'
    assert response.headers["x-amz-checksum-type"] == "FULL_OBJECT"
    assert "x-amz-checksum-crc64nvme" in response.headers
    assert "x-amz-version-id" not in response.headers


async def test_put_object_with_wrong_content_md5_is_bad_digest(s3: S3, bucket: str) -> None:
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    response = await s3.put(f"/{bucket}/k", b"hello", headers={"content-md5": wrong})

    error_of(response, 400, "BadDigest")
    error_of(await s3.get(f"/{bucket}/k"), 404, "NoSuchKey")


async def test_put_object_into_missing_bucket_is_no_such_bucket(s3: S3) -> None:
    root = error_of(await s3.put("/missing/k", b"x"), 404, "NoSuchBucket")
    assert root.findtext("BucketName") == "missing"


async def test_get_object_returns_body_content_headers_and_metadata(s3: S3, bucket: str) -> None:
    headers = {"content-type": "text/plain", "x-amz-meta-colour": "blue"}
    await s3.put(f"/{bucket}/a b+c.txt", b"hello", headers=headers)

    response = await s3.get(f"/{bucket}/a b+c.txt")

    assert response.status_code == 200
    assert response.content == b"hello"
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["x-amz-meta-colour"] == "blue"
    assert response.headers["etag"] == f'"{md5_hex(b"hello")}"'
    assert response.headers["content-length"] == "5"
    assert "last-modified" in response.headers


async def test_get_object_stored_as_blob_round_trips(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/large.bin", LARGE)

    response = await s3.get(f"/{bucket}/large.bin")

    assert response.status_code == 200
    assert response.content == LARGE
    assert response.headers["content-type"] == "binary/octet-stream"


async def test_get_object_range_is_partial_content(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/large.bin", LARGE)

    response = await s3.get(f"/{bucket}/large.bin", headers={"range": "bytes=1000-1999"})

    assert response.status_code == 206
    assert response.content == LARGE[1000:2000]
    assert response.headers["content-range"] == f"bytes 1000-1999/{len(LARGE)}"
    assert response.headers["content-length"] == "1000"


async def test_get_object_with_matching_if_none_match_is_not_modified(s3: S3, bucket: str) -> None:
    etag = (await s3.put(f"/{bucket}/k", b"v")).headers["etag"]

    response = await s3.get(f"/{bucket}/k", headers={"if-none-match": etag})

    assert response.status_code == 304
    assert response.content == b""


async def test_get_missing_object_is_no_such_key(s3: S3, bucket: str) -> None:
    root = error_of(await s3.get(f"/{bucket}/nope"), 404, "NoSuchKey")
    assert root.findtext("Key") == "nope"


async def test_head_object_returns_headers_without_body(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/large.bin", LARGE, headers={"x-amz-meta-a": "1"})

    response = await s3.head(f"/{bucket}/large.bin")

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(LARGE))
    assert response.headers["etag"] == f'"{md5_hex(LARGE)}"'
    assert response.headers["x-amz-meta-a"] == "1"
    assert response.headers["accept-ranges"] == "bytes"


async def test_delete_object_removes_it_and_is_idempotent(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/k", b"v")

    response = await s3.delete(f"/{bucket}/k")

    assert response.status_code == 204
    error_of(await s3.get(f"/{bucket}/k"), 404, "NoSuchKey")
    assert (await s3.delete(f"/{bucket}/k")).status_code == 204


async def test_delete_without_version_id_on_versioned_bucket_creates_delete_marker(
    s3: S3, versioned_bucket: str
) -> None:
    await s3.put(f"/{versioned_bucket}/k", b"v")

    response = await s3.delete(f"/{versioned_bucket}/k")

    assert response.status_code == 204
    assert response.headers["x-amz-delete-marker"] == "true"
    marker = response.headers["x-amz-version-id"]
    hidden = await s3.get(f"/{versioned_bucket}/k")
    error_of(hidden, 404, "NoSuchKey")
    assert hidden.headers["x-amz-delete-marker"] == "true"
    assert hidden.headers["x-amz-version-id"] == marker


async def test_delete_objects_reports_each_key(s3: S3, bucket: str) -> None:
    for key in ("a", "b"):
        await s3.put(f"/{bucket}/{key}", b"v")
    body = (
        b"<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object>"
        b"<Object><Key>never-existed</Key></Object></Delete>"
    )

    response = await s3.post(f"/{bucket}", body, query={"delete": None})

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "DeleteResult"
    assert sorted(texts(root, "Deleted/Key")) == ["a", "b", "never-existed"]
    assert root.findall("Error") == []
    listing = parse_xml(await s3.get(f"/{bucket}", query={"list-type": "2"}))
    assert listing.findtext("KeyCount") == "0"


async def test_delete_objects_quiet_reports_nothing_on_success(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/a", b"v")
    body = b"<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object></Delete>"

    response = await s3.post(f"/{bucket}", body, query={"delete": None})

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "DeleteResult"
    assert list(root) == []
    error_of(await s3.get(f"/{bucket}/a"), 404, "NoSuchKey")


async def test_delete_objects_with_malformed_xml_deletes_nothing(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/a", b"v")

    response = await s3.post(f"/{bucket}", b"<Delete><Object>", query={"delete": None})

    error_of(response, 400, "MalformedXML")
    assert (await s3.get(f"/{bucket}/a")).status_code == 200


async def test_copy_object_copies_body_and_metadata(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/src", LARGE, headers={"x-amz-meta-origin": "src"})

    response = await s3.put(f"/{bucket}/dst", headers={"x-amz-copy-source": f"/{bucket}/src"})

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "CopyObjectResult"
    assert root.findtext("ETag") == f'"{md5_hex(LARGE)}"'
    assert root.findtext("LastModified")
    copied = await s3.get(f"/{bucket}/dst")
    assert copied.content == LARGE
    assert copied.headers["x-amz-meta-origin"] == "src"


async def test_copy_object_with_replace_directive_takes_new_metadata(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/src", b"v", headers={"x-amz-meta-origin": "src"})
    headers = {
        "x-amz-copy-source": f"/{bucket}/src",
        "x-amz-metadata-directive": "REPLACE",
        "x-amz-meta-origin": "replaced",
    }

    assert (await s3.put(f"/{bucket}/src", headers=headers)).status_code == 200

    assert (await s3.head(f"/{bucket}/src")).headers["x-amz-meta-origin"] == "replaced"


async def test_copy_object_onto_itself_unchanged_is_invalid_request(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/src", b"v")
    response = await s3.put(f"/{bucket}/src", headers={"x-amz-copy-source": f"/{bucket}/src"})
    error_of(response, 400, "InvalidRequest")


async def test_copy_object_from_missing_source_is_no_such_key(s3: S3, bucket: str) -> None:
    response = await s3.put(f"/{bucket}/dst", headers={"x-amz-copy-source": f"/{bucket}/nope"})
    error_of(response, 404, "NoSuchKey")


async def test_get_object_attributes_returns_requested_attributes(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/k", b"hello")
    wanted = {"x-amz-object-attributes": "ETag,ObjectSize,StorageClass"}

    response = await s3.get(f"/{bucket}/k", query={"attributes": None}, headers=wanted)

    assert response.status_code == 200
    assert "last-modified" in response.headers
    root = parse_xml(response)
    assert root.tag == "GetObjectAttributesResponse"
    assert root.findtext("ETag") == md5_hex(b"hello")
    assert root.findtext("ObjectSize") == "5"
    assert root.findtext("StorageClass") == "STANDARD"
    assert root.find("Checksum") is None


async def test_get_object_attributes_without_attribute_list_is_invalid(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/k", b"hello")
    error_of(await s3.get(f"/{bucket}/k", query={"attributes": None}), 400, "InvalidArgument")


async def test_non_ascii_metadata_is_returned_rfc_2047_encoded(s3: S3, bucket: str) -> None:
    sent = {"x-amz-meta-word": "=?UTF-8?B?Y2Fmw6k=?=", "x-amz-meta-plain": "blue"}
    await s3.put(f"/{bucket}/m", b"x", headers=sent)

    got = await s3.get(f"/{bucket}/m")
    head = await s3.head(f"/{bucket}/m")

    for response in (got, head):
        assert response.headers["x-amz-meta-word"] == "=?UTF-8?B?Y2Fmw6k=?="
        assert response.headers["x-amz-meta-plain"] == "blue"


async def test_part_one_of_a_plain_object_is_the_whole_object_without_parts_count(
    s3: S3, bucket: str
) -> None:
    await s3.put(f"/{bucket}/plain", b"0123456789")
    await s3.put(f"/{bucket}/empty", b"")

    whole = await s3.get(f"/{bucket}/plain", query={"partNumber": "1"})
    beyond = await s3.get(f"/{bucket}/plain", query={"partNumber": "2"})
    empty = await s3.get(f"/{bucket}/empty", query={"partNumber": "1"})

    assert whole.status_code == 206 and whole.content == b"0123456789"
    assert whole.headers["content-range"] == "bytes 0-9/10"
    assert "x-amz-mp-parts-count" not in whole.headers
    error_of(beyond, 416, "InvalidPartNumber")
    assert empty.status_code == 200 and empty.content == b""
