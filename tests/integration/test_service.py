"""Service-level operations (`api/handlers/service.py`)."""

from __future__ import annotations

from ferry.region import Region
from tests.integration.s3 import S3, parse_xml, texts


async def test_list_buckets_shows_owner_and_buckets_in_name_order(s3: S3, region: Region) -> None:
    for name in ("zeta-bucket", "alpha-bucket"):
        assert (await s3.put(f"/{name}")).status_code == 200

    response = await s3.get("/")

    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "ListAllMyBucketsResult"
    assert root.findtext("Owner/ID") == region.services.owner_id
    assert texts(root, "Buckets/Bucket/Name") == ["alpha-bucket", "zeta-bucket"]
    assert texts(root, "Buckets/Bucket/BucketRegion") == ["us-east-1", "us-east-1"]
    assert all(d.endswith("Z") for d in texts(root, "Buckets/Bucket/CreationDate"))


async def test_list_buckets_with_prefix_filters_and_echoes_prefix(s3: S3) -> None:
    for name in ("logs-a", "data-b"):
        await s3.put(f"/{name}")

    root = parse_xml(await s3.get("/", query={"prefix": "logs"}))

    assert texts(root, "Buckets/Bucket/Name") == ["logs-a"]
    assert root.findtext("Prefix") == "logs"


async def test_list_buckets_with_no_buckets_is_empty(s3: S3) -> None:
    root = parse_xml(await s3.get("/"))
    assert root.findall("Buckets/Bucket") == []


async def test_list_buckets_pages_with_max_buckets_and_continuation_token(s3: S3) -> None:
    for name in ("page-c", "page-a", "page-d", "page-b", "other-x"):
        await s3.put(f"/{name}")

    first = parse_xml(await s3.get("/", query={"max-buckets": "2", "prefix": "page-"}))
    token = first.findtext("ContinuationToken")
    second = parse_xml(
        await s3.get(
            "/", query={"max-buckets": "2", "prefix": "page-", "continuation-token": token}
        )
    )

    assert texts(first, "Buckets/Bucket/Name") == ["page-a", "page-b"]
    assert token
    assert texts(second, "Buckets/Bucket/Name") == ["page-c", "page-d"]
    assert second.find("ContinuationToken") is None  # the last page


async def test_list_buckets_filters_by_bucket_region(s3: S3) -> None:
    await s3.put("/here-bucket")

    here = parse_xml(await s3.get("/", query={"bucket-region": "us-east-1"}))
    elsewhere = parse_xml(await s3.get("/", query={"bucket-region": "eu-west-1"}))

    assert "here-bucket" in texts(here, "Buckets/Bucket/Name")
    assert texts(elsewhere, "Buckets/Bucket/Name") == []


async def test_list_buckets_refuses_bad_max_buckets_and_tokens(s3: S3) -> None:
    for query in ({"max-buckets": "0"}, {"max-buckets": "10001"}, {"max-buckets": "x"},
                  {"continuation-token": "%%%"}):  # fmt: skip
        response = await s3.get("/", query=query)
        assert response.status_code == 400, query
        assert parse_xml(response).findtext("Code") == "InvalidArgument"
