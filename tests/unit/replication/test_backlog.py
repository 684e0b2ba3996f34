from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ferry.core.clock import FakeClock, epoch_ms
from ferry.region import REGION_MIGRATIONS
from ferry.replication.backlog import ReplicationBacklog
from ferry.replication.tasks import Operation, enqueue_task
from ferry.store import SqliteDatabase, Tx


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "t.sqlite3", REGION_MIGRATIONS)
    yield database
    database.close()


def enqueue(tx: Tx, bucket: str, key: str, rule_id: str, now_ms: int, size: int = 0) -> None:
    enqueue_task(
        tx,
        bucket=bucket,
        key=key,
        version_id="v1",
        operation=Operation.OBJECT,
        rule_id=rule_id,
        destination_bucket="dst",
        storage_class=None,
        on_replica=False,
        now_ms=now_ms,
        size_bytes=size,
    )


async def test_the_backlog_counts_pending_tasks_per_rule_of_one_bucket_with_the_oldest_age(
    db: SqliteDatabase,
) -> None:
    clock = FakeClock()
    start = epoch_ms(clock.now())

    def fill(tx: Tx) -> None:
        enqueue(tx, "src", "a", "r1", start)
        enqueue(tx, "src", "b", "r1", start + 4000)
        enqueue(tx, "src", "c", "r2", start + 1000)
        enqueue(tx, "other", "d", "r1", start)

    await db.write(fill)
    clock.advance(10)
    rows = await ReplicationBacklog(db, clock).per_rule("src")
    assert [(r.rule_id, r.pending, r.oldest_pending_s) for r in rows] == [
        ("r1", 2, 10.0),
        ("r2", 1, 9.0),
    ]
    assert [r.pending_bytes for r in rows] == [0, 0]  # tasks that owe no data
    assert await ReplicationBacklog(db, clock).per_rule("empty") == []


async def test_the_backlog_weighs_its_pending_tasks(db: SqliteDatabase) -> None:
    """The sizes the planner recorded on the tasks (the replication metrics' pending bytes)."""
    clock = FakeClock()
    now = epoch_ms(clock.now())

    def fill(tx: Tx) -> None:
        for key, size in (("a", 1000), ("b", 24)):
            enqueue(tx, "src", key, "r1", now, size)

    await db.write(fill)
    [row] = await ReplicationBacklog(db, clock).per_rule("src")
    assert (row.pending, row.pending_bytes) == (2, 1024)
