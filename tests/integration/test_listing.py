"""ListObjects, ListObjectsV2 and ListObjectVersions (`api/handlers/listing.py`)."""

from __future__ import annotations

from tests.integration.s3 import S3, error_of, parse_xml, texts

KEYS = ("a.txt", "photos/2024/x.jpg", "photos/2025/y.jpg", "photos/z.jpg", "zz.txt")


async def fill(s3: S3, bucket: str, keys: tuple[str, ...] = KEYS) -> None:
    for key in keys:
        assert (await s3.put(f"/{bucket}/{key}", key.encode())).status_code == 200


async def test_list_objects_returns_every_key_with_owner(s3: S3, bucket: str) -> None:
    await fill(s3, bucket)

    response = await s3.get(f"/{bucket}")

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "ListBucketResult"
    assert root.findtext("Name") == bucket
    assert root.findtext("IsTruncated") == "false"
    assert texts(root, "Contents/Key") == list(KEYS)
    assert texts(root, "Contents/Size") == [str(len(k)) for k in KEYS]
    assert len(texts(root, "Contents/Owner/ID")) == len(KEYS)


async def test_list_objects_with_delimiter_groups_common_prefixes(s3: S3, bucket: str) -> None:
    await fill(s3, bucket)

    root = parse_xml(await s3.get(f"/{bucket}", query={"prefix": "photos/", "delimiter": "/"}))

    assert root.findtext("Prefix") == "photos/"
    assert root.findtext("Delimiter") == "/"
    assert texts(root, "Contents/Key") == ["photos/z.jpg"]
    assert texts(root, "CommonPrefixes/Prefix") == ["photos/2024/", "photos/2025/"]


async def test_list_objects_pages_with_marker(s3: S3, bucket: str) -> None:
    await fill(s3, bucket)

    first = parse_xml(await s3.get(f"/{bucket}", query={"max-keys": "2"}))
    assert first.findtext("IsTruncated") == "true"
    assert texts(first, "Contents/Key") == list(KEYS[:2])

    marker = texts(first, "Contents/Key")[-1]
    rest = parse_xml(await s3.get(f"/{bucket}", query={"marker": marker}))
    assert rest.findtext("Marker") == marker
    assert rest.findtext("IsTruncated") == "false"
    assert texts(rest, "Contents/Key") == list(KEYS[2:])


async def test_list_objects_with_bad_max_keys_is_invalid_argument(s3: S3, bucket: str) -> None:
    error_of(await s3.get(f"/{bucket}", query={"max-keys": "many"}), 400, "InvalidArgument")


async def test_list_objects_of_missing_bucket_is_no_such_bucket(s3: S3) -> None:
    error_of(await s3.get("/missing"), 404, "NoSuchBucket")


async def test_list_objects_v2_counts_keys_and_prefixes(s3: S3, bucket: str) -> None:
    await fill(s3, bucket)

    response = await s3.get(f"/{bucket}", query={"list-type": "2", "delimiter": "/"})

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "ListBucketResult"
    assert texts(root, "Contents/Key") == ["a.txt", "zz.txt"]
    assert texts(root, "CommonPrefixes/Prefix") == ["photos/"]
    assert root.findtext("KeyCount") == "3"
    assert root.find("Contents/Owner") is None  # fetch-owner defaults to false


async def test_list_objects_v2_pages_with_continuation_token(s3: S3, bucket: str) -> None:
    await fill(s3, bucket)
    seen: list[str] = []
    query: dict[str, str | None] = {"list-type": "2", "max-keys": "2"}

    for _ in range(len(KEYS)):
        root = parse_xml(await s3.get(f"/{bucket}", query=query))
        seen += texts(root, "Contents/Key")
        token = root.findtext("NextContinuationToken")
        if root.findtext("IsTruncated") == "false":
            assert token is None
            break
        assert token
        query["continuation-token"] = token

    assert seen == list(KEYS)


async def test_list_objects_v2_start_after_and_fetch_owner(s3: S3, bucket: str) -> None:
    await fill(s3, bucket)
    query = {"list-type": "2", "start-after": "photos/z.jpg", "fetch-owner": "true"}

    root = parse_xml(await s3.get(f"/{bucket}", query=query))

    assert root.findtext("StartAfter") == "photos/z.jpg"
    assert texts(root, "Contents/Key") == ["zz.txt"]
    assert root.findtext("Contents/Owner/DisplayName") == "ferry"


async def test_list_objects_v2_url_encoding_encodes_keys(s3: S3, bucket: str) -> None:
    await fill(s3, bucket, ("a b.txt",))

    root = parse_xml(await s3.get(f"/{bucket}", query={"list-type": "2", "encoding-type": "url"}))

    assert root.findtext("EncodingType") == "url"
    assert texts(root, "Contents/Key") in (["a%20b.txt"], ["a+b.txt"])


async def test_list_object_versions_shows_versions_and_delete_markers(
    s3: S3, versioned_bucket: str
) -> None:
    bucket = versioned_bucket
    v1 = (await s3.put(f"/{bucket}/k", b"one")).headers["x-amz-version-id"]
    v2 = (await s3.put(f"/{bucket}/k", b"two")).headers["x-amz-version-id"]
    marker = (await s3.delete(f"/{bucket}/k")).headers["x-amz-version-id"]

    response = await s3.get(f"/{bucket}", query={"versions": None})

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "ListVersionsResult"
    assert texts(root, "Version/VersionId") == [v2, v1]
    assert texts(root, "Version/IsLatest") == ["false", "false"]
    assert texts(root, "Version/Size") == ["3", "3"]
    assert texts(root, "DeleteMarker/VersionId") == [marker]
    assert texts(root, "DeleteMarker/IsLatest") == ["true"]


async def test_list_object_versions_of_unversioned_bucket_shows_null_version(
    s3: S3, bucket: str
) -> None:
    await s3.put(f"/{bucket}/k", b"one")

    root = parse_xml(await s3.get(f"/{bucket}", query={"versions": None}))

    assert texts(root, "Version/VersionId") == ["null"]
    assert texts(root, "Version/IsLatest") == ["true"]


async def test_list_object_versions_pages_with_markers(s3: S3, versioned_bucket: str) -> None:
    bucket = versioned_bucket
    for body in (b"1", b"2", b"3"):
        await s3.put(f"/{bucket}/k", body)

    first = parse_xml(await s3.get(f"/{bucket}", query={"versions": None, "max-keys": "2"}))
    assert first.findtext("IsTruncated") == "true"
    query: dict[str, str | None] = {
        "versions": None,
        "key-marker": first.findtext("NextKeyMarker") or "",
        "version-id-marker": first.findtext("NextVersionIdMarker") or "",
    }
    rest = parse_xml(await s3.get(f"/{bucket}", query=query))

    assert rest.findtext("IsTruncated") == "false"
    assert len(texts(first, "Version/VersionId") + texts(rest, "Version/VersionId")) == 3


async def test_list_object_versions_with_version_marker_alone_is_invalid(
    s3: S3, bucket: str
) -> None:
    query: dict[str, str | None] = {"versions": None, "version-id-marker": "v"}
    error_of(await s3.get(f"/{bucket}", query=query), 400, "InvalidArgument")
