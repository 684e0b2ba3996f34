"""claim_due_tasks shares the free slots between live replication and batch jobs: live tasks
get at least half when both are due, batch work takes what live work leaves free."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ferry.region import REGION_MIGRATIONS
from ferry.replication.tasks import Operation, claim_due_tasks, enqueue_task
from ferry.store import SqliteDatabase, Tx


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "t.sqlite3", REGION_MIGRATIONS)
    yield database
    database.close()


def _fill(tx: Tx, *, live: int, batch: int) -> None:
    for kind, count, job_id in (("live", live, None), ("batch", batch, "job-1")):
        for n in range(count):
            enqueue_task(
                tx, bucket="src", key=f"{kind}-{n}", version_id="v", operation=Operation.OBJECT,
                rule_id="r", destination_bucket="dst", storage_class=None, on_replica=False,
                now_ms=1000 if job_id else 2000, job_id=job_id,
            )  # fmt: skip


async def _claim(db: SqliteDatabase, limit: int) -> tuple[int, int]:
    tasks = await db.write(lambda tx: claim_due_tasks(tx, now_ms=5000, limit=limit, lease_ms=1))
    live = sum(1 for t in tasks if t.key.startswith("live"))
    return live, len(tasks) - live


@pytest.mark.parametrize(
    ("live", "batch", "limit", "expected"),
    [
        (100, 100, 8, (4, 4)),  # both due: an even split, though batch tasks are older
        (100, 100, 7, (4, 3)),  # odd: live gets the extra slot
        (100, 100, 1, (1, 0)),  # one slot: live wins
        (2, 100, 8, (2, 6)),  # little live work: batch takes the rest
        (100, 2, 8, (6, 2)),  # little batch work: live takes the rest
        (0, 100, 8, (0, 8)),  # batch alone uses every slot
        (100, 0, 8, (8, 0)),  # live alone uses every slot
    ],
)
async def test_live_tasks_get_at_least_half_of_the_free_slots(
    db: SqliteDatabase, live: int, batch: int, limit: int, expected: tuple[int, int]
) -> None:
    await db.write(lambda tx: _fill(tx, live=live, batch=batch))
    assert await _claim(db, limit) == expected


async def test_a_big_job_never_starves_live_replication(db: SqliteDatabase) -> None:
    await db.write(lambda tx: _fill(tx, live=0, batch=1000))
    assert await _claim(db, 8) == (0, 8)
    await db.write(lambda tx: _fill(tx, live=3, batch=0))
    assert await _claim(db, 8) == (3, 5)
