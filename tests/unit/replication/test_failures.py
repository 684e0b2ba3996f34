"""The failure store on a real SQLite database: one record per (version, destination,
operation), states, queries, counts and purge; and the task outcomes that write it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from ferry.region import REGION_MIGRATIONS
from ferry.replication.failures import (
    FailureCursor,
    FailureFilter,
    FailureState,
    list_failures,
    record_failure,
    resolve_failure,
)
from ferry.replication.tasks import (
    Operation,
    claim_due_tasks,
    enqueue_task,
    fail_task,
    finish_task,
    reschedule_task,
)
from ferry.store import SqliteDatabase, Tx


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "f.sqlite3", REGION_MIGRATIONS)
    yield database
    database.close()


@dataclass(frozen=True)
class FakeTask:
    key: str = "k"
    version_id: str = "v1"
    bucket: str = "src"
    operation: str = "OBJECT"
    rule_id: str = "r1"
    destination_bucket: str = "dst"
    attempts: int = 1


def retrying(tx: Tx, task: FakeTask, now_ms: int, reason: str = "DstRegionUnavailable") -> None:
    record_failure(
        tx, task, state=FailureState.RETRYING, reason=reason, message="down", now_ms=now_ms,
        next_attempt_ms=now_ms + 500, destination_region="eu-west-1",
    )  # fmt: skip


def failed(tx: Tx, task: FakeTask, now_ms: int, reason: str = "DstBucketUnversioned") -> None:
    record_failure(tx, task, state=FailureState.FAILED, reason=reason, message="no", now_ms=now_ms)


async def test_each_destination_and_operation_gets_its_own_record(db: SqliteDatabase) -> None:
    await db.write(lambda tx: failed(tx, FakeTask(), 1))
    await db.write(lambda tx: failed(tx, FakeTask(destination_bucket="dst2"), 2))
    await db.write(lambda tx: failed(tx, FakeTask(operation="METADATA"), 3))
    await db.write(lambda tx: failed(tx, FakeTask(version_id="v2"), 4))
    page = await db.read(lambda tx: list_failures(tx, FailureFilter()))
    assert [f.last_failure_ms for f in page.failures] == [4, 3, 2, 1]


async def test_resolving_without_a_record_does_nothing(db: SqliteDatabase) -> None:
    await db.write(lambda tx: resolve_failure(tx, FakeTask(), now_ms=None))
    assert (await db.read(lambda tx: list_failures(tx, FailureFilter()))).failures == []


async def test_filters_combine_and_time_range_is_half_open(db: SqliteDatabase) -> None:
    def seed(tx: Tx) -> None:
        for i in range(10):
            task = FakeTask(key=f"k{i}", rule_id=f"r{i % 2}", bucket="ab"[i % 2 == 0])
            (failed if i < 6 else retrying)(tx, task, 100 * i)

    await db.write(seed)

    async def keys(where: FailureFilter) -> list[str]:
        page = await db.read(lambda tx: list_failures(tx, where, limit=1000))
        return [f.key for f in page.failures]

    assert await keys(FailureFilter(rule_id="r1")) == ["k9", "k7", "k5", "k3", "k1"]
    assert await keys(FailureFilter(state=FailureState.RETRYING, rule_id="r0")) == ["k8", "k6"]
    assert await keys(FailureFilter(since_ms=300, until_ms=500)) == ["k4", "k3"]
    assert await keys(FailureFilter(reason="DstRegionUnavailable", bucket="b")) == ["k8", "k6"]
    assert await keys(FailureFilter(destination_bucket="elsewhere")) == []


async def test_pages_are_newest_first_and_cursor_survives_equal_times(db: SqliteDatabase) -> None:
    def seed(tx: Tx) -> None:
        for i in range(7):
            failed(tx, FakeTask(key=f"k{i}"), 1000 if i < 4 else 2000)

    await db.write(seed)
    seen: list[str] = []
    cursor: FailureCursor | None = None
    while True:
        page = await db.read(partial(list_failures, where=FailureFilter(), limit=3, after=cursor))
        seen += [f.key for f in page.failures]
        if page.next_cursor is None:
            break
        cursor = FailureCursor.parse(page.next_cursor.render())
    assert seen == ["k6", "k5", "k4", "k3", "k2", "k1", "k0"]


def test_cursor_refuses_what_it_did_not_render() -> None:
    for text in ("", "!!!", "bm90LWEtY3Vyc29y"):
        with pytest.raises(ValueError):
            FailureCursor.parse(text)


async def test_task_outcomes_write_the_failure_store_in_their_transaction(
    db: SqliteDatabase,
) -> None:
    def enqueue(tx: Tx) -> None:
        tx.execute(
            "INSERT INTO buckets (name, owner_id, region, created_ms) VALUES ('src', 'o', 'r', 0)"
        )
        for key in ("k1", "k2"):
            tx.execute(
                "INSERT INTO versions (bucket, key, version_id, is_latest, is_delete_marker, "
                "last_modified_ms, owner_id) VALUES ('src', ?, 'v', 1, 0, 0, 'o')",
                (key,),
            )
            enqueue_task(
                tx, bucket="src", key=key, version_id="v", operation=Operation.OBJECT,
                rule_id="r", destination_bucket="dst", storage_class=None, on_replica=False,
                now_ms=0,
            )  # fmt: skip

    await db.write(enqueue)
    one, two = await db.write(lambda tx: claim_due_tasks(tx, now_ms=10, limit=5, lease_ms=100))
    await db.write(
        lambda tx: reschedule_task(
            tx,
            one,
            due_ms=50,
            reason="DstThrottled",
            message="slow",
            now_ms=10,
            destination_region="eu-west-1",
        )
    )
    await db.write(
        lambda tx: fail_task(tx, two, reason="DstBucketNotFound", message="gone", now_ms=11)
    )
    page = await db.read(lambda tx: list_failures(tx, FailureFilter()))
    assert [(f.key, f.state.value, f.reason, f.next_attempt_ms) for f in page.failures] == [
        ("k2", "FAILED", "DstBucketNotFound", None),
        ("k1", "RETRYING", "DstThrottled", 50),
    ]
    [again] = await db.write(lambda tx: claim_due_tasks(tx, now_ms=60, limit=5, lease_ms=100))
    await db.write(lambda tx: finish_task(tx, again, now_ms=70))
    resolved = await db.read(
        lambda tx: list_failures(tx, FailureFilter(state=FailureState.RESOLVED))
    )
    assert [(f.key, f.resolved_ms, f.attempts) for f in resolved.failures] == [("k1", 70, 1)]


def test_the_most_selective_filter_drives_the_index() -> None:
    clause, params = FailureFilter(
        rule_id="r", bucket="b", reason="x", state=FailureState.FAILED, since_ms=5
    ).where("sqlite")
    assert (
        clause
        == "bucket = ? AND +rule_id = ? AND reason = ? AND +state = ? AND last_failure_ms >= ?"
    )  # reason stays indexable beside bucket: the (bucket, reason, time) index
    assert params == ["b", "r", "x", "FAILED", 5]
    clause, _ = FailureFilter(rule_id="r", state=FailureState.FAILED).where("sqlite")
    assert clause == "rule_id = ? AND state = ?"
    clause, _ = FailureFilter(bucket="b", reason="x", state=FailureState.FAILED).where("sqlite")
    assert clause == "bucket = ? AND reason = ? AND +state = ?"
    assert FailureFilter().where("sqlite") == ("1 = 1", [])
    clause, _ = FailureFilter(rule_id="r", bucket="b").where("postgresql")
    assert clause == "bucket = ? AND rule_id = ?"  # PostgreSQL's planner chooses for itself
    assert FailureFilter().is_empty and not FailureFilter(until_ms=1).is_empty
