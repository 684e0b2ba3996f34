"""Tagging and ACL sub-resources of buckets and objects (`api/handlers/subresources.py`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.integration.s3 import S3, error_of, parse_xml, texts

TAGGING = (
    b"<Tagging><TagSet><Tag><Key>team</Key><Value>storage</Value></Tag>"
    b"<Tag><Key>env</Key><Value>test</Value></Tag></TagSet></Tagging>"
)
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def group_grants(policy: ET.Element) -> set[tuple[str, str]]:
    return {
        (grant.findtext("Grantee/URI") or "", grant.findtext("Permission") or "")
        for grant in policy.findall("AccessControlList/Grant")
        if grant.find("Grantee/URI") is not None
    }


# ---- bucket tagging


async def test_put_bucket_tagging_then_get_returns_tag_set(s3: S3, bucket: str) -> None:
    response = await s3.put(f"/{bucket}", TAGGING, query={"tagging": None})

    assert response.status_code == 204
    got = await s3.get(f"/{bucket}", query={"tagging": None})
    assert got.status_code == 200
    root = parse_xml(got)
    assert root.tag == "Tagging"
    pairs = dict(zip(texts(root, "TagSet/Tag/Key"), texts(root, "TagSet/Tag/Value"), strict=True))
    assert pairs == {"team": "storage", "env": "test"}


async def test_get_bucket_tagging_without_tags_is_no_such_tag_set(s3: S3, bucket: str) -> None:
    error_of(await s3.get(f"/{bucket}", query={"tagging": None}), 404, "NoSuchTagSet")


async def test_put_bucket_tagging_with_duplicate_keys_is_invalid(s3: S3, bucket: str) -> None:
    body = (
        b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>"
        b"<Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>"
    )
    response = await s3.put(f"/{bucket}", body, query={"tagging": None})

    assert response.status_code == 400
    error_of(await s3.get(f"/{bucket}", query={"tagging": None}), 404, "NoSuchTagSet")


async def test_delete_bucket_tagging_removes_tag_set(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}", TAGGING, query={"tagging": None})

    response = await s3.delete(f"/{bucket}", query={"tagging": None})

    assert response.status_code == 204
    error_of(await s3.get(f"/{bucket}", query={"tagging": None}), 404, "NoSuchTagSet")
    assert (await s3.head(f"/{bucket}")).status_code == 200  # not DeleteBucket


# ---- bucket ACL


async def test_get_bucket_acl_of_new_bucket_is_owner_full_control(s3: S3, bucket: str) -> None:
    response = await s3.get(f"/{bucket}", query={"acl": None})

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "AccessControlPolicy"
    owner = root.findtext("Owner/ID")
    assert texts(root, "AccessControlList/Grant/Grantee/ID") == [owner]
    assert texts(root, "AccessControlList/Grant/Permission") == ["FULL_CONTROL"]
    grantee = root.find("AccessControlList/Grant/Grantee")
    assert grantee is not None and grantee.get(XSI_TYPE) == "CanonicalUser"


async def test_put_bucket_acl_with_canned_header_grants_public_read(
    s3: S3, acl_bucket: str
) -> None:
    response = await s3.put(
        f"/{acl_bucket}", query={"acl": None}, headers={"x-amz-acl": "public-read"}
    )

    assert response.status_code == 200
    root = parse_xml(await s3.get(f"/{acl_bucket}", query={"acl": None}))
    assert (ALL_USERS, "READ") in group_grants(root)


async def test_put_bucket_acl_with_xml_body_replaces_grants(s3: S3, acl_bucket: str) -> None:
    owner = (
        parse_xml(await s3.get(f"/{acl_bucket}", query={"acl": None})).findtext("Owner/ID") or ""
    )
    body = (
        '<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Owner><ID>{owner}</ID></Owner><AccessControlList><Grant>"
        '<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">'
        f"<ID>{owner}</ID></Grantee><Permission>READ</Permission></Grant>"
        "</AccessControlList></AccessControlPolicy>"
    ).encode()

    assert (await s3.put(f"/{acl_bucket}", body, query={"acl": None})).status_code == 200

    root = parse_xml(await s3.get(f"/{acl_bucket}", query={"acl": None}))
    assert texts(root, "AccessControlList/Grant/Permission") == ["READ"]


async def test_put_bucket_acl_with_unknown_canned_acl_is_refused(s3: S3, bucket: str) -> None:
    response = await s3.put(f"/{bucket}", query={"acl": None}, headers={"x-amz-acl": "nope"})
    assert response.status_code == 400


# ---- object tagging


async def test_put_object_tagging_then_get_returns_tag_set(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/k", b"v")

    response = await s3.put(f"/{bucket}/k", TAGGING, query={"tagging": None})

    assert response.status_code == 200
    got = await s3.get(f"/{bucket}/k", query={"tagging": None})
    assert got.status_code == 200
    root = parse_xml(got)
    assert texts(root, "TagSet/Tag/Key") == ["team", "env"]
    assert (await s3.head(f"/{bucket}/k")).headers["x-amz-tagging-count"] == "2"
    assert (await s3.get(f"/{bucket}/k")).content == b"v"  # the body is untouched


async def test_put_object_with_tagging_header_sets_tags(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/k", b"v", headers={"x-amz-tagging": "a=1&b=two%20words"})

    root = parse_xml(await s3.get(f"/{bucket}/k", query={"tagging": None}))

    assert texts(root, "TagSet/Tag/Value") == ["1", "two words"]


async def test_get_object_tagging_of_untagged_object_is_empty(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/k", b"v")

    root = parse_xml(await s3.get(f"/{bucket}/k", query={"tagging": None}))

    assert root.findall("TagSet/Tag") == []


async def test_put_object_tagging_on_missing_key_is_no_such_key(s3: S3, bucket: str) -> None:
    error_of(await s3.put(f"/{bucket}/nope", TAGGING, query={"tagging": None}), 404, "NoSuchKey")


async def test_delete_object_tagging_clears_tags_only(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/k", b"v", headers={"x-amz-tagging": "a=1"})

    response = await s3.delete(f"/{bucket}/k", query={"tagging": None})

    assert response.status_code == 204
    root = parse_xml(await s3.get(f"/{bucket}/k", query={"tagging": None}))
    assert root.findall("TagSet/Tag") == []
    assert (await s3.get(f"/{bucket}/k")).content == b"v"  # not DeleteObject


async def test_object_tagging_addresses_a_version(s3: S3, versioned_bucket: str) -> None:
    bucket = versioned_bucket
    old = (await s3.put(f"/{bucket}/k", b"1")).headers["x-amz-version-id"]
    await s3.put(f"/{bucket}/k", b"2")

    response = await s3.put(f"/{bucket}/k", TAGGING, query={"tagging": None, "versionId": old})

    assert response.headers["x-amz-version-id"] == old
    latest = parse_xml(await s3.get(f"/{bucket}/k", query={"tagging": None}))
    assert latest.findall("TagSet/Tag") == []
    tagged = parse_xml(await s3.get(f"/{bucket}/k", query={"tagging": None, "versionId": old}))
    assert len(tagged.findall("TagSet/Tag")) == 2


# ---- object ACL


async def test_get_object_acl_of_new_object_is_owner_full_control(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/k", b"v")

    response = await s3.get(f"/{bucket}/k", query={"acl": None})

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "AccessControlPolicy"
    assert texts(root, "AccessControlList/Grant/Permission") == ["FULL_CONTROL"]


async def test_put_object_acl_with_canned_header_grants_public_read(
    s3: S3, acl_bucket: str
) -> None:
    await s3.put(f"/{acl_bucket}/k", b"v")

    response = await s3.put(
        f"/{acl_bucket}/k", query={"acl": None}, headers={"x-amz-acl": "public-read"}
    )

    assert response.status_code == 200
    root = parse_xml(await s3.get(f"/{acl_bucket}/k", query={"acl": None}))
    assert (ALL_USERS, "READ") in group_grants(root)
    assert (await s3.get(f"/{acl_bucket}/k")).content == b"v"  # not PutObject


async def test_put_object_with_canned_acl_header_stores_grants(s3: S3, acl_bucket: str) -> None:
    await s3.put(f"/{acl_bucket}/k", b"v", headers={"x-amz-acl": "public-read"})

    root = parse_xml(await s3.get(f"/{acl_bucket}/k", query={"acl": None}))

    assert (ALL_USERS, "READ") in group_grants(root)


async def test_get_object_acl_of_missing_key_is_no_such_key(s3: S3, bucket: str) -> None:
    error_of(await s3.get(f"/{bucket}/nope", query={"acl": None}), 404, "NoSuchKey")


# ---- ACLs disabled (BucketOwnerEnforced, the default) and Block Public Access


async def test_new_bucket_refuses_acls_other_than_the_owners(s3: S3, bucket: str) -> None:
    public = {"x-amz-acl": "public-read"}
    error_of(
        await s3.put(f"/{bucket}", query={"acl": None}, headers=public),
        400,
        "AccessControlListNotSupported",
    )
    error_of(
        await s3.put(f"/{bucket}/k", b"v", headers=public), 400, "AccessControlListNotSupported"
    )
    owner_only = {"x-amz-acl": "bucket-owner-full-control"}
    assert (await s3.put(f"/{bucket}/k", b"v", headers=owner_only)).status_code == 200
    root = parse_xml(await s3.get(f"/{bucket}/k", query={"acl": None}))
    assert texts(root, "AccessControlList/Grant/Permission") == ["FULL_CONTROL"]


async def test_block_public_acls_refuses_a_public_acl_with_access_denied(
    s3: S3, acl_bucket: str
) -> None:
    block = (
        b"<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>"
        b"</PublicAccessBlockConfiguration>"
    )
    assert (
        await s3.put(f"/{acl_bucket}", block, query={"publicAccessBlock": None})
    ).status_code == 200
    public = {"x-amz-acl": "public-read"}
    error_of(await s3.put(f"/{acl_bucket}/k", b"v", headers=public), 403, "AccessDenied")
    error_of(
        await s3.put(f"/{acl_bucket}", query={"acl": None}, headers=public), 403, "AccessDenied"
    )
    assert (await s3.put(f"/{acl_bucket}/k", b"v")).status_code == 200  # private is fine
