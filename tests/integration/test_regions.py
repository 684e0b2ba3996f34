"""Two regions of one deployment in one process, sharing the control plane: bucket names unique
across regions, ListBuckets across regions, and AWS's 301 PermanentRedirect."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ferry.config import DeploymentConfig, RegionConfig, RootCredentials
from ferry.core.errors import FerryError
from ferry.core.secret import Secret
from ferry.region import Region, build_region
from tests.integration.conftest import lifespan
from tests.integration.s3 import ACCESS_KEY, S3, SECRET_KEY, error_of, parse_xml, texts

EAST_BUCKET = "east-photos"


@dataclass
class Deployment:
    east: Region
    west: Region
    s3_east: S3
    s3_west: S3


@pytest.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    root = RootCredentials(
        access_key=ACCESS_KEY, secret_key=Secret(SECRET_KEY), account_id="000000000042",
        defaulted=False,
    )  # fmt: skip
    config = DeploymentConfig(
        data_dir=tmp_path,
        regions=(
            RegionConfig(name="us-east-1", port=9000, data_dir=tmp_path / "us-east-1"),
            RegionConfig(name="eu-west-1", port=9001, data_dir=tmp_path / "eu-west-1"),
        ),
        root=root,
    )
    east, west = (
        build_region(r, root, deployment=config, run_workers=False) for r in config.regions
    )
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for region in (east, west):
            await stack.enter_async_context(lifespan(region.app))
            http = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=region.app),
                    base_url=region.config.endpoint,
                )
            )
            clients.append(S3(http, region=region.config.name))
        yield Deployment(east=east, west=west, s3_east=clients[0], s3_west=clients[1])


WEST_LOCATION = (
    b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
    b"</CreateBucketConfiguration>"
)


async def create(d: Deployment, name: str, *, west: bool = False) -> httpx.Response:
    if west:
        return await d.s3_west.put(f"/{name}", WEST_LOCATION)
    return await d.s3_east.put(f"/{name}")


async def test_a_bucket_name_is_unique_across_regions(deployment: Deployment) -> None:
    assert (await create(deployment, EAST_BUCKET)).status_code == 200
    # AWS answers BucketAlreadyOwnedByYou whenever you own the bucket, whatever its region.
    error_of(await create(deployment, EAST_BUCKET, west=True), 409, "BucketAlreadyOwnedByYou")
    error_of(await create(deployment, EAST_BUCKET), 409, "BucketAlreadyOwnedByYou")
    entry = await deployment.east.services.directory.lookup(EAST_BUCKET)
    assert entry is not None and entry.region == "us-east-1"


async def test_list_buckets_on_either_region_lists_every_region(deployment: Deployment) -> None:
    await create(deployment, EAST_BUCKET)
    await create(deployment, "west-logs", west=True)
    for s3 in (deployment.s3_east, deployment.s3_west):
        root = parse_xml(await s3.get("/"))
        assert texts(root, "Buckets/Bucket/Name") == [EAST_BUCKET, "west-logs"]
        assert texts(root, "Buckets/Bucket/BucketRegion") == ["us-east-1", "eu-west-1"]
    only_west = parse_xml(await deployment.s3_east.get("/", query={"bucket-region": "eu-west-1"}))
    assert texts(only_west, "Buckets/Bucket/Name") == ["west-logs"]


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("GET", f"/{EAST_BUCKET}", None),  # ListObjects
        ("GET", f"/{EAST_BUCKET}", {"location": None}),  # GetBucketLocation
        ("GET", f"/{EAST_BUCKET}", {"versioning": None}),
        ("PUT", f"/{EAST_BUCKET}/key.txt", None),  # PutObject
        ("GET", f"/{EAST_BUCKET}/key.txt", None),
        ("DELETE", f"/{EAST_BUCKET}", None),  # DeleteBucket
    ],
)
async def test_a_bucket_of_another_region_answers_permanent_redirect(
    deployment: Deployment, method: str, path: str, query: dict[str, str | None] | None
) -> None:
    await create(deployment, EAST_BUCKET)
    response = await deployment.s3_west.request(method, path, query=query, body=b"")
    error = error_of(response, 301, "PermanentRedirect")
    assert response.headers["x-amz-bucket-region"] == "us-east-1"
    assert error.findtext("Endpoint") == "127.0.0.1:9000"
    assert error.findtext("Bucket") == EAST_BUCKET
    assert [child.tag for child in error][:4] == ["Code", "Message", "Endpoint", "Bucket"]
    # The redirect changed nothing: the bucket still lives in the east.
    assert (await deployment.s3_east.head(f"/{EAST_BUCKET}")).status_code == 200


async def test_head_bucket_of_another_region_is_301_with_region_and_no_body(
    deployment: Deployment,
) -> None:
    await create(deployment, EAST_BUCKET)
    response = await deployment.s3_west.head(f"/{EAST_BUCKET}")
    assert response.status_code == 301
    assert response.headers["x-amz-bucket-region"] == "us-east-1"
    assert response.content == b""


async def test_a_bucket_nowhere_is_still_no_such_bucket(deployment: Deployment) -> None:
    error_of(await deployment.s3_west.get("/nowhere"), 404, "NoSuchBucket")
    assert (await deployment.s3_west.head("/nowhere")).status_code == 404


async def test_a_deleted_bucket_frees_its_name_for_every_region(deployment: Deployment) -> None:
    await create(deployment, EAST_BUCKET)
    assert (await deployment.s3_east.delete(f"/{EAST_BUCKET}")).status_code == 204
    assert await deployment.west.services.directory.lookup(EAST_BUCKET) is None
    assert (await create(deployment, EAST_BUCKET, west=True)).status_code == 200
    location = parse_xml(await deployment.s3_west.get(f"/{EAST_BUCKET}", query={"location": None}))
    assert location.text == "eu-west-1"


async def test_create_bucket_finishes_a_creation_a_crash_cut_short(
    deployment: Deployment,
) -> None:
    services = deployment.east.services
    await services.directory.claim("half-made", "us-east-1", services.owner_id)
    # The directory says "ours, here", the region has no bucket yet: CreateBucket completes it.
    assert (await create(deployment, "half-made")).status_code == 200
    assert (await services.buckets.get("half-made")).name == "half-made"
    error_of(await create(deployment, "half-made"), 409, "BucketAlreadyOwnedByYou")


async def test_a_failed_regional_create_releases_the_claim(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_create(*args: object, **kwargs: object) -> None:
        raise FerryError("disk on fire")

    monkeypatch.setattr(deployment.east.services.buckets, "create", broken_create)
    assert (await create(deployment, "doomed")).status_code == 500
    assert await deployment.east.services.directory.lookup("doomed") is None
