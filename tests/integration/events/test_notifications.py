"""Bucket notifications in process: the S3 API for the configuration, events written by
writes and by a replication failure, delivered by the region's delivery loop (its publisher
replaced by a recording fake), and the outbox admin endpoint."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from ferry.config import (
    DeploymentConfig,
    NotificationTarget,
    RegionConfig,
    ReplicationSettings,
    RootCredentials,
    TargetType,
)
from ferry.core.secret import Secret
from ferry.events import DeliveryFailed
from ferry.region import Region, build_region
from tests.integration.conftest import create_replication_roles, lifespan
from tests.integration.replication.conftest import PORTS, RoutingTransport, eventually
from tests.integration.replication.test_engine import configure, make_bucket
from tests.integration.s3 import ACCESS_KEY, S3, SECRET_KEY

ARN = "arn:ferry:webhook:::hooks"
TARGET = NotificationTarget(arn=ARN, type=TargetType.WEBHOOK, url="http://127.0.0.1:9/")
CONFIG = """<NotificationConfiguration>
<QueueConfiguration><Id>{id}</Id><Queue>{arn}</Queue>{events}
<Filter><S3Key><FilterRule><Name>prefix</Name><Value>{prefix}</Value></FilterRule></S3Key></Filter>
</QueueConfiguration></NotificationConfiguration>"""


def notification(*events: str, prefix: str = "", arn: str = ARN, id: str = "cfg") -> bytes:
    body = "".join(f"<Event>{e}</Event>" for e in events)
    return CONFIG.format(id=id, arn=arn, events=body, prefix=prefix).encode()


class Recorder:
    def __init__(self) -> None:
        self.down = False
        self.records: list[dict[str, object]] = []

    async def publish(self, message: str) -> None:
        if self.down:
            raise DeliveryFailed("receiver stopped")
        self.records.extend(json.loads(message)["Records"])

    async def close(self) -> None:
        pass


@dataclass
class Deployment:
    east: Region
    west: Region
    s3_east: S3
    s3_west: S3
    recorder: Recorder


@pytest.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    root = RootCredentials(
        access_key=ACCESS_KEY, secret_key=Secret(SECRET_KEY), account_id="000000000042",
        defaulted=False,
    )  # fmt: skip
    config = DeploymentConfig(
        data_dir=tmp_path,
        regions=tuple(
            RegionConfig(name=name, port=port, data_dir=tmp_path / name)
            for name, port in PORTS.items()
        ),
        root=root,
        replication=ReplicationSettings(retry_base_delay_s=0.05, retry_max_delay_s=0.2),
        notification_targets=(TARGET,),
    )
    config = replace(config, events=replace(config.events, retry_base_delay_s=0.05,
                                            retry_max_delay_s=0.1))  # fmt: skip
    transport = RoutingTransport()
    built = [
        build_region(r, root, deployment=config, remote_transport=transport) for r in config.regions
    ]
    recorder = Recorder()
    for region in built:
        assert region.delivery is not None
        region.delivery._factory = lambda target, timeout_s: recorder
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
        yield Deployment(built[0], built[1], clients[0], clients[1], recorder)


async def test_put_and_get_notification_configuration(deployment: Deployment) -> None:
    s3 = deployment.s3_east
    await make_bucket(s3, "src")
    empty = await s3.get("/src", query={"notification": None})
    assert empty.status_code == 200
    assert b"<QueueConfiguration>" not in empty.content
    body = notification("s3:ObjectCreated:*", "s3:Replication:*", prefix="logs/", id="")
    put = await s3.put("/src", body.replace(b"<Id></Id>", b""), query={"notification": None})
    assert put.status_code == 200, put.text
    got = await s3.get("/src", query={"notification": None})
    assert b"<Queue>arn:ferry:webhook:::hooks</Queue>" in got.content
    assert b"<Event>s3:Replication:*</Event>" in got.content
    assert b"<Name>Prefix</Name><Value>logs/</Value>" in got.content
    assert b"<Id>" in got.content  # generated


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (notification("s3:ObjectCreated:Paste"), b"The event is not supported for notifications"),
        (notification("s3:ObjectCreated:*", arn="arn:aws:sqs:us-east-1:1:q"),
         b"Unable to validate the following destination configurations"),
    ],
)  # fmt: skip
async def test_invalid_configurations_are_invalid_argument(
    deployment: Deployment, body: bytes, message: bytes
) -> None:
    await make_bucket(deployment.s3_east, "src")
    response = await deployment.s3_east.put("/src", body, query={"notification": None})
    assert response.status_code == 400
    assert b"<Code>InvalidArgument</Code>" in response.content
    assert message in response.content


async def test_missing_bucket_is_no_such_bucket(deployment: Deployment) -> None:
    response = await deployment.s3_east.get("/nope", query={"notification": None})
    assert response.status_code == 404


async def test_object_created_and_removed_events_are_delivered(deployment: Deployment) -> None:
    s3 = deployment.s3_east
    await make_bucket(s3, "src")
    body = notification("s3:ObjectCreated:*", "s3:ObjectRemoved:*", prefix="in/")
    assert (await s3.put("/src", body, query={"notification": None})).status_code == 200
    await s3.put("/src/out/skip", body=b"ignored by the prefix filter")
    await s3.put("/src/in/a.txt", body=b"hello")
    await s3.delete("/src/in/a.txt")

    async def both() -> bool:
        return len(deployment.recorder.records) == 2

    await eventually(both)
    created, removed = deployment.recorder.records
    assert created["eventName"] == "ObjectCreated:Put"
    assert created["awsRegion"] == "us-east-1"
    assert created["s3"]["bucket"]["arn"] == "arn:aws:s3:::src"  # type: ignore[index]
    assert created["s3"]["object"]["key"] == "in/a.txt"  # type: ignore[index]
    assert removed["eventName"] == "ObjectRemoved:DeleteMarkerCreated"


async def test_replication_failure_event_and_outbox_while_target_down(
    deployment: Deployment,
) -> None:
    await make_bucket(deployment.s3_east, "src")
    await make_bucket(deployment.s3_west, "dst")
    await configure(deployment.s3_east, "src", "dst", rule_id="to-west")
    body = notification("s3:Replication:OperationFailedReplication")
    assert (await deployment.s3_east.put("/src", body, query={"notification": None})).is_success
    suspended = b"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"
    await deployment.s3_west.put("/dst", query={"versioning": None}, body=suspended)
    deployment.recorder.down = True
    await deployment.s3_east.put("/src/k", body=b"x")

    async def waiting() -> bool:
        response = await deployment.s3_east.get("/_ferry/events/outbox")
        assert response.status_code == 200, response.text
        outbox = response.json()
        return outbox["pending"] == 1 and outbox["events"][0]["last_error"] is not None

    await eventually(waiting)
    outbox = (await deployment.s3_east.get("/_ferry/events/outbox")).json()
    assert outbox["by_target"] == {ARN: 1}
    assert "receiver stopped" in outbox["events"][0]["last_error"]
    deployment.recorder.down = False

    async def delivered() -> bool:
        return len(deployment.recorder.records) == 1

    await eventually(delivered)
    (record,) = deployment.recorder.records
    assert record["eventVersion"] == "2.2"
    assert record["eventName"] == "Replication:OperationFailedReplication"
    data = record["replicationEventData"]
    assert isinstance(data, dict)
    assert data["replicationRuleId"] == "to-west"
    assert data["destinationBucket"] == "arn:aws:s3:::dst"
    assert data["s3Operation"] == "OBJECT_PUT"
    assert data["failureReason"] == "DstBucketUnversioned"

    async def drained() -> bool:  # the delivered row's delete commits after the delivery
        return bool((await deployment.s3_east.get("/_ferry/events/outbox")).json()["pending"] == 0)

    await eventually(drained)


async def test_outbox_endpoint_refuses_anonymous_callers(deployment: Deployment) -> None:
    response = await deployment.s3_east.request("GET", "/_ferry/events/outbox", signed=False)
    assert response.status_code == 403
