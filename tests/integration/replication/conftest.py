"""Two regions in one process: each region's replication client reaches the other region's
ASGI app through an in-memory transport routed by host:port."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ferry.config import DeploymentConfig, RegionConfig, ReplicationSettings, RootCredentials
from ferry.core.secret import Secret
from ferry.region import Region, build_region
from tests.integration.conftest import create_replication_roles, lifespan
from tests.integration.s3 import ACCESS_KEY, S3, SECRET_KEY

PORTS = {"us-east-1": 9000, "eu-west-1": 9001}


class RoutingTransport(httpx.AsyncBaseTransport):
    """Sends each request to the app of the region its URL names; a region marked down
    refuses connections, as a dead process would."""

    def __init__(self) -> None:
        self.apps: dict[str, httpx.ASGITransport] = {}
        self.down: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        netloc = request.url.netloc.decode()
        if netloc in self.down or netloc not in self.apps:
            raise httpx.ConnectError(f"connection refused: {netloc}", request=request)
        return await self.apps[netloc].handle_async_request(request)


@dataclass
class TwoRegions:
    east: Region
    west: Region
    transport: RoutingTransport
    s3_east: S3
    s3_west: S3

    def take_down(self, region: Region) -> None:
        self.transport.down.add(f"127.0.0.1:{region.config.port}")

    def bring_up(self, region: Region) -> None:
        self.transport.down.discard(f"127.0.0.1:{region.config.port}")


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def regions(tmp_path: Path) -> AsyncIterator[TwoRegions]:
    root = RootCredentials(
        access_key=ACCESS_KEY, secret_key=Secret(SECRET_KEY), account_id="000000000042",
        defaulted=False,
    )  # fmt: skip
    deployment = DeploymentConfig(
        data_dir=tmp_path,
        regions=tuple(
            RegionConfig(name=name, port=port, data_dir=tmp_path / name)
            for name, port in PORTS.items()
        ),
        root=root,
        replication=ReplicationSettings(retry_base_delay_s=0.05, retry_max_delay_s=0.2),
    )
    transport = RoutingTransport()
    built = [
        build_region(r, root, deployment=deployment, remote_transport=transport)
        for r in deployment.regions
    ]
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for region in built:
            await stack.enter_async_context(lifespan(region.app))
            transport.apps[f"127.0.0.1:{region.config.port}"] = httpx.ASGITransport(app=region.app)
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=region.app),
                    base_url=region.config.endpoint,
                )
            )
            clients.append(S3(client, region=region.config.name))
        await create_replication_roles(*built)
        yield TwoRegions(
            east=built[0], west=built[1], transport=transport, s3_east=clients[0],
            s3_west=clients[1],
        )  # fmt: skip
