"""Bucket notifications against the real brokers on this machine (NATS JetStream, RabbitMQ,
Redis) and a local webhook receiver: object and replication-failure events arrive with AWS's
fields, and a target that is down gets everything once it is back."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis

from tests.live.events_support import (
    PrivateNats,
    WebhookReceiver,
    nats_messages,
    signed_get,
)
from tests.live.replication_support import Deployment, replicate, v2_rule, versioned_bucket

NATS_URL = "nats://127.0.0.1:4222"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
REDIS_URL = "redis://127.0.0.1:6379/0"
WAIT_S = 20.0


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not all(listening(p) for p in (4222, 5672, 6379)) or not PrivateNats.available(),
    reason="needs NATS (4222), RabbitMQ (5672) and Redis (6379) on 127.0.0.1 (.ci/run starts them)",
)


@dataclass
class Names:
    run: str = uuid.uuid4().hex[:10]

    @property
    def subject(self) -> str:
        return f"ferry.test.{self.run}"

    @property
    def stream(self) -> str:
        return f"ferry-test-{self.run}"

    @property
    def queue(self) -> str:
        return f"ferry-test-{self.run}"

    @property
    def late_stream(self) -> str:
        return f"ferry-late-{self.run}"


@dataclass
class World:
    deployment: Deployment
    webhook: WebhookReceiver
    late_nats: PrivateNats
    names: Names

    @property
    def east(self) -> Any:
        return self.deployment.client("us-east-1")


class EventsDeployment(Deployment):
    extra: str = ""

    def write_config(self) -> None:
        super().write_config()
        with open(self.config_path, "a") as file:
            file.write(self.extra)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("events")
    names = Names()
    webhook = WebhookReceiver().start()
    late_nats = PrivateNats(root)
    deployment = EventsDeployment(root=root / "ferry")
    deployment.extra = f"""
[events]
retry_base_delay_s = 0.2
retry_max_delay_s = 1.0
timeout_s = 2.0
[[notification_targets]]
arn = "arn:ferry:webhook:::hooks"
type = "webhook"
url = "{webhook.url}"
[[notification_targets]]
arn = "arn:ferry:nats:::events"
type = "nats"
servers = ["{NATS_URL}"]
subject = "{names.subject}"
stream = "{names.stream}"
[[notification_targets]]
arn = "arn:ferry:amqp:::events"
type = "amqp"
url = "{AMQP_URL}"
exchange = ""
routing_key = "{names.queue}"
[[notification_targets]]
arn = "arn:ferry:redis:::events"
type = "redis"
url = "{REDIS_URL}"
stream = "{names.stream}"
[[notification_targets]]
arn = "arn:ferry:nats:::late"
type = "nats"
servers = ["{late_nats.url}"]
subject = "ferry.late.{names.run}"
stream = "{names.late_stream}"
"""
    deployment.start()
    try:
        yield World(deployment, webhook, late_nats, names)
    finally:
        deployment.stop()
        webhook.stop()
        late_nats.stop()
        redis.Redis.from_url(REDIS_URL).delete(names.stream)


@pytest.fixture
async def amqp_queue(world: World) -> AsyncIterator[Any]:
    import aio_pika

    connection = await aio_pika.connect_robust(AMQP_URL)
    channel = await connection.channel()
    queue = await channel.declare_queue(world.names.queue)
    yield queue
    await queue.delete(if_unused=False, if_empty=False)
    await connection.close()


def configure(
    s3: Any, bucket: str, *configurations: tuple[str, list[str]], prefix: str = ""
) -> None:
    queues = []
    for arn, events in configurations:
        entry: dict[str, Any] = {"QueueArn": arn, "Events": events}
        if prefix:
            entry["Filter"] = {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}}
        queues.append(entry)
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": queues}
    )


async def eventually(check: Any, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def for_bucket(records: list[dict[str, Any]], bucket: str) -> list[dict[str, Any]]:
    return [r for r in records if r["s3"]["bucket"]["name"] == bucket]


def redis_records(stream: str) -> list[dict[str, Any]]:
    entries = redis.Redis.from_url(REDIS_URL).xrange(stream)
    return [r for _, fields in entries for r in json.loads(fields[b"event"])["Records"]]


async def test_object_events_reach_every_kind_of_target(world: World, amqp_queue: Any) -> None:
    s3 = world.east
    bucket = f"objects-{world.names.run}"
    versioned_bucket(s3, bucket, "us-east-1")
    events = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    kinds = ("webhook:::hooks", "nats:::events", "amqp:::events", "redis:::events")
    configure(s3, bucket, *[(f"arn:ferry:{kind}", events) for kind in kinds], prefix="in/")
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert len(got["QueueConfigurations"]) == 4
    put = s3.put_object(Bucket=bucket, Key="in/photo 1.jpg", Body=b"tulips")
    s3.put_object(Bucket=bucket, Key="out/skipped", Body=b"x")
    marker = s3.delete_object(Bucket=bucket, Key="in/photo 1.jpg")
    amqp: list[dict[str, Any]] = []

    async def arrived() -> bool:
        message = await amqp_queue.get(no_ack=True, fail=False)
        if message is not None:
            amqp.extend(json.loads(message.body)["Records"])
        nats = for_bucket(await nats_messages(NATS_URL, world.names.stream), bucket)
        return all(
            len(records) == 2
            for records in (for_bucket(world.webhook.records, bucket), nats,
                            for_bucket(redis_records(world.names.stream), bucket),
                            for_bucket(amqp, bucket))
        )  # fmt: skip

    await eventually(arrived, "two events at each target")
    for records in (for_bucket(world.webhook.records, bucket), for_bucket(amqp, bucket)):
        created, removed = records
        assert created["eventVersion"] == "2.1"
        assert created["eventName"] == "ObjectCreated:Put"
        assert created["s3"]["object"]["key"] == "in/photo+1.jpg"
        assert created["s3"]["object"]["size"] == 6
        assert created["s3"]["object"]["versionId"] == put["VersionId"]
        assert created["s3"]["object"]["eTag"] == put["ETag"].strip('"')
        assert removed["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
        assert removed["s3"]["object"]["versionId"] == marker["VersionId"]


async def test_replication_failure_event_has_replication_event_data(world: World) -> None:
    east, west = world.east, world.deployment.client("eu-west-1")
    source, destination = f"src-{world.names.run}", f"dst-{world.names.run}"
    versioned_bucket(east, source, "us-east-1")
    versioned_bucket(west, destination, "eu-west-1")
    replicate(east, source, v2_rule(destination, rule_id="to-west"))
    configure(
        east,
        source,
        ("arn:ferry:webhook:::hooks", ["s3:Replication:*"]),
        ("arn:ferry:redis:::events", ["s3:Replication:OperationFailedReplication"]),
    )
    west.put_bucket_versioning(Bucket=destination, VersioningConfiguration={"Status": "Suspended"})
    put = east.put_object(Bucket=source, Key="doomed.txt", Body=b"never arrives")

    async def arrived() -> bool:
        return (
            len(for_bucket(world.webhook.records, source)) == 1
            and len(for_bucket(redis_records(world.names.stream), source)) == 1
        )

    await eventually(arrived, "the failure event")
    for record in (for_bucket(world.webhook.records, source)[0],
                   for_bucket(redis_records(world.names.stream), source)[0]):  # fmt: skip
        assert record["eventVersion"] == "2.2"
        assert record["eventName"] == "Replication:OperationFailedReplication"
        assert record["s3"]["object"]["versionId"] == put["VersionId"]
        data = record["replicationEventData"]
        assert data["replicationRuleId"] == "to-west"
        assert data["destinationBucket"] == f"arn:aws:s3:::{destination}"
        assert data["s3Operation"] == "OBJECT_PUT"
        assert data["failureReason"] == "DstBucketUnversioned"
        assert data["requestTime"].endswith("Z")
    assert east.head_object(Bucket=source, Key="doomed.txt")["ReplicationStatus"] == "FAILED"


async def test_targets_that_are_down_get_everything_when_they_return(world: World) -> None:
    s3 = world.east
    bucket = f"down-{world.names.run}"
    versioned_bucket(s3, bucket, "us-east-1")
    configure(s3, bucket, ("arn:ferry:webhook:::hooks", ["s3:ObjectCreated:*"]),
              ("arn:ferry:nats:::late", ["s3:ObjectCreated:*"]))  # fmt: skip
    world.webhook.stop()
    try:
        keys = [f"k{i}" for i in range(5)]
        for key in keys:
            s3.put_object(Bucket=bucket, Key=key, Body=key.encode())  # writes never wait

        async def visible() -> bool:
            outbox = signed_get(world.deployment.endpoint("us-east-1"), "/_ferry/events/outbox")
            assert outbox.status_code == 200, outbox.text
            body = outbox.json()
            return (
                body["by_target"].get("arn:ferry:webhook:::hooks", 0) >= 5
                and body["by_target"].get("arn:ferry:nats:::late", 0) >= 5
                and all(e["attempts"] >= 1 for e in body["events"])
            )

        await eventually(visible, "undelivered events in the outbox")
    finally:
        world.webhook.start()  # same port
    world.late_nats.start()

    async def delivered() -> bool:
        webhook = [r["s3"]["object"]["key"] for r in for_bucket(world.webhook.records, bucket)]
        late = await nats_messages(world.late_nats.url, world.names.late_stream)
        return sorted(webhook) == keys and sorted(r["s3"]["object"]["key"] for r in late) == keys

    await eventually(delivered, "every event after the targets returned")
    outbox = signed_get(world.deployment.endpoint("us-east-1"), "/_ferry/events/outbox").json()
    assert outbox["pending"] == 0
