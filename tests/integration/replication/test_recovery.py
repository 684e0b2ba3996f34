"""A destination region that comes back is used at once: tasks that failed while it was down
do not wait out their backoff (here 30 s or more) once its health check answers again."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ferry.config import DeploymentConfig, RegionConfig, ReplicationSettings, RootCredentials
from ferry.core.secret import Secret
from ferry.region import build_region
from ferry.replication.tasks import TaskStatus, count_tasks
from ferry.store import Tx
from tests.integration.conftest import create_replication_roles, lifespan
from tests.integration.replication.conftest import PORTS, RoutingTransport, TwoRegions, eventually
from tests.integration.replication.test_engine import configure, make_bucket, status_of
from tests.integration.s3 import ACCESS_KEY, S3, SECRET_KEY

LONG_BACKOFF_S = 30.0


@pytest.fixture
async def slow_retry_regions(tmp_path: Path) -> AsyncIterator[TwoRegions]:
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
        replication=ReplicationSettings(
            retry_base_delay_s=LONG_BACKOFF_S, retry_max_delay_s=2 * LONG_BACKOFF_S
        ),
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
                    transport=httpx.ASGITransport(app=region.app), base_url=region.config.endpoint
                )
            )
            clients.append(S3(client, region=region.config.name))
        await create_replication_roles(*built)
        yield TwoRegions(
            east=built[0], west=built[1], transport=transport, s3_east=clients[0],
            s3_west=clients[1],
        )  # fmt: skip


async def test_tasks_go_as_soon_as_the_destination_is_back(
    slow_retry_regions: TwoRegions,
) -> None:
    regions = slow_retry_regions
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(regions.s3_east, "src", "dst")
    regions.take_down(regions.west)
    versions = []
    for i in range(5):
        put = await regions.s3_east.put(f"/src/k{i}", body=b"while the destination is down")
        versions.append(put.headers["x-amz-version-id"])

    async def all_tried_once() -> bool:
        def tried(tx: Tx) -> int:
            row = tx.execute(
                "SELECT COUNT(*) FROM replication_tasks WHERE failure_reason = "
                "'DstRegionUnavailable' AND attempts >= 1 AND leased_until_ms = 0"
            ).fetchone()
            return int(row[0])

        return await regions.east.db.read(tried) == 5

    await eventually(all_tried_once)
    regions.bring_up(regions.west)
    back = time.monotonic()

    async def drained() -> bool:
        return await regions.east.db.read(lambda tx: count_tasks(tx, TaskStatus.PENDING)) == 0

    await eventually(drained, timeout_s=LONG_BACKOFF_S / 3)
    assert time.monotonic() - back < LONG_BACKOFF_S / 3  # not the backoff: the probe
    for i, version in enumerate(versions):
        assert await status_of(regions.s3_east, f"/src/k{i}", version) == "COMPLETED"
        assert (await regions.s3_west.head(f"/dst/k{i}")).status_code == 200
