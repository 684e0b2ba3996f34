"""The outbox (a VersionHook) and the delivery loop over a tmp SQLite store, with fake
publishers and a FakeClock: no sockets, no sleeps."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from ferry.config import NotificationTarget, TargetType
from ferry.core.clock import FakeClock, epoch_ms
from ferry.events import (
    DeliveryFailed,
    DeliverySettings,
    EventDelivery,
    EventOutbox,
    NotificationConfigs,
    publish_replication_failure,
)
from ferry.events.delivery import backoff_delay_s
from ferry.events.outbox import list_outbox
from ferry.protocol.xml.notification import (
    NotificationConfiguration,
    TargetConfiguration,
    TargetKind,
)
from ferry.region import REGION_MIGRATIONS
from ferry.store import (
    Buckets,
    FileBlobStore,
    ObjectAttributes,
    Objects,
    SqliteDatabase,
    VersionHooks,
    VersioningStatus,
)
from tests.unit.store.test_store import Bytes

ARN = "arn:ferry:webhook:::hooks"
TARGET = NotificationTarget(arn=ARN, type=TargetType.WEBHOOK, url="http://unused")
SETTINGS = DeliverySettings(retry_base_delay_s=1.0, retry_max_delay_s=8.0)


class FakePublisher:
    def __init__(self) -> None:
        self.down = False
        self.received: list[dict[str, object]] = []

    async def publish(self, message: str) -> None:
        if self.down:
            raise DeliveryFailed("connection refused")
        self.received.append(json.loads(message)["Records"][0])

    async def close(self) -> None:
        pass


class World:
    def __init__(self, root: Path) -> None:
        self.clock = FakeClock()
        self.db = SqliteDatabase(root / "meta.sqlite3", REGION_MIGRATIONS)
        hooks = VersionHooks()
        hooks.register(EventOutbox(self.clock))
        self.buckets = Buckets(self.db, self.clock, "us-east-1")
        self.objects = Objects(self.db, FileBlobStore(root / "blobs"), hooks, self.clock)
        self.configs = NotificationConfigs(self.db, [ARN])
        self.publisher = FakePublisher()
        self.delivery = EventDelivery(
            self.db, self.clock, (TARGET,), SETTINGS, rng=random.Random(7),
            publisher_factory=lambda target, timeout_s: self.publisher,
        )  # fmt: skip

    async def bucket(self, *events: str) -> None:
        await self.buckets.create("b", "owner", ())
        await self.buckets.set_versioning("b", VersioningStatus.ENABLED)
        target = TargetConfiguration(kind=TargetKind.TOPIC, id="cfg", arn=ARN, events=events)
        await self.configs.put("b", NotificationConfiguration(configurations=(target,)))

    async def put(self, key: str, data: bytes) -> str:
        version = await self.objects.put(
            "b", key, Bytes(data), owner_id="owner", attrs=ObjectAttributes()
        )
        return version.version_id

    async def pending(self) -> int:
        counts, _ = await self.db.read(lambda tx: list_outbox(tx, limit=10))
        return sum(counts.values())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.db.close()


async def test_put_and_delete_marker_write_events_delivered_in_order(world: World) -> None:
    await world.bucket("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
    version_id = await world.put("a b.txt", b"hello")
    outcome = await world.objects.delete("b", "a b.txt")
    assert await world.pending() == 2
    assert await world.delivery.deliver_due() == 2
    assert await world.pending() == 0
    created, removed = world.publisher.received
    assert created["eventName"] == "ObjectCreated:Put"
    assert created["s3"]["object"]["key"] == "a+b.txt"  # type: ignore[index]
    assert created["s3"]["object"]["size"] == 5  # type: ignore[index]
    assert created["s3"]["object"]["versionId"] == version_id  # type: ignore[index]
    assert created["s3"]["configurationId"] == "cfg"  # type: ignore[index]
    assert removed["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert removed["s3"]["object"]["versionId"] == outcome.version_id  # type: ignore[index]
    assert "size" not in removed["s3"]["object"]  # type: ignore[operator]


async def test_events_not_configured_are_not_written(world: World) -> None:
    await world.bucket("s3:ObjectRemoved:Delete")
    await world.put("k", b"x")
    assert await world.pending() == 0


async def test_deleting_a_version_is_object_removed_delete(world: World) -> None:
    await world.bucket("s3:ObjectRemoved:Delete")
    version_id = await world.put("k", b"x")
    await world.objects.delete("b", "k", version_id)
    await world.delivery.deliver_due()
    assert [r["eventName"] for r in world.publisher.received] == ["ObjectRemoved:Delete"]


async def test_target_down_keeps_events_and_retries_with_backoff(world: World) -> None:
    await world.bucket("s3:ObjectCreated:*")
    world.publisher.down = True
    await world.put("k1", b"1")
    await world.put("k2", b"2")
    assert await world.delivery.deliver_due() == 2
    assert await world.pending() == 2
    _, events = await world.db.read(lambda tx: list_outbox(tx, limit=10))
    assert all(e.last_error and "refused" in e.last_error for e in events)
    assert await world.delivery.deliver_due() == 0  # not due yet: backing off
    world.publisher.down = False
    world.clock.advance(SETTINGS.retry_max_delay_s)
    assert await world.delivery.deliver_due() == 2
    assert [r["s3"]["object"]["key"] for r in world.publisher.received] == ["k1", "k2"]  # type: ignore[index]
    assert await world.pending() == 0


async def test_replication_failure_event_carries_replication_event_data(world: World) -> None:
    await world.bucket("s3:Replication:OperationFailedReplication")
    version_id = await world.put("k", b"abc")
    now_ms = epoch_ms(world.clock.now())
    written = await world.db.write(
        lambda tx: publish_replication_failure(
            tx, bucket="b", key="k", version_id=version_id, operation="OBJECT", rule_id="r1",
            destination_bucket="dst", reason="DstBucketUnversioned",
            requested_ms=now_ms - 1500, now_ms=now_ms,
        )
    )  # fmt: skip
    assert written == 1
    await world.delivery.deliver_due()
    (record,) = world.publisher.received
    assert record["eventVersion"] == "2.2"
    assert record["eventName"] == "Replication:OperationFailedReplication"
    assert record["replicationEventData"] == {
        "replicationRuleId": "r1",
        "destinationBucket": "arn:aws:s3:::dst",
        "s3Operation": "OBJECT_PUT",
        "requestTime": "2025-12-31T23:59:58.500Z",
        "failureReason": "DstBucketUnversioned",
    }
    assert record["s3"]["object"]["size"] == 3  # type: ignore[index]


async def test_unknown_target_stays_in_the_outbox(world: World) -> None:
    await world.bucket("s3:ObjectCreated:*")
    await world.put("k", b"x")
    delivery = EventDelivery(world.db, world.clock, (), SETTINGS)
    await delivery.deliver_due()
    _, (event,) = await world.db.read(lambda tx: list_outbox(tx, limit=10))
    assert event.attempts == 1
    assert event.last_error is not None and "no notification target" in event.last_error


async def test_each_failed_delivery_doubles_the_backoff(world: World) -> None:
    await world.bucket("s3:ObjectCreated:*")
    world.publisher.down = True
    await world.put("k", b"x")
    delays_s = []
    for _ in range(3):
        now_ms = epoch_ms(world.clock.now())
        assert await world.delivery.deliver_due() == 1
        due_ms = await world.db.read(
            lambda tx: tx.execute("SELECT due_ms FROM event_outbox").fetchone()[0]
        )
        delays_s.append((due_ms - now_ms) / 1000)
        world.clock.advance(SETTINGS.retry_max_delay_s)
    for delay_s, cap_s in zip(delays_s, (1.0, 2.0, 4.0), strict=True):  # the attempt made counts
        assert cap_s / 2 <= delay_s <= cap_s


def test_backoff_is_capped_exponential_with_equal_jitter() -> None:
    rng = random.Random(1)
    for attempts, cap in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (30, 8.0)]:
        delay = backoff_delay_s(SETTINGS, attempts, rng)
        assert cap / 2 <= delay <= cap


async def test_unversioned_bucket_overwrite_and_delete(world: World) -> None:
    await world.buckets.create("u", "owner", ())
    target = TargetConfiguration(
        kind=TargetKind.QUEUE,
        id="cfg",
        arn=ARN,
        events=("s3:ObjectCreated:*", "s3:ObjectRemoved:*"),
    )
    await world.configs.put("u", NotificationConfiguration(configurations=(target,)))
    for data in (b"1", b"22"):
        await world.objects.put("u", "k", Bytes(data), owner_id="owner", attrs=ObjectAttributes())
    await world.objects.delete("u", "k")
    await world.delivery.deliver_due()
    names = [r["eventName"] for r in world.publisher.received]
    assert names == ["ObjectCreated:Put", "ObjectCreated:Put", "ObjectRemoved:Delete"]
    assert all("versionId" not in r["s3"]["object"] for r in world.publisher.received)  # type: ignore[operator]


async def test_configuration_of_a_recreated_bucket_is_gone(world: World) -> None:
    await world.bucket("s3:ObjectCreated:*")
    assert (await world.configs.get("b")).configurations
    await world.buckets.delete("b")
    world.clock.advance(1)
    await world.buckets.create("b", "owner", ())
    assert await world.configs.get("b") == NotificationConfiguration()
