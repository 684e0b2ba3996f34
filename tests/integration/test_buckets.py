"""Bucket lifecycle, location and versioning (`api/handlers/buckets.py`)."""

from __future__ import annotations

from tests.integration.s3 import S3, error_of, parse_xml

ENABLED = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
SUSPENDED = b"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"


async def test_create_bucket_returns_location_and_makes_bucket_listable(s3: S3) -> None:
    response = await s3.put("/new-bucket")

    assert response.status_code == 200
    assert response.headers["location"] == "/new-bucket"
    assert (await s3.head("/new-bucket")).status_code == 200


async def test_create_bucket_with_us_east_1_constraint_is_accepted(s3: S3) -> None:
    body = (
        b"<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint>"
        b"</CreateBucketConfiguration>"
    )
    assert (await s3.put("/constrained", body)).status_code == 200


async def test_create_bucket_in_another_region_is_illegal_location_constraint(s3: S3) -> None:
    body = (
        b"<CreateBucketConfiguration><LocationConstraint>eu-west-3</LocationConstraint>"
        b"</CreateBucketConfiguration>"
    )
    response = await s3.put("/elsewhere", body)

    error_of(response, 400, "IllegalLocationConstraintException")
    assert (await s3.head("/elsewhere")).status_code == 404


async def test_create_existing_bucket_is_already_owned_by_you(s3: S3, bucket: str) -> None:
    error_of(await s3.put(f"/{bucket}"), 409, "BucketAlreadyOwnedByYou")


async def test_create_bucket_with_invalid_name_is_refused(s3: S3) -> None:
    error_of(await s3.put("/Invalid_Name"), 400, "InvalidBucketName")


async def test_head_bucket_reports_region(s3: S3, bucket: str) -> None:
    response = await s3.head(f"/{bucket}")

    assert response.status_code == 200
    assert response.headers["x-amz-bucket-region"] == "us-east-1"
    assert response.content == b""


async def test_head_missing_bucket_is_404_without_body(s3: S3) -> None:
    response = await s3.head("/no-such-bucket")

    assert response.status_code == 404
    assert response.content == b""


async def test_delete_bucket_removes_it(s3: S3, bucket: str) -> None:
    response = await s3.delete(f"/{bucket}")

    assert response.status_code == 204
    assert (await s3.head(f"/{bucket}")).status_code == 404
    error_of(await s3.delete(f"/{bucket}"), 404, "NoSuchBucket")


async def test_delete_non_empty_bucket_is_bucket_not_empty(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}/key", b"data")

    root = error_of(await s3.delete(f"/{bucket}"), 409, "BucketNotEmpty")

    assert root.findtext("BucketName") == bucket
    assert (await s3.head(f"/{bucket}")).status_code == 200


async def test_get_bucket_location_of_us_east_1_is_empty(s3: S3, bucket: str) -> None:
    response = await s3.get(f"/{bucket}", query={"location": None})

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "LocationConstraint"
    assert not root.text


async def test_get_bucket_location_of_missing_bucket_is_no_such_bucket(s3: S3) -> None:
    error_of(await s3.get("/missing", query={"location": None}), 404, "NoSuchBucket")


async def test_get_bucket_versioning_of_new_bucket_has_no_status(s3: S3, bucket: str) -> None:
    response = await s3.get(f"/{bucket}", query={"versioning": None})

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "VersioningConfiguration"
    assert root.find("Status") is None


async def test_put_bucket_versioning_enables_then_suspends(s3: S3, bucket: str) -> None:
    for body, status in ((ENABLED, "Enabled"), (SUSPENDED, "Suspended")):
        response = await s3.put(f"/{bucket}", body, query={"versioning": None})
        assert response.status_code == 200, response.text

        root = parse_xml(await s3.get(f"/{bucket}", query={"versioning": None}))
        assert root.findtext("Status") == status


async def test_put_bucket_versioning_makes_puts_return_version_ids(s3: S3, bucket: str) -> None:
    assert "x-amz-version-id" not in (await s3.put(f"/{bucket}/k", b"1")).headers

    await s3.put(f"/{bucket}", ENABLED, query={"versioning": None})

    first = (await s3.put(f"/{bucket}/k", b"2")).headers["x-amz-version-id"]
    second = (await s3.put(f"/{bucket}/k", b"3")).headers["x-amz-version-id"]
    assert first != second != "null"


async def test_put_bucket_versioning_with_malformed_xml_is_refused(s3: S3, bucket: str) -> None:
    response = await s3.put(f"/{bucket}", b"<VersioningConfiguration>", query={"versioning": None})

    error_of(response, 400, "MalformedXML")
    root = parse_xml(await s3.get(f"/{bucket}", query={"versioning": None}))
    assert root.find("Status") is None
