"""Multipart uploads (`api/handlers/multipart.py`)."""

from __future__ import annotations

import hashlib

from ferry.store import MIN_PART_SIZE_BYTES
from tests.integration.s3 import S3, error_of, parse_xml, texts

BIG_PART = b"p" * MIN_PART_SIZE_BYTES
LAST_PART = b"the last part may be small"


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def multipart_etag(*parts: bytes) -> str:
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(parts)}"'


def completion(*etags: str) -> bytes:
    parts = "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
        for n, etag in enumerate(etags, start=1)
    )
    return f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode()


async def create(s3: S3, path: str) -> str:
    response = await s3.post(path, query={"uploads": None})
    assert response.status_code == 200, response.text
    return parse_xml(response).findtext("UploadId") or ""


async def upload(s3: S3, path: str, upload_id: str, number: int, body: bytes) -> str:
    query = {"uploadId": upload_id, "partNumber": str(number)}
    response = await s3.put(path, body, query=query)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


async def test_create_multipart_upload_returns_upload_id(s3: S3, bucket: str) -> None:
    response = await s3.post(f"/{bucket}/big.bin", query={"uploads": None})

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "InitiateMultipartUploadResult"
    assert root.findtext("Bucket") == bucket
    assert root.findtext("Key") == "big.bin"
    assert root.findtext("UploadId")


async def test_create_multipart_upload_with_checksum_algorithm_echoes_it(
    s3: S3, bucket: str
) -> None:
    headers = {"x-amz-checksum-algorithm": "CRC32"}
    response = await s3.post(f"/{bucket}/k", query={"uploads": None}, headers=headers)

    assert response.headers["x-amz-checksum-algorithm"] == "CRC32"
    assert response.headers["x-amz-checksum-type"] == "COMPOSITE"


async def test_create_multipart_upload_in_missing_bucket_is_no_such_bucket(s3: S3) -> None:
    error_of(await s3.post("/missing/k", query={"uploads": None}), 404, "NoSuchBucket")


async def test_upload_part_returns_part_etag(s3: S3, bucket: str) -> None:
    upload_id = await create(s3, f"/{bucket}/k")

    response = await s3.put(
        f"/{bucket}/k", LAST_PART, query={"uploadId": upload_id, "partNumber": "1"}
    )

    assert response.status_code == 200
    assert response.headers["etag"] == f'"{md5_hex(LAST_PART)}"'


async def test_upload_part_with_bad_part_number_is_invalid_argument(s3: S3, bucket: str) -> None:
    upload_id = await create(s3, f"/{bucket}/k")
    query = {"uploadId": upload_id, "partNumber": "10001"}
    error_of(await s3.put(f"/{bucket}/k", b"x", query=query), 400, "InvalidArgument")


async def test_upload_part_to_unknown_upload_is_no_such_upload(s3: S3, bucket: str) -> None:
    query = {"uploadId": "not-an-upload", "partNumber": "1"}
    error_of(await s3.put(f"/{bucket}/k", b"x", query=query), 404, "NoSuchUpload")


async def test_upload_part_copy_copies_a_source_range(s3: S3, bucket: str) -> None:
    source = bytes(range(256)) * 64
    await s3.put(f"/{bucket}/src", source)
    upload_id = await create(s3, f"/{bucket}/k")
    headers = {"x-amz-copy-source": f"/{bucket}/src", "x-amz-copy-source-range": "bytes=10-109"}

    response = await s3.put(
        f"/{bucket}/k", query={"uploadId": upload_id, "partNumber": "1"}, headers=headers
    )

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "CopyPartResult"
    assert root.findtext("ETag") == f'"{md5_hex(source[10:110])}"'
    assert root.findtext("LastModified")
    listed = parse_xml(await s3.get(f"/{bucket}/k", query={"uploadId": upload_id}))
    assert texts(listed, "Part/Size") == ["100"]


async def test_upload_part_copy_with_bad_range_is_invalid_argument(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/src", b"0123456789")
    upload_id = await create(s3, f"/{bucket}/k")
    headers = {"x-amz-copy-source": f"/{bucket}/src", "x-amz-copy-source-range": "bytes=-5"}
    query = {"uploadId": upload_id, "partNumber": "1"}

    error_of(await s3.put(f"/{bucket}/k", query=query, headers=headers), 400, "InvalidArgument")


async def test_complete_multipart_upload_assembles_parts(s3: S3, bucket: str) -> None:
    path = f"/{bucket}/big.bin"
    upload_id = await create(s3, path)
    etags = [
        await upload(s3, path, upload_id, 1, BIG_PART),
        await upload(s3, path, upload_id, 2, LAST_PART),
    ]

    response = await s3.post(path, completion(*etags), query={"uploadId": upload_id})

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "CompleteMultipartUploadResult"
    assert root.findtext("Bucket") == bucket
    assert root.findtext("Key") == "big.bin"
    assert root.findtext("ETag") == multipart_etag(BIG_PART, LAST_PART)
    got = await s3.get(path)
    assert got.content == BIG_PART + LAST_PART
    assert got.headers["etag"] == multipart_etag(BIG_PART, LAST_PART)
    part = await s3.head(path, query={"partNumber": "2"})
    assert part.headers["x-amz-mp-parts-count"] == "2"
    assert part.headers["content-length"] == str(len(LAST_PART))


async def test_complete_multipart_upload_with_copied_part(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/src", BIG_PART)
    path = f"/{bucket}/dst"
    upload_id = await create(s3, path)
    copied = await s3.put(
        path,
        query={"uploadId": upload_id, "partNumber": "1"},
        headers={"x-amz-copy-source": f"/{bucket}/src"},
    )
    first = parse_xml(copied).findtext("ETag") or ""
    second = await upload(s3, path, upload_id, 2, LAST_PART)

    response = await s3.post(path, completion(first, second), query={"uploadId": upload_id})

    assert response.status_code == 200, response.text
    assert (await s3.get(path)).content == BIG_PART + LAST_PART


async def test_complete_with_small_non_final_part_is_entity_too_small(s3: S3, bucket: str) -> None:
    path = f"/{bucket}/k"
    upload_id = await create(s3, path)
    etags = [await upload(s3, path, upload_id, n, LAST_PART) for n in (1, 2)]

    response = await s3.post(path, completion(*etags), query={"uploadId": upload_id})

    error_of(response, 400, "EntityTooSmall")
    error_of(await s3.get(path), 404, "NoSuchKey")


async def test_complete_with_wrong_etag_is_invalid_part(s3: S3, bucket: str) -> None:
    path = f"/{bucket}/k"
    upload_id = await create(s3, path)
    await upload(s3, path, upload_id, 1, LAST_PART)

    response = await s3.post(path, completion(f'"{md5_hex(b"x")}"'), query={"uploadId": upload_id})

    error_of(response, 400, "InvalidPart")


async def test_abort_multipart_upload_forgets_upload(s3: S3, bucket: str) -> None:
    path = f"/{bucket}/k"
    upload_id = await create(s3, path)
    await upload(s3, path, upload_id, 1, LAST_PART)

    response = await s3.delete(path, query={"uploadId": upload_id})

    assert response.status_code == 204
    error_of(await s3.get(path, query={"uploadId": upload_id}), 404, "NoSuchUpload")
    listed = parse_xml(await s3.get(f"/{bucket}", query={"uploads": None}))
    assert listed.findall("Upload") == []
    error_of(await s3.delete(path, query={"uploadId": upload_id}), 404, "NoSuchUpload")


async def test_list_parts_pages_with_part_number_marker(s3: S3, bucket: str) -> None:
    path = f"/{bucket}/k"
    upload_id = await create(s3, path)
    bodies = {1: b"one", 2: b"two!", 3: b"three"}
    for number, body in bodies.items():
        await upload(s3, path, upload_id, number, body)

    response = await s3.get(path, query={"uploadId": upload_id, "max-parts": "2"})

    assert response.status_code == 200
    first = parse_xml(response)
    assert first.tag == "ListPartsResult"
    assert first.findtext("UploadId") == upload_id
    assert texts(first, "Part/PartNumber") == ["1", "2"]
    assert texts(first, "Part/ETag") == [f'"{md5_hex(bodies[n])}"' for n in (1, 2)]
    assert texts(first, "Part/Size") == ["3", "4"]
    assert first.findtext("IsTruncated") == "true"
    marker = first.findtext("NextPartNumberMarker") or ""
    query = {"uploadId": upload_id, "part-number-marker": marker}
    rest = parse_xml(await s3.get(path, query=query))
    assert texts(rest, "Part/PartNumber") == ["3"]
    assert rest.findtext("IsTruncated") == "false"


async def test_list_multipart_uploads_lists_in_progress_uploads(s3: S3, bucket: str) -> None:
    first = await create(s3, f"/{bucket}/logs/a")
    second = await create(s3, f"/{bucket}/logs/b")
    await create(s3, f"/{bucket}/other")

    response = await s3.get(f"/{bucket}", query={"uploads": None, "prefix": "logs/"})

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "ListMultipartUploadsResult"
    assert root.findtext("Bucket") == bucket
    assert texts(root, "Upload/Key") == ["logs/a", "logs/b"]
    assert texts(root, "Upload/UploadId") == [first, second]
    assert texts(root, "Upload/StorageClass") == ["STANDARD", "STANDARD"]


async def test_list_multipart_uploads_with_delimiter_groups_prefixes(s3: S3, bucket: str) -> None:
    for key in ("logs/a", "logs/b", "top"):
        await create(s3, f"/{bucket}/{key}")

    root = parse_xml(await s3.get(f"/{bucket}", query={"uploads": None, "delimiter": "/"}))

    assert texts(root, "Upload/Key") == ["top"]
    assert texts(root, "CommonPrefixes/Prefix") == ["logs/"]


async def test_list_multipart_uploads_pages_report_each_common_prefix_once(
    s3: S3, bucket: str
) -> None:
    for key in ("logs/a", "logs/b", "logs/c", "top"):
        await create(s3, f"/{bucket}/{key}")
    query: dict[str, str | None] = {"uploads": None, "delimiter": "/", "max-uploads": "1"}
    prefixes: list[str] = []
    keys: list[str] = []

    for _ in range(5):
        root = parse_xml(await s3.get(f"/{bucket}", query=query))
        prefixes += texts(root, "CommonPrefixes/Prefix")
        keys += texts(root, "Upload/Key")
        if root.findtext("IsTruncated") != "true":
            break
        query["key-marker"] = root.findtext("NextKeyMarker")
        query["upload-id-marker"] = root.findtext("NextUploadIdMarker")

    assert (prefixes, keys) == (["logs/"], ["top"])


async def test_completed_upload_leaves_the_uploads_list(s3: S3, bucket: str) -> None:
    path = f"/{bucket}/k"
    upload_id = await create(s3, path)
    etag = await upload(s3, path, upload_id, 1, LAST_PART)

    assert (await s3.post(path, completion(etag), query={"uploadId": upload_id})).status_code == 200

    root = parse_xml(await s3.get(f"/{bucket}", query={"uploads": None}))
    assert root.findall("Upload") == []
    assert (await s3.get(path)).content == LAST_PART


async def three_part_object(s3: S3, bucket: str) -> str:
    path = f"/{bucket}/three"
    upload_id = await create(s3, path)
    etags = [
        await upload(s3, path, upload_id, n, body)
        for n, body in enumerate((BIG_PART, BIG_PART, LAST_PART), start=1)
    ]
    done = await s3.post(path, completion(*etags), query={"uploadId": upload_id})
    assert done.status_code == 200, done.text
    return path


async def test_get_object_attributes_pages_object_parts(s3: S3, bucket: str) -> None:
    path = await three_part_object(s3, bucket)
    wanted = {"x-amz-object-attributes": "ObjectParts"}

    first = parse_xml(
        await s3.get(path, query={"attributes": None}, headers={**wanted, "x-amz-max-parts": "2"})
    )
    rest = parse_xml(
        await s3.get(
            path, query={"attributes": None},
            headers={**wanted, "x-amz-max-parts": "2", "x-amz-part-number-marker": "2"},
        )
    )  # fmt: skip

    assert first.findtext("ObjectParts/PartsCount") == "3"
    assert texts(first, "ObjectParts/Part/PartNumber") == ["1", "2"]
    assert first.findtext("ObjectParts/IsTruncated") == "true"
    assert first.findtext("ObjectParts/NextPartNumberMarker") == "2"
    assert texts(rest, "ObjectParts/Part/PartNumber") == ["3"]
    assert texts(rest, "ObjectParts/Part/Size") == [str(len(LAST_PART))]
    assert rest.findtext("ObjectParts/IsTruncated") == "false"


async def test_get_object_attributes_refuses_unknown_names_and_bad_max_parts(
    s3: S3, bucket: str
) -> None:
    path = await three_part_object(s3, bucket)
    query = {"attributes": None}

    unknown = await s3.get(path, query=query, headers={"x-amz-object-attributes": "ETag,Colour"})
    bad = await s3.get(
        path, query=query,
        headers={"x-amz-object-attributes": "ObjectParts", "x-amz-max-parts": "-1"},
    )  # fmt: skip

    error_of(unknown, 400, "InvalidArgument")
    error_of(bad, 400, "InvalidArgument")


async def test_get_and_head_by_part_number_in_process(s3: S3, bucket: str) -> None:
    path = await three_part_object(s3, bucket)
    size = 2 * len(BIG_PART) + len(LAST_PART)

    third = await s3.get(path, query={"partNumber": "3"})
    head = await s3.head(path, query={"partNumber": "1"})
    beyond = await s3.get(path, query={"partNumber": "4"})
    both = await s3.get(path, query={"partNumber": "1"}, headers={"range": "bytes=0-1"})

    assert third.status_code == 206 and third.content == LAST_PART
    assert third.headers["x-amz-mp-parts-count"] == "3"
    assert third.headers["content-range"] == f"bytes {2 * len(BIG_PART)}-{size - 1}/{size}"
    assert head.headers["content-length"] == str(len(BIG_PART))
    error_of(beyond, 416, "InvalidPartNumber")
    error_of(both, 400, "InvalidRequest")
