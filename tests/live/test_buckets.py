"""Bucket operations through boto3 against a live server."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.test_ownership_acl import enable_acls


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_create_bucket_then_list_buckets_shows_it(s3: Any) -> None:
    s3.create_bucket(Bucket="listed-bucket")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "listed-bucket" in names


def test_list_buckets_paginates_through_the_boto3_paginator(s3: Any) -> None:
    names = [f"lb-page-{n}" for n in range(5)]
    for name in names:
        s3.create_bucket(Bucket=name)

    first = s3.list_buckets(MaxBuckets=2, Prefix="lb-page-", BucketRegion="us-east-1")
    pages = s3.get_paginator("list_buckets").paginate(
        Prefix="lb-page-", PaginationConfig={"PageSize": 2}
    )

    assert [b["Name"] for b in first["Buckets"]] == names[:2]
    assert first["ContinuationToken"] and first["Prefix"] == "lb-page-"
    assert [b["Name"] for page in pages for b in page["Buckets"]] == names


def test_create_bucket_twice_is_already_owned_by_you(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=bucket)
    assert error_code(exc) == "BucketAlreadyOwnedByYou"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "UPPER",
        "has_underscore",
        "-leading",
        "trailing-",
        "a..b",
        "192.168.5.4",
        "x" * 64,
        "xn--punycode",
        "bucket-s3alias",
    ],
)
def test_create_bucket_with_invalid_name_is_rejected(s3: Any, name: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=name)
    assert error_code(exc) == "InvalidBucketName"


def test_create_bucket_with_foreign_location_constraint_is_illegal(s3: Any) -> None:
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(
            Bucket="elsewhere-bucket",
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        )
    assert error_code(exc) == "IllegalLocationConstraintException"


def test_head_bucket_reports_region(s3: Any, bucket: str) -> None:
    response = s3.head_bucket(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"


def test_head_missing_bucket_is_404(s3: Any) -> None:
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket="no-such-bucket-here")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_get_bucket_location_of_us_east_1_is_empty(s3: Any, bucket: str) -> None:
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None


def test_delete_bucket_with_only_delete_markers_is_not_empty(
    s3: Any, versioned_bucket: str
) -> None:
    s3.delete_object(Bucket=versioned_bucket, Key="ghost")  # creates a delete marker only
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=versioned_bucket)
    assert error_code(exc) == "BucketNotEmpty"


def test_delete_empty_bucket_then_it_is_gone(s3: Any, bucket: str) -> None:
    s3.delete_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_versioning(Bucket=bucket)
    assert error_code(exc) == "NoSuchBucket"


def test_versioning_starts_unset_then_enabled_then_suspended(s3: Any, bucket: str) -> None:
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


def test_bucket_tagging_round_trips_and_deletes(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_code(exc) == "NoSuchTagSet"
    tags = [{"Key": "team", "Value": "storage"}, {"Key": "env", "Value": ""}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    got = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert sorted(got, key=lambda t: t["Key"]) == sorted(tags, key=lambda t: t["Key"])
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)


def test_bucket_acl_canned_and_grants(s3: Any, bucket: str) -> None:
    enable_acls(s3, bucket)  # new buckets have ACLs disabled, as on AWS
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert {
        "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
        "Permission": "READ",
    } in grants
    owner = acl["Owner"]["ID"]
    s3.put_bucket_acl(
        Bucket=bucket,
        AccessControlPolicy={
            "Owner": {"ID": owner},
            "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": owner}, "Permission": "READ"}],
        },
    )
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert [g["Permission"] for g in grants] == ["READ"]


def test_expected_bucket_owner_on_bucket_and_object_operations(s3: Any, bucket: str) -> None:
    mine, other = "000000000001", "111122223333"  # the live server's root account; another
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner=mine)
    assert s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner=mine)["Body"].read() == b"x"

    calls = [
        lambda: s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner=other),
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"y", ExpectedBucketOwner=other),
        lambda: s3.list_objects_v2(Bucket=bucket, ExpectedBucketOwner=other),
        lambda: s3.get_bucket_versioning(Bucket=bucket, ExpectedBucketOwner=other),
        lambda: s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=other),
        lambda: s3.copy_object(
            Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"},
            ExpectedSourceBucketOwner=other,
        ),
    ]  # fmt: skip
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert error_code(exc) in ("AccessDenied", "403")  # HEAD has no body
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
