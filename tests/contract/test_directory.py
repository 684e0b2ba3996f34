"""The bucket directory on both engines: a name is held by one region and one owner, AWS's
answers for a taken name, also when two regions (two connections) race for the same names."""

from __future__ import annotations

import asyncio

import pytest

from ferry.control import BucketDirectory, DirectoryEntry
from ferry.control.errors import BucketAlreadyExists, BucketAlreadyOwnedByYou
from ferry.core.clock import FakeClock
from ferry.store import Database
from tests.contract.databases import Databases
from tests.contract.engines import LinedUp, rendezvous

ALICE, BOB = "a" * 64, "b" * 64


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def directory(control_db: Database, clock: FakeClock) -> BucketDirectory:
    return BucketDirectory(control_db, clock)


async def test_a_claim_records_region_owner_and_time_and_release_frees_it(
    directory: BucketDirectory, clock: FakeClock
) -> None:
    entry = await directory.claim("photos", "us-east-1", ALICE)
    assert entry == DirectoryEntry(
        bucket="photos", region="us-east-1", owner_id=ALICE, created=clock.now()
    )
    assert await directory.lookup("photos") == entry
    assert await directory.lookup("missing") is None
    assert not await directory.release("photos", "eu-west-1")  # only where it lives
    assert await directory.release("photos", "us-east-1")
    assert await directory.lookup("photos") is None
    await directory.claim("photos", "eu-west-1", BOB)


async def test_a_taken_name_is_owned_by_you_or_already_exists_in_every_region(
    directory: BucketDirectory,
) -> None:
    await directory.claim("photos", "us-east-1", ALICE)
    for region in ("us-east-1", "eu-west-1"):
        with pytest.raises(BucketAlreadyOwnedByYou) as mine:
            await directory.claim("photos", region, ALICE)
        assert mine.value.fields["region"] == "us-east-1"
        with pytest.raises(BucketAlreadyExists):
            await directory.claim("photos", region, BOB)
    entry = await directory.lookup("photos")
    assert entry is not None and entry.owner_id == ALICE


async def test_an_owner_lists_buckets_of_every_region_in_name_order(
    directory: BucketDirectory,
) -> None:
    await directory.claim("zebra", "eu-west-1", ALICE)
    await directory.claim("apple", "us-east-1", ALICE)
    await directory.claim("apple-2", "us-east-1", ALICE)
    await directory.claim("mango", "us-east-1", BOB)
    listed = await directory.list_for_owner(ALICE)
    assert [(e.bucket, e.region) for e in listed] == [
        ("apple", "us-east-1"),
        ("apple-2", "us-east-1"),
        ("zebra", "eu-west-1"),
    ]


async def test_reconcile_releases_stale_claims_and_records_unknown_buckets(
    directory: BucketDirectory, clock: FakeClock
) -> None:
    await directory.claim("crashed", "us-east-1", ALICE)  # never created in the region
    await directory.claim("elsewhere", "eu-west-1", ALICE)
    await directory.claim("kept", "us-east-1", ALICE)
    clock.advance(120)
    await directory.claim("in-flight", "us-east-1", ALICE)  # too young to release
    local = [
        DirectoryEntry(bucket=name, region="us-east-1", owner_id=ALICE, created=clock.now())
        for name in ("kept", "restored", "elsewhere")
    ]
    outcome = await directory.reconcile("us-east-1", local)
    assert outcome.released == ("crashed",)
    assert outcome.claimed == ("restored",)
    assert [e.bucket for e in outcome.conflicts] == ["elsewhere"]
    assert await directory.lookup("in-flight") is not None


async def test_two_regions_racing_for_the_same_names_each_win_some_and_agree(
    engine: str, databases: Databases, control_db: Database
) -> None:
    """Two regions hold their own connections to the control plane (two processes would):
    every name is won exactly once, and the loser is told where the bucket lives."""
    second = databases.open_again(control_db)
    names = [f"bucket-{i}" for i in range(8)]
    outcomes: dict[str, dict[str, str]] = {"us-east-1": {}, "eu-west-1": {}}

    async def contend(directory: BucketDirectory, region: str, name: str) -> None:
        try:
            await directory.claim(name, region, ALICE)
            outcomes[region][name] = "won"
        except BucketAlreadyOwnedByYou as exc:
            outcomes[region][name] = exc.fields["region"]

    for name in names:
        meet = rendezvous(engine, 2)
        east = BucketDirectory(LinedUp(control_db, meet), FakeClock())
        west = BucketDirectory(LinedUp(second, meet), FakeClock())
        await asyncio.gather(contend(east, "us-east-1", name), contend(west, "eu-west-1", name))
    for name in names:
        east_saw, west_saw = outcomes["us-east-1"][name], outcomes["eu-west-1"][name]
        assert sorted([east_saw, west_saw]) in (["eu-west-1", "won"], ["us-east-1", "won"])
        entry = await BucketDirectory(second, FakeClock()).lookup(name)
        assert entry is not None
        assert entry.region == ("us-east-1" if east_saw == "won" else "eu-west-1")


async def test_many_concurrent_claims_of_one_name_have_one_winner(
    engine: str, control_db: Database
) -> None:
    racing = BucketDirectory(LinedUp(control_db, rendezvous(engine, 6)), FakeClock())
    results = await asyncio.gather(
        *(racing.claim("race", f"region-{i}", ALICE if i % 2 else BOB) for i in range(6)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, DirectoryEntry)]
    assert len(winners) == 1, results
    assert all(
        isinstance(r, BucketAlreadyExists | BucketAlreadyOwnedByYou)
        for r in results
        if not isinstance(r, DirectoryEntry)
    )
