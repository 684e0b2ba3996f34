"""The durable queue on real SQLite databases: exclusive claims, leases, backoff, outcomes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ferry.region import REGION_MIGRATIONS
from ferry.store import Queue, SqliteDatabase, Tx
from ferry.store.db import SqliteConnection

JOBS = Queue(
    table="jobs",
    ids=("job_id",),
    columns=("job_id", "name", "attempts"),
    first_failure="first_failure_ms",
    status="status",
    dead="DEAD",
)
# A queue claimed by status, with a composite id and completed rows kept (batch job entries).
STEPS = Queue(
    table="steps",
    ids=("run", "seq"),
    columns=("seq", "name"),
    order=("seq",),
    due=None,
    lease=None,
    attempts=None,
    last_attempt=None,
    error="message",
    status="status",
    pending="QUEUED",
    claimed="RUNNING",
    done="DONE",
    dead="FAILED",
)
SCHEMA = (
    "CREATE TABLE jobs (job_id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, "
    "kind TEXT NOT NULL DEFAULT 'a', status TEXT NOT NULL, due_ms INTEGER NOT NULL, "
    "leased_until_ms INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, "
    "last_attempt_ms INTEGER, last_error TEXT, first_failure_ms INTEGER)",
    "CREATE TABLE steps (run TEXT NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL, "
    "status TEXT NOT NULL, message TEXT, PRIMARY KEY (run, seq))",
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "q.sqlite3", REGION_MIGRATIONS)
    await database.write(create_tables)
    yield database
    database.close()


def create_tables(tx: Tx) -> None:
    for statement in SCHEMA:
        tx.execute(statement)


async def add(db: SqliteDatabase, *names: str, due_ms: int = 1000, kind: str = "a") -> None:
    rows = [{"name": name, "kind": kind} for name in names]
    await db.write(lambda tx: JOBS.enqueue(tx, rows, due_ms=due_ms))


async def claim(
    db: SqliteDatabase, now_ms: int, *, limit: int = 10, lease_ms: int = 5000, where: str = ""
) -> list[str]:
    rows = await db.write(
        lambda tx: JOBS.claim(tx, now_ms=now_ms, limit=limit, lease_ms=lease_ms, where=where)
    )
    return [row[1] for row in rows]


async def row(db: SqliteDatabase, name: str) -> sqlite3.Row:
    found: sqlite3.Row = await db.read(
        lambda tx: tx.execute("SELECT * FROM jobs WHERE name = ?", (name,)).fetchone()
    )
    return found


async def job_id(db: SqliteDatabase, name: str) -> int:
    return int((await row(db, name))["job_id"])


async def test_claims_are_in_due_order_then_enqueue_order_and_limited(db: SqliteDatabase) -> None:
    await add(db, "late", due_ms=3000)
    await add(db, "b", "c", due_ms=2000)
    await add(db, "a", due_ms=1000)
    await add(db, "future", due_ms=9000)
    assert await claim(db, 5000, limit=3) == ["a", "b", "c"]
    assert await claim(db, 5000) == ["late"]


async def test_a_claim_takes_only_rows_matching_the_owner_condition(db: SqliteDatabase) -> None:
    await add(db, "a1", kind="a")
    await add(db, "b1", kind="b")
    assert await claim(db, 1000, where="t.kind = 'b'") == ["b1"]


async def test_a_claim_counts_the_attempt_under_way(db: SqliteDatabase) -> None:
    await add(db, "a")
    [(_, _, attempts)] = await db.write(
        lambda tx: JOBS.claim(tx, now_ms=1000, limit=1, lease_ms=10)
    )
    assert attempts == 1
    stored = await row(db, "a")
    assert (stored["attempts"], stored["last_attempt_ms"]) == (1, 1000)


async def test_two_databases_on_one_file_never_claim_the_same_row(tmp_path: Path) -> None:
    """Two processes' worth of claimers (each its own connection and writer), claiming at once."""
    first = SqliteDatabase(tmp_path / "q.sqlite3", REGION_MIGRATIONS)
    second = SqliteDatabase(tmp_path / "q.sqlite3", REGION_MIGRATIONS)
    try:
        await first.write(create_tables)
        await add(first, *(f"job-{n}" for n in range(300)))

        async def claim_all(database: SqliteDatabase) -> list[str]:
            taken: list[str] = []
            while batch := await claim(database, 1000, limit=7):
                taken += batch
                await asyncio.sleep(0.001)  # let the other database's writer take the lock
            return taken

        claims = await asyncio.gather(*(claim_all(d) for d in (first, second, first, second)))
    finally:
        first.close()
        second.close()
    everything = [name for taken in claims for name in taken]
    assert sorted(everything) == sorted(f"job-{n}" for n in range(300))  # none twice, none lost


def test_a_claim_holds_the_write_lock_until_its_transaction_ends(tmp_path: Path) -> None:
    """Why two SQLite claimers cannot overlap: the claim runs in a BEGIN IMMEDIATE transaction."""
    path = tmp_path / "q.sqlite3"
    SqliteDatabase(path, REGION_MIGRATIONS).close()  # the migrations
    one, two = (
        sqlite3.connect(path, isolation_level=None, timeout=0, factory=SqliteConnection)
        for _ in range(2)
    )
    try:
        for statement in SCHEMA:
            one.execute(statement)
        JOBS.enqueue(one, [{"name": f"j{n}"} for n in range(4)], due_ms=0)
        one.execute("BEGIN IMMEDIATE")
        first = JOBS.claim(one, now_ms=10, limit=3, lease_ms=100)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            two.execute("BEGIN IMMEDIATE")
        one.execute("COMMIT")
        two.execute("BEGIN IMMEDIATE")
        second = JOBS.claim(two, now_ms=10, limit=3, lease_ms=100)
        two.execute("COMMIT")
    finally:
        one.close()
        two.close()
    assert [r[1] for r in first] == ["j0", "j1", "j2"]
    assert [r[1] for r in second] == ["j3"]


async def test_an_expired_lease_makes_the_row_claimable_again(db: SqliteDatabase) -> None:
    await add(db, "a")
    assert await claim(db, 1000, lease_ms=5000) == ["a"]
    assert await claim(db, 5999) == []
    assert await claim(db, 6000) == ["a"]
    assert (await row(db, "a"))["attempts"] == 2


async def test_renewing_keeps_a_row_claimed(db: SqliteDatabase) -> None:
    await add(db, "a")
    await claim(db, 1000, lease_ms=5000)
    ident = await job_id(db, "a")
    await db.write(lambda tx: JOBS.renew(tx, [ident], until_ms=20_000))
    assert await claim(db, 19_999) == []
    assert await claim(db, 20_000) == ["a"]


async def test_reschedule_backs_off_and_releases_the_claim(db: SqliteDatabase) -> None:
    await add(db, "a")
    await claim(db, 1000, lease_ms=60_000)
    ident = await job_id(db, "a")
    await db.write(
        lambda tx: JOBS.reschedule(tx, [ident], due_ms=4000, now_ms=1500, error="refused")
    )
    # A renewal racing the outcome must not lease the row again past its retry.
    await db.write(lambda tx: JOBS.renew(tx, [ident], until_ms=90_000))
    assert await claim(db, 3999) == []
    assert await claim(db, 4000) == ["a"]
    await db.write(lambda tx: JOBS.reschedule(tx, [ident], due_ms=9000, now_ms=5000, error="again"))
    stored = await row(db, "a")
    assert (stored["status"], stored["due_ms"], stored["leased_until_ms"]) == ("PENDING", 9000, 0)
    assert (stored["last_error"], stored["first_failure_ms"]) == ("again", 1500)


async def test_make_due_cuts_short_only_the_matching_backoffs(db: SqliteDatabase) -> None:
    await add(db, "a", kind="a")
    await add(db, "b", kind="b")
    await claim(db, 1000)
    ids = [await job_id(db, "a"), await job_id(db, "b")]
    await db.write(lambda tx: JOBS.reschedule(tx, ids, due_ms=60_000, now_ms=1000))
    hurried = await db.write(
        lambda tx: JOBS.make_due(tx, now_ms=2000, where="kind = ?", params=("b",))
    )
    assert hurried == 1
    assert await claim(db, 2000) == ["b"]


async def test_complete_removes_the_row(db: SqliteDatabase) -> None:
    await add(db, "a", "b")
    await claim(db, 1000)
    ident = await job_id(db, "a")
    await db.write(lambda tx: JOBS.complete(tx, [ident]))
    names = await db.read(lambda tx: [r[0] for r in tx.execute("SELECT name FROM jobs")])
    assert names == ["b"]


async def test_a_dead_letter_stays_with_its_reason_and_is_never_claimed(
    db: SqliteDatabase,
) -> None:
    await add(db, "a")
    await claim(db, 1000)
    ident = await job_id(db, "a")
    await db.write(lambda tx: JOBS.dead_letter(tx, [ident], now_ms=1200, error="forbidden"))
    await db.write(lambda tx: JOBS.renew(tx, [ident], until_ms=90_000))
    assert await claim(db, 100_000) == []
    assert not await db.read(lambda tx: JOBS.has_due(tx, now_ms=100_000))
    stored = await row(db, "a")
    assert (stored["status"], stored["last_error"], stored["first_failure_ms"]) == (
        "DEAD",
        "forbidden",
        1200,
    )
    assert stored["leased_until_ms"] == 0


async def test_has_due_sees_only_claimable_rows(db: SqliteDatabase) -> None:
    await add(db, "a", due_ms=2000)
    assert not await db.read(lambda tx: JOBS.has_due(tx, now_ms=1999))
    assert await db.read(lambda tx: JOBS.has_due(tx, now_ms=2000))
    await claim(db, 2000)
    assert not await db.read(lambda tx: JOBS.has_due(tx, now_ms=2000))


async def test_a_status_claim_holds_until_the_owner_records_the_outcome(
    db: SqliteDatabase,
) -> None:
    rows = [{"run": run, "seq": n, "name": f"{run}{n}"} for run in ("r", "s") for n in range(4)]
    await db.write(lambda tx: STEPS.enqueue(tx, rows))

    def claim_steps(tx: Tx) -> list[int]:
        claimed = STEPS.claim(tx, now_ms=0, limit=2, where="t.run = ?", params=("r",))
        return [row[0] for row in claimed]

    assert await db.write(claim_steps) == [0, 1]
    assert await db.write(claim_steps) == [2, 3]  # no lease to run out: 0 and 1 stay RUNNING
    assert await db.write(claim_steps) == []
    await db.write(lambda tx: STEPS.complete(tx, [("r", 0)], fields={"message": "ok"}))
    await db.write(lambda tx: STEPS.dead_letter(tx, [("r", 1)], error="gone"))
    states = await db.read(
        lambda tx: [tuple(r) for r in tx.execute("SELECT run, seq, status, message FROM steps")]
    )
    assert sorted(states) == [
        ("r", 0, "DONE", "ok"),
        ("r", 1, "FAILED", "gone"),
        ("r", 2, "RUNNING", None),
        ("r", 3, "RUNNING", None),
        *((("s", n, "QUEUED", None)) for n in range(4)),
    ]
