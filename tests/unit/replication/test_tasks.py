"""Task queue semantics on a real SQLite database: ordering per key, leases, outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ferry.region import REGION_MIGRATIONS
from ferry.replication.tasks import (
    Operation,
    TaskStatus,
    claim_due_tasks,
    count_tasks,
    enqueue_task,
    finish_task,
    reschedule_task,
)
from ferry.store import SqliteDatabase, Tx


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "t.sqlite3", REGION_MIGRATIONS)
    yield database
    database.close()


def enqueue(
    tx: Tx,
    key: str,
    version_id: str,
    *,
    dest: str = "dst",
    op: Operation = Operation.OBJECT,
    now_ms: int = 1000,
) -> None:
    enqueue_task(
        tx,
        bucket="src",
        key=key,
        version_id=version_id,
        operation=op,
        rule_id="r",
        destination_bucket=dest,
        storage_class=None,
        on_replica=False,
        now_ms=now_ms,
    )


async def claim(
    db: SqliteDatabase, now_ms: int, limit: int = 10, lease_ms: int = 5000
) -> list[str]:
    tasks = await db.write(
        lambda tx: claim_due_tasks(tx, now_ms=now_ms, limit=limit, lease_ms=lease_ms)
    )
    return [f"{t.key}@{t.version_id}" for t in tasks]


async def test_a_later_task_for_the_same_key_waits_for_the_earlier(db: SqliteDatabase) -> None:
    await db.write(
        lambda tx: (enqueue(tx, "k", "v1"), enqueue(tx, "k", "marker"), enqueue(tx, "j", "v1"))
    )
    assert await claim(db, 1000) == ["k@v1", "j@v1"]
    assert await claim(db, 1000) == []  # k@marker waits, the others are leased
    tasks = await db.write(
        lambda tx: tx.execute(
            "SELECT task_id FROM replication_tasks WHERE version_id = 'v1' AND key = 'k'"
        ).fetchall()
    )
    assert len(tasks) == 1


async def test_another_destination_is_not_blocked(db: SqliteDatabase) -> None:
    await db.write(lambda tx: (enqueue(tx, "k", "v1", dest="a"), enqueue(tx, "k", "v2", dest="b")))
    assert sorted(await claim(db, 1000)) == ["k@v1", "k@v2"]


async def test_expired_lease_returns_the_task(db: SqliteDatabase) -> None:
    await db.write(lambda tx: enqueue(tx, "k", "v1"))
    assert await claim(db, 1000, lease_ms=5000) == ["k@v1"]
    assert await claim(db, 5999) == []
    assert await claim(db, 6000) == ["k@v1"]


async def test_reschedule_then_finish_marks_the_version_completed(db: SqliteDatabase) -> None:
    await db.write(
        lambda tx: tx.execute(
            "INSERT INTO buckets (name, owner_id, region, created_ms) VALUES ('src', 'o', 'r', 0)"
        )
    )
    await db.write(
        lambda tx: tx.execute(
            "INSERT INTO versions (bucket, key, version_id, is_latest, is_delete_marker, "
            "last_modified_ms, owner_id, replication_status) "
            "VALUES ('src','k','v1',1,0,0,'o','PENDING')"
        )
    )
    await db.write(lambda tx: enqueue(tx, "k", "v1"))
    [task] = await db.write(lambda tx: claim_due_tasks(tx, now_ms=1000, limit=5, lease_ms=10))
    assert task.attempts == 1
    await db.write(
        lambda tx: reschedule_task(
            tx, task, due_ms=3000, reason="DstRegionUnavailable", message="down", now_ms=1000
        )
    )
    assert await claim(db, 2999) == []
    [task] = await db.write(lambda tx: claim_due_tasks(tx, now_ms=3000, limit=5, lease_ms=10))
    assert task.attempts == 2
    await db.write(lambda tx: finish_task(tx, task))
    status = await db.read(
        lambda tx: tx.execute("SELECT replication_status FROM versions").fetchone()[0]
    )
    assert status == "COMPLETED"
    assert await db.read(lambda tx: count_tasks(tx, TaskStatus.PENDING)) == 0
