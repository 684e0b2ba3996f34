"""The bucket directory: names unique across regions, AWS's answers for taken names, and one
database shared by several processes (here: several connections in several threads)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ferry.control import (
    CONTROL_DATABASE_NAME,
    CONTROL_MIGRATIONS,
    BucketDirectory,
    DirectoryEntry,
)
from ferry.control.errors import BucketAlreadyExists, BucketAlreadyOwnedByYou
from ferry.core.clock import FakeClock
from ferry.store import SqliteDatabase
from ferry.store.db import apply_migrations

ALICE = "a" * 64
BOB = "b" * 64


def open_db(path: Path) -> SqliteDatabase:
    return SqliteDatabase(path / CONTROL_DATABASE_NAME, migrations=CONTROL_MIGRATIONS)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteDatabase]:
    database = open_db(tmp_path)
    yield database
    database.close()


@pytest.fixture
def directory(db: SqliteDatabase, fake_clock: FakeClock) -> BucketDirectory:
    return BucketDirectory(db, fake_clock)


async def test_claim_records_region_owner_and_time(
    directory: BucketDirectory, fake_clock: FakeClock
) -> None:
    entry = await directory.claim("photos", "us-east-1", ALICE)
    assert entry == DirectoryEntry(
        bucket="photos", region="us-east-1", owner_id=ALICE, created=fake_clock.now()
    )
    assert await directory.lookup("photos") == entry
    assert await directory.lookup("missing") is None


async def test_claiming_your_own_bucket_again_is_already_owned_by_you(
    directory: BucketDirectory,
) -> None:
    await directory.claim("photos", "us-east-1", ALICE)
    with pytest.raises(BucketAlreadyOwnedByYou) as caught:
        await directory.claim("photos", "us-east-1", ALICE)
    assert caught.value.fields == {"bucket": "photos", "region": "us-east-1", "owner_id": ALICE}


async def test_claiming_your_own_bucket_from_another_region_is_already_owned_by_you(
    directory: BucketDirectory,
) -> None:
    # AWS: "The bucket you tried to create already exists, and you own it" -- whatever region.
    await directory.claim("photos", "us-east-1", ALICE)
    with pytest.raises(BucketAlreadyOwnedByYou) as caught:
        await directory.claim("photos", "eu-west-1", ALICE)
    assert caught.value.fields["region"] == "us-east-1"


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
async def test_someone_elses_bucket_is_already_exists(
    directory: BucketDirectory, region: str
) -> None:
    await directory.claim("photos", "us-east-1", ALICE)
    with pytest.raises(BucketAlreadyExists):
        await directory.claim("photos", region, BOB)
    entry = await directory.lookup("photos")
    assert entry is not None and entry.owner_id == ALICE


async def test_release_frees_the_name_only_in_its_region(directory: BucketDirectory) -> None:
    await directory.claim("photos", "us-east-1", ALICE)
    assert not await directory.release("photos", "eu-west-1")
    assert await directory.lookup("photos") is not None
    assert await directory.release("photos", "us-east-1")
    assert await directory.lookup("photos") is None
    assert not await directory.release("photos", "us-east-1")
    await directory.claim("photos", "eu-west-1", BOB)


async def test_list_for_owner_spans_regions_in_name_order(directory: BucketDirectory) -> None:
    await directory.claim("zebra", "eu-west-1", ALICE)
    await directory.claim("apple", "us-east-1", ALICE)
    await directory.claim("mango", "us-east-1", BOB)
    listed = await directory.list_for_owner(ALICE)
    assert [(e.bucket, e.region) for e in listed] == [
        ("apple", "us-east-1"),
        ("zebra", "eu-west-1"),
    ]
    assert await directory.list_for_owner("c" * 64) == []


async def test_concurrent_claims_in_one_process_have_one_winner(
    directory: BucketDirectory,
) -> None:
    results = await asyncio.gather(
        *(directory.claim("race", f"region-{i}", ALICE if i % 2 else BOB) for i in range(6)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, DirectoryEntry)]
    losers = [r for r in results if isinstance(r, BucketAlreadyExists | BucketAlreadyOwnedByYou)]
    assert len(winners) == 1
    assert len(losers) == 5


def test_two_databases_on_one_file_racing_for_a_name_have_one_winner(tmp_path: Path) -> None:
    """Two regions' connections (as two processes would hold) claim the same names at once:
    each name is won exactly once, and both see the same winner."""
    names = [f"bucket-{i}" for i in range(20)]
    barrier = threading.Barrier(2)
    outcomes: dict[str, list[tuple[str, str]]] = {"us-east-1": [], "eu-west-1": []}

    async def contend(region: str) -> None:
        database = open_db(tmp_path)
        directory = BucketDirectory(database, FakeClock())
        try:
            barrier.wait()
            for name in names:
                try:
                    await directory.claim(name, region, ALICE)
                    outcomes[region].append((name, "won"))
                except BucketAlreadyOwnedByYou as exc:
                    outcomes[region].append((name, exc.fields["region"]))
        finally:
            database.close()

    threads = [threading.Thread(target=asyncio.run, args=(contend(region),)) for region in outcomes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    east, west = dict(outcomes["us-east-1"]), dict(outcomes["eu-west-1"])
    assert sorted(east) == sorted(west) == sorted(names)
    for name in names:
        # Exactly one region won, and the loser was told where the bucket lives.
        assert sorted([east[name], west[name]]) in (
            ["eu-west-1", "won"],
            ["us-east-1", "won"],
        ), name
        assert (east[name] == "won") == (west[name] == "us-east-1")


def test_control_migrations_apply_once(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "c.sqlite3", isolation_level=None)
    assert apply_migrations(conn, CONTROL_MIGRATIONS) == [
        "0001_directory.sql",
        "0002_iam.sql",
        "0003_account_access_settings.sql",
    ]
    assert apply_migrations(conn, CONTROL_MIGRATIONS) == []
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "bucket_directory" in tables and "versions" not in tables
    conn.close()
