"""Integration tier: one region per test, its ASGI app driven in-process through httpx."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ferry.api.app import S3App
from ferry.api.http import Message
from ferry.config import RegionConfig, RootCredentials
from ferry.core.secret import Secret
from ferry.region import Region, build_region
from tests.integration.s3 import ACCESS_KEY, ENDPOINT, REGION, S3, SECRET_KEY

ACCOUNT_ID = "000000000042"
BUCKET = "it-bucket"


@contextlib.asynccontextmanager
async def lifespan(app: S3App) -> AsyncIterator[None]:
    """Run the app's ASGI lifespan as a server would: ASGITransport only sends http scopes."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        stopped = await outbox.get()
        await task
        assert stopped["type"] == "lifespan.shutdown.complete", stopped


@pytest.fixture
async def region(tmp_path: Path) -> AsyncIterator[Region]:
    root = RootCredentials(
        access_key=ACCESS_KEY,
        secret_key=Secret(SECRET_KEY),
        account_id=ACCOUNT_ID,
        defaulted=False,
    )
    built = build_region(RegionConfig(name=REGION, data_dir=tmp_path / REGION), root)
    try:
        async with lifespan(built.app):
            yield built
    finally:
        built.db.close()  # shutdown closed it already unless start-up failed; close is idempotent


@pytest.fixture
async def http(region: Region) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=region.app)
    async with httpx.AsyncClient(transport=transport, base_url=ENDPOINT) as client:
        yield client


@pytest.fixture
def s3(http: httpx.AsyncClient) -> S3:
    return S3(http)


@pytest.fixture
async def bucket(s3: S3) -> str:
    response = await s3.put(f"/{BUCKET}")
    assert response.status_code == 200, response.text
    return BUCKET


@pytest.fixture
async def versioned_bucket(s3: S3, bucket: str) -> str:
    body = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    response = await s3.put(f"/{bucket}", body, query={"versioning": None})
    assert response.status_code == 200, response.text
    return bucket
