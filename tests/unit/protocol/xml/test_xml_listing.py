from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ferry.protocol.xml import (
    ChecksumAlgorithm,
    ChecksumType,
    EncodingType,
    ListedDeleteMarker,
    ListedObject,
    ListedVersion,
    ListObjectsResult,
    ListObjectsV2Result,
    ListObjectVersionsResult,
    Owner,
    render_list_object_versions,
    render_list_objects,
    render_list_objects_v2,
)

OWNER = Owner(
    id="75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
    display_name="mtd@amazon.com",
)
T0 = datetime(2024, 2, 29, 23, 59, 58, 123000, tzinfo=UTC)


def minify(document: str) -> bytes:
    """An AWS documentation example as S3 sends it: no indentation between elements."""
    declaration, _, body = document.strip().partition("\n")
    return (declaration + "\n" + re.sub(r">\s+<", "><", body.strip())).encode()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# Golden vectors: AWS API reference examples, minified. Two deviations from the printed
# pages, both as S3 really answers: ETag quotes are written `&quot;`, and the empty
# markers of ListObjectVersions as start and end tags (the page pretty-prints `<KeyMarker/>`
# and drops the trailing slash of the namespace).


def test_list_objects_v2_example_listing_keys_after_start_after_matches_aws_bytes() -> None:
    expected = minify("""
<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>quotes</Name>
  <Prefix>E</Prefix>
  <StartAfter>ExampleGuide.pdf</StartAfter>
  <KeyCount>1</KeyCount>
  <MaxKeys>3</MaxKeys>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>ExampleObject.txt</Key>
    <LastModified>2013-09-17T18:07:53.000Z</LastModified>
    <ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag>
    <Size>857</Size>
    <StorageClass>REDUCED_REDUNDANCY</StorageClass>
  </Contents>
</ListBucketResult>
""")
    result = ListObjectsV2Result(
        name="quotes",
        prefix="E",
        start_after="ExampleGuide.pdf",
        max_keys=3,
        contents=(
            ListedObject(
                key="ExampleObject.txt",
                last_modified=at("2013-09-17T18:07:53.000Z"),
                etag="599bab3ed2c697f1d26842727561fd94",
                size=857,
                storage_class="REDUCED_REDUNDANCY",
            ),
        ),
    )
    assert render_list_objects_v2(result) == expected


def test_list_objects_v2_example_prefix_and_delimiter_matches_aws_bytes() -> None:
    expected = minify("""
<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>example-bucket</Name>
  <Prefix>photos/2006/</Prefix>
  <KeyCount>3</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <Delimiter>/</Delimiter>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>photos/2006/</Key>
    <LastModified>2016-04-30T23:51:29.000Z</LastModified>
    <ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>
    <Size>0</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <CommonPrefixes>
    <Prefix>photos/2006/February/</Prefix>
  </CommonPrefixes>
  <CommonPrefixes>
    <Prefix>photos/2006/January/</Prefix>
  </CommonPrefixes>
</ListBucketResult>
""")
    result = ListObjectsV2Result(
        name="example-bucket",
        prefix="photos/2006/",
        delimiter="/",
        contents=(
            ListedObject(
                key="photos/2006/",
                last_modified=at("2016-04-30T23:51:29.000Z"),
                etag="d41d8cd98f00b204e9800998ecf8427e",
                size=0,
            ),
        ),
        common_prefixes=("photos/2006/February/", "photos/2006/January/"),
    )
    assert render_list_objects_v2(result) == expected


def test_list_objects_v2_example_continuation_token_matches_aws_bytes() -> None:
    expected = minify("""
<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix></Prefix>
  <ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken>
  <KeyCount>0</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <IsTruncated>false</IsTruncated>
</ListBucketResult>
""")
    result = ListObjectsV2Result(
        name="bucket", continuation_token="1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
    )
    assert render_list_objects_v2(result) == expected


def test_list_objects_v1_example_matches_aws_bytes() -> None:
    expected = minify("""
<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>bucket</Name>
    <Prefix></Prefix>
    <Marker></Marker>
    <MaxKeys>1000</MaxKeys>
    <IsTruncated>false</IsTruncated>
    <Contents>
        <Key>my-image.jpg</Key>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
        <Size>434234</Size>
        <StorageClass>STANDARD</StorageClass>
        <Owner>
            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
            <DisplayName>mtd@amazon.com</DisplayName>
        </Owner>
    </Contents>
</ListBucketResult>
""")
    result = ListObjectsResult(
        name="bucket",
        contents=(
            ListedObject(
                key="my-image.jpg",
                last_modified=at("2009-10-12T17:50:30.000Z"),
                etag="fba9dede5f27731c9771645a39863328",
                size=434234,
                owner=OWNER,
            ),
        ),
    )
    assert render_list_objects(result) == expected


def test_list_object_versions_example_matches_aws_bytes() -> None:
    expected = minify("""
<?xml version="1.0" encoding="UTF-8"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>bucket</Name>
    <Prefix>my</Prefix>
    <KeyMarker></KeyMarker>
    <VersionIdMarker></VersionIdMarker>
    <MaxKeys>5</MaxKeys>
    <IsTruncated>false</IsTruncated>
    <Version>
        <Key>my-image.jpg</Key>
        <VersionId>3/L4kqtJl40Nr8X8gdRQBpUMLUo</VersionId>
        <IsLatest>true</IsLatest>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
        <Size>434234</Size>
        <StorageClass>STANDARD</StorageClass>
        <Owner>
            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
            <DisplayName>mtd@amazon.com</DisplayName>
        </Owner>
    </Version>
    <DeleteMarker>
        <Key>my-second-image.jpg</Key>
        <VersionId>03jpff543dhffds434rfdsFDN943fdsFkdmqnh892</VersionId>
        <IsLatest>true</IsLatest>
        <LastModified>2009-11-12T17:50:30.000Z</LastModified>
        <Owner>
            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
            <DisplayName>mtd@amazon.com</DisplayName>
        </Owner>
    </DeleteMarker>
    <Version>
        <Key>my-second-image.jpg</Key>
        <VersionId>QUpfdndhfd8438MNFDN93jdnJFkdmqnh893</VersionId>
        <IsLatest>false</IsLatest>
        <LastModified>2009-10-10T17:50:30.000Z</LastModified>
        <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>
        <Size>166434</Size>
        <StorageClass>STANDARD</StorageClass>
        <Owner>
            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
            <DisplayName>mtd@amazon.com</DisplayName>
        </Owner>
    </Version>
    <DeleteMarker>
        <Key>my-third-image.jpg</Key>
        <VersionId>03jpff543dhffds434rfdsFDN943fdsFkdmqnh892</VersionId>
        <IsLatest>true</IsLatest>
        <LastModified>2009-10-15T17:50:30.000Z</LastModified>
        <Owner>
            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
            <DisplayName>mtd@amazon.com</DisplayName>
        </Owner>
    </DeleteMarker>
    <Version>
        <Key>my-third-image.jpg</Key>
        <VersionId>UIORUnfndfhnw89493jJFJ</VersionId>
        <IsLatest>false</IsLatest>
        <LastModified>2009-10-11T12:50:30.000Z</LastModified>
        <ETag>&quot;772cf535f27731c974343645a3985328&quot;</ETag>
        <Size>64</Size>
        <StorageClass>STANDARD</StorageClass>
        <Owner>
            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
            <DisplayName>mtd@amazon.com</DisplayName>
        </Owner>
    </Version>
</ListVersionsResult>
""")

    def version(key: str, version_id: str, latest: bool, when: str, etag: str, size: int):
        return ListedVersion(
            key=key,
            version_id=version_id,
            is_latest=latest,
            last_modified=at(when),
            etag=etag,
            size=size,
            owner=OWNER,
        )

    def marker(key: str, version_id: str, when: str) -> ListedDeleteMarker:
        return ListedDeleteMarker(
            key=key, version_id=version_id, is_latest=True, last_modified=at(when), owner=OWNER
        )

    marker_id = "03jpff543dhffds434rfdsFDN943fdsFkdmqnh892"
    result = ListObjectVersionsResult(
        name="bucket",
        prefix="my",
        max_keys=5,
        versions=(
            version(
                "my-image.jpg",
                "3/L4kqtJl40Nr8X8gdRQBpUMLUo",
                True,
                "2009-10-12T17:50:30.000Z",
                "fba9dede5f27731c9771645a39863328",
                434234,
            ),
            marker("my-second-image.jpg", marker_id, "2009-11-12T17:50:30.000Z"),
            version(
                "my-second-image.jpg",
                "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893",
                False,
                "2009-10-10T17:50:30.000Z",
                "9b2cf535f27731c974343645a3985328",
                166434,
            ),
            marker("my-third-image.jpg", marker_id, "2009-10-15T17:50:30.000Z"),
            version(
                "my-third-image.jpg",
                "UIORUnfndfhnw89493jJFJ",
                False,
                "2009-10-11T12:50:30.000Z",
                "772cf535f27731c974343645a3985328",
                64,
            ),
        ),
    )
    assert render_list_object_versions(result) == expected


# botocore as the judge.


def _objects(keys: tuple[str, ...], owner: Owner | None = OWNER) -> tuple[ListedObject, ...]:
    return tuple(
        ListedObject(
            key=key,
            last_modified=T0 + timedelta(milliseconds=index),
            etag=f"{index:032x}-2" if index % 2 else f"{index:032x}",
            size=index * 1000,
            storage_class="STANDARD_IA" if index % 3 else "STANDARD",
            checksum_algorithm=ChecksumAlgorithm.CRC64NVME if index % 2 else None,
            checksum_type=ChecksumType.FULL_OBJECT if index % 2 else None,
            owner=owner,
        )
        for index, key in enumerate(keys)
    )


def _botocore_contents(objects: tuple[ListedObject, ...], *, with_owner: bool) -> list[dict]:
    expected = []
    for obj in objects:
        entry: dict = {
            "Key": obj.key,
            "LastModified": obj.last_modified,
            "ETag": f'"{obj.etag}"',
            "Size": obj.size,
            "StorageClass": obj.storage_class,
        }
        if obj.checksum_algorithm is not None:
            entry["ChecksumAlgorithm"] = [obj.checksum_algorithm.value]
        if obj.checksum_type is not None:
            entry["ChecksumType"] = obj.checksum_type.value
        if with_owner and obj.owner is not None:
            entry["Owner"] = {"ID": obj.owner.id, "DisplayName": obj.owner.display_name}
        expected.append(entry)
    return expected


@pytest.mark.parametrize("fetch_owner", [True, False])
def test_list_objects_v2_parses_in_botocore_with_awkward_keys(
    parse_output, awkward_keys, fetch_owner: bool
) -> None:
    objects = _objects(awkward_keys)
    result = ListObjectsV2Result(
        name="my-bucket",
        prefix="p & <q>",
        delimiter="]]>",
        max_keys=17,
        is_truncated=True,
        continuation_token="tok&en<1>",
        next_continuation_token="next/token==",
        start_after="start ü",
        fetch_owner=fetch_owner,
        contents=objects,
        common_prefixes=("p & <q>a]]>", "p & <q>b]]>"),
    )
    parsed = parse_output("ListObjectsV2", render_list_objects_v2(result))
    assert parsed == {
        "Name": "my-bucket",
        "Prefix": "p & <q>",
        "Delimiter": "]]>",
        "MaxKeys": 17,
        "IsTruncated": True,
        "ContinuationToken": "tok&en<1>",
        "NextContinuationToken": "next/token==",
        "StartAfter": "start ü",
        "KeyCount": len(awkward_keys) + 2,
        "Contents": _botocore_contents(objects, with_owner=fetch_owner),
        "CommonPrefixes": [{"Prefix": "p & <q>a]]>"}, {"Prefix": "p & <q>b]]>"}],
    }


def test_list_objects_v2_url_encoding_round_trips_control_characters_through_boto3(
    parse_listing, awkward_keys, control_keys
) -> None:
    keys = awkward_keys + control_keys
    result = ListObjectsV2Result(
        name="b",
        prefix="\x01pre fix",
        delimiter="\x02",
        start_after="\x03after",
        encoding_type=EncodingType.URL,
        contents=_objects(keys, owner=None),
        common_prefixes=("\x01pre fix/\x02",),
    )
    body = render_list_objects_v2(result)
    assert b"&#x" not in body
    parsed = parse_listing("ListObjectsV2", body)
    assert [obj["Key"] for obj in parsed["Contents"]] == list(keys)
    assert parsed["Prefix"] == "\x01pre fix"
    assert parsed["Delimiter"] == "\x02"
    assert parsed["StartAfter"] == "\x03after"
    assert parsed["CommonPrefixes"] == [{"Prefix": "\x01pre fix/\x02"}]
    assert parsed["EncodingType"] == "url"


def test_url_encoding_writes_names_as_s3_does() -> None:
    result = ListObjectsV2Result(
        name="b",
        encoding_type=EncodingType.URL,
        contents=_objects(("a b+c/d*e~f%g\x01é",), owner=None),
    )
    assert b"<Key>a+b%2Bc/d*e%7Ef%25g%01%C3%A9</Key>" in render_list_objects_v2(result)
    assert b"<EncodingType>url</EncodingType>" in render_list_objects_v2(result)


def test_without_url_encoding_control_characters_are_character_references() -> None:
    result = ListObjectsV2Result(name="b", contents=_objects(("a\x01b\rc\x1f",), owner=None))
    assert b"<Key>a&#x1;b&#xD;c&#x1F;</Key>" in render_list_objects_v2(result)


def test_list_objects_v1_parses_in_botocore(parse_listing, awkward_keys) -> None:
    objects = _objects(awkward_keys)
    result = ListObjectsResult(
        name="my-bucket",
        prefix="",
        delimiter="/",
        marker="m & m",
        next_marker="<next>",
        max_keys=2,
        is_truncated=True,
        contents=objects,
        common_prefixes=("a/",),
    )
    parsed = parse_listing("ListObjects", render_list_objects(result))
    assert parsed == {
        "Name": "my-bucket",
        "Prefix": "",
        "Delimiter": "/",
        "Marker": "m & m",
        "NextMarker": "<next>",
        "MaxKeys": 2,
        "IsTruncated": True,
        "Contents": _botocore_contents(objects, with_owner=True),
        "CommonPrefixes": [{"Prefix": "a/"}],
    }


def test_list_objects_v1_writes_next_marker_only_with_a_delimiter(parse_output) -> None:
    result = ListObjectsResult(name="b", next_marker="k", is_truncated=True)
    assert "NextMarker" not in parse_output("ListObjects", render_list_objects(result))


def test_list_objects_v1_url_encoding_round_trips_through_boto3(
    parse_listing, control_keys
) -> None:
    result = ListObjectsResult(
        name="b",
        delimiter="\x02",
        marker="\x01m",
        next_marker="\x01n",
        encoding_type=EncodingType.URL,
        contents=_objects(control_keys, owner=None),
        common_prefixes=("x\x02",),
    )
    parsed = parse_listing("ListObjects", render_list_objects(result))
    assert [obj["Key"] for obj in parsed["Contents"]] == list(control_keys)
    assert (parsed["Delimiter"], parsed["Marker"], parsed["NextMarker"]) == (
        "\x02",
        "\x01m",
        "\x01n",
    )
    assert parsed["CommonPrefixes"] == [{"Prefix": "x\x02"}]


def test_list_object_versions_parses_in_botocore_with_interleaved_markers(
    parse_listing, awkward_keys
) -> None:
    entries: list[ListedVersion | ListedDeleteMarker] = []
    for index, key in enumerate(awkward_keys):
        entries.append(
            ListedDeleteMarker(
                key=key, version_id=f"m{index}", is_latest=True, last_modified=T0, owner=OWNER
            )
        )
        entries.append(
            ListedVersion(
                key=key,
                version_id="null" if index == 0 else f"v{index}",
                is_latest=False,
                last_modified=T0 - timedelta(days=index),
                etag=f"{index:032x}",
                size=index,
                checksum_algorithm=ChecksumAlgorithm.CRC32C,
                owner=Owner(id=f"other-{index}"),
            )
        )
    result = ListObjectVersionsResult(
        name="b",
        prefix="",
        delimiter="/",
        key_marker="km <",
        version_id_marker="vm&",
        next_key_marker="nk >",
        next_version_id_marker="nv'",
        max_keys=len(entries),
        is_truncated=True,
        versions=tuple(entries),
        common_prefixes=("dir/",),
    )
    parsed = parse_listing("ListObjectVersions", render_list_object_versions(result))
    versions = [entry for entry in entries if isinstance(entry, ListedVersion)]
    markers = [entry for entry in entries if isinstance(entry, ListedDeleteMarker)]
    assert parsed == {
        "Name": "b",
        "Prefix": "",
        "Delimiter": "/",
        "KeyMarker": "km <",
        "VersionIdMarker": "vm&",
        "NextKeyMarker": "nk >",
        "NextVersionIdMarker": "nv'",
        "MaxKeys": len(entries),
        "IsTruncated": True,
        "Versions": [
            {
                "Key": v.key,
                "VersionId": v.version_id,
                "IsLatest": False,
                "LastModified": v.last_modified,
                "ETag": f'"{v.etag}"',
                "Size": v.size,
                "StorageClass": "STANDARD",
                "ChecksumAlgorithm": ["CRC32C"],
                "Owner": {"ID": v.owner.id} if v.owner else {},
            }
            for v in versions
        ],
        "DeleteMarkers": [
            {
                "Key": m.key,
                "VersionId": m.version_id,
                "IsLatest": True,
                "LastModified": T0,
                "Owner": {"ID": OWNER.id, "DisplayName": OWNER.display_name},
            }
            for m in markers
        ],
        "CommonPrefixes": [{"Prefix": "dir/"}],
    }


def test_list_object_versions_url_encoding_round_trips_through_boto3(
    parse_listing, control_keys
) -> None:
    result = ListObjectVersionsResult(
        name="b",
        prefix="\x01",
        delimiter="\x02",
        key_marker="\x03",
        next_key_marker="\x04",
        next_version_id_marker="v",
        encoding_type=EncodingType.URL,
        versions=tuple(
            ListedDeleteMarker(key=key, version_id="m", is_latest=True, last_modified=T0)
            for key in control_keys
        ),
        common_prefixes=("\x01\x02",),
    )
    parsed = parse_listing("ListObjectVersions", render_list_object_versions(result))
    assert [marker["Key"] for marker in parsed["DeleteMarkers"]] == list(control_keys)
    assert [parsed[name] for name in ("Prefix", "Delimiter", "KeyMarker", "NextKeyMarker")] == [
        "\x01",
        "\x02",
        "\x03",
        "\x04",
    ]
    assert parsed["CommonPrefixes"] == [{"Prefix": "\x01\x02"}]


def test_timestamps_are_rendered_in_utc_with_milliseconds(parse_output) -> None:
    plus_two = timezone(timedelta(hours=2))
    when = datetime(2024, 1, 1, 1, 0, 0, 999999, tzinfo=plus_two)
    result = ListObjectsV2Result(
        name="b",
        contents=(ListedObject(key="k", last_modified=when, etag="e", size=1),),
    )
    body = render_list_objects_v2(result)
    assert b"<LastModified>2023-12-31T23:00:00.999Z</LastModified>" in body
    parsed = parse_output("ListObjectsV2", body)
    assert parsed["Contents"][0]["LastModified"] == when.replace(microsecond=999000)


def test_naive_datetimes_are_refused() -> None:
    result = ListObjectsV2Result(
        name="b",
        contents=(ListedObject(key="k", last_modified=datetime(2024, 1, 1), etag="e", size=1),),
    )
    with pytest.raises(ValueError, match="naive"):
        render_list_objects_v2(result)


def test_rendering_a_full_page_of_a_thousand_keys_takes_a_few_milliseconds() -> None:
    objects = tuple(
        ListedObject(
            key=f"photos/2024/{index:06d}-holiday picture.jpg",
            last_modified=T0 + timedelta(seconds=index),
            etag="d41d8cd98f00b204e9800998ecf8427e",
            size=index,
            owner=Owner(id=OWNER.id, display_name=OWNER.display_name),
        )
        for index in range(1000)
    )
    result = ListObjectsV2Result(name="b", contents=objects, fetch_owner=True)
    best = min(_duration(lambda: render_list_objects_v2(result)) for _ in range(5))
    # A few ms on a laptop; the bound leaves room for slow, shared CI machines.
    assert best < 0.05


def _duration(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start
