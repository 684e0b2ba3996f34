"""The replication task queue on both engines (today's `replication.tasks` API): a task is
claimed by one claimer only, even by two at once on two connections; a lease that runs out
makes the task claimable again; and a key's tasks for one destination go out in order.

Kept apart from the other contract tests: the queue is moving to `store/queue.py`."""

from __future__ import annotations

import asyncio
from collections import Counter

from ferry.api.body import BytesPayload
from ferry.replication.tasks import (
    Operation,
    Task,
    TaskStatus,
    claim_due_tasks,
    count_tasks,
    enqueue_task,
    fail_task,
    finish_task,
    reschedule_task,
)
from ferry.store import Database, ObjectAttributes, Tx
from tests.contract.databases import Databases
from tests.contract.engines import LinedUp, rendezvous
from tests.contract.region_store import ENABLED, OWNER, RegionStore


def enqueue(tx: Tx, key: str, version_id: str, *, dest: str = "dst", now_ms: int = 1000) -> None:
    enqueue_task(
        tx, bucket="b", key=key, version_id=version_id, operation=Operation.OBJECT,
        rule_id="r", destination_bucket=dest, storage_class=None, on_replica=False,
        now_ms=now_ms,
    )  # fmt: skip


async def claim(db: Database, now_ms: int, *, limit: int = 10, lease_ms: int = 5000
                ) -> list[Task]:  # fmt: skip
    return await db.write(
        lambda tx: claim_due_tasks(tx, now_ms=now_ms, limit=limit, lease_ms=lease_ms)
    )


def names(tasks: list[Task]) -> list[str]:
    return [f"{t.key}@{t.version_id}" for t in tasks]


async def pending_version(store: RegionStore, key: str) -> str:
    version = await store.objects.put(
        "b", key, BytesPayload(b"v"),
        owner_id=OWNER, attrs=ObjectAttributes(replication_status="PENDING"),
    )  # fmt: skip
    return version.version_id


async def replication_status(store: RegionStore, key: str, version_id: str) -> str | None:
    version = await store.objects.version("b", key, version_id)
    assert version is not None
    return version.attrs.replication_status


async def test_a_later_task_for_the_same_key_and_destination_waits(region_db: Database) -> None:
    await region_db.write(
        lambda tx: (
            enqueue(tx, "k", "v1"), enqueue(tx, "k", "marker"), enqueue(tx, "j", "v1"),
            enqueue(tx, "k", "v1", dest="elsewhere"),
        )
    )  # fmt: skip
    first = await claim(region_db, 1000)
    assert sorted(names(first)) == ["j@v1", "k@v1", "k@v1"]  # another destination is not held
    assert await claim(region_db, 1000) == []  # k@marker waits for k@v1 to dst
    [k_v1] = [t for t in first if t.key == "k" and t.destination_bucket == "dst"]
    await region_db.write(lambda tx: finish_task(tx, k_v1, now_ms=1001))
    assert names(await claim(region_db, 1002)) == ["k@marker"]


async def test_an_expired_lease_makes_the_task_claimable_again(region_db: Database) -> None:
    await region_db.write(lambda tx: enqueue(tx, "k", "v1"))
    [task] = await claim(region_db, 1000, lease_ms=5000)
    assert task.attempts == 1
    assert await claim(region_db, 5999) == []
    [again] = await claim(region_db, 6000)
    assert (again.task_id, again.attempts) == (task.task_id, 2)


async def test_a_task_left_by_a_dead_claimer_goes_to_another_connection(
    databases: Databases, region_db: Database
) -> None:
    other = databases.open_again(region_db)
    await region_db.write(lambda tx: enqueue(tx, "k", "v1"))
    [task] = await claim(region_db, 1000, lease_ms=100)
    assert await claim(other, 1099) == []
    [taken] = await claim(other, 1100)
    assert taken.task_id == task.task_id


async def test_two_concurrent_claimers_never_claim_the_same_task(
    engine: str, databases: Databases, region_db: Database
) -> None:
    other = databases.open_again(region_db)
    await region_db.write(lambda tx: [enqueue(tx, f"k{n:02d}", "v") for n in range(40)])
    claimed: list[int] = []
    for _ in range(10):
        meet = rendezvous(engine, 2)  # both have read the due tasks before either leases one
        rounds = await asyncio.gather(
            claim(LinedUp(region_db, meet), 1000, limit=7, lease_ms=60_000),
            claim(LinedUp(other, meet), 1000, limit=7, lease_ms=60_000),
        )
        claimed += [t.task_id for batch in rounds for t in batch]
        if not any(rounds):
            break
    twice = [task_id for task_id, n in Counter(claimed).items() if n > 1]
    assert twice == []
    assert len(claimed) == 40


async def test_reschedule_then_finish_completes_the_version(store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    version_id = await pending_version(store, "k")
    await store.db.write(lambda tx: enqueue(tx, "k", version_id))
    [task] = await claim(store.db, 1000, lease_ms=10)
    await store.db.write(
        lambda tx: reschedule_task(
            tx, task, due_ms=3000, reason="DstRegionUnavailable", message="down", now_ms=1000
        )
    )
    assert await claim(store.db, 2999) == []
    [task] = await claim(store.db, 3000, lease_ms=10)
    assert task.attempts == 2
    assert await replication_status(store, "k", version_id) == "PENDING"
    await store.db.write(lambda tx: finish_task(tx, task, now_ms=3001))
    assert await replication_status(store, "k", version_id) == "COMPLETED"
    assert await store.db.read(lambda tx: count_tasks(tx, TaskStatus.PENDING)) == 0


async def test_one_failed_destination_makes_the_version_failed(store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    version_id = await pending_version(store, "k")
    await store.db.write(
        lambda tx: (enqueue(tx, "k", version_id, dest="a"), enqueue(tx, "k", version_id, dest="b"))
    )
    first, second = await claim(store.db, 1000)
    await store.db.write(
        lambda tx: fail_task(tx, first, reason="DstBucketUnversioned", message="no", now_ms=1)
    )
    assert await replication_status(store, "k", version_id) == "FAILED"
    await store.db.write(lambda tx: finish_task(tx, second))
    assert await replication_status(store, "k", version_id) == "FAILED"
    assert await store.db.read(lambda tx: count_tasks(tx, TaskStatus.FAILED)) == 1
    assert await store.db.read(lambda tx: count_tasks(tx, TaskStatus.PENDING)) == 0
