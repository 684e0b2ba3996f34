"""A bucket's owner and policy, as authorisation reads them on every request: stored, cached,
and never served stale after a change made through the same `Buckets`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from ferry.core.clock import FakeClock
from ferry.region import REGION_MIGRATIONS
from ferry.store import Buckets, SqliteDatabase, Tx
from ferry.store.errors import NoSuchBucket, NoSuchBucketPolicy

T = TypeVar("T")
POLICY = '{"Statement": []}'


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "meta.sqlite3", REGION_MIGRATIONS)
    yield database
    database.close()


@pytest.fixture
def buckets(db: SqliteDatabase) -> Buckets:
    return Buckets(db, FakeClock(), "us-east-1")


async def test_policy_is_stored_exactly_and_removed(buckets: Buckets) -> None:
    await buckets.create("b", "owner-1", ())
    with pytest.raises(NoSuchBucketPolicy):
        await buckets.get_policy("b")
    await buckets.set_policy("b", POLICY)
    assert await buckets.get_policy("b") == POLICY
    access = await buckets.get_access("b")
    assert (access.owner_id, access.policy) == ("owner-1", POLICY)
    await buckets.set_policy("b", None)
    assert (await buckets.get_access("b")).policy is None


async def test_missing_bucket(buckets: Buckets) -> None:
    with pytest.raises(NoSuchBucket):
        await buckets.get_access("nope")
    with pytest.raises(NoSuchBucket):
        await buckets.set_policy("nope", POLICY)


async def test_a_recreated_bucket_has_its_new_owner_and_no_policy(buckets: Buckets) -> None:
    await buckets.create("b", "owner-1", ())
    await buckets.set_policy("b", POLICY)
    assert (await buckets.get_access("b")).owner_id == "owner-1"
    await buckets.delete("b")
    with pytest.raises(NoSuchBucket):
        await buckets.get_access("b")
    await buckets.create("b", "owner-2", ())
    access = await buckets.get_access("b")
    assert (access.owner_id, access.policy) == ("owner-2", None)


class RacingDatabase:
    """Runs `after_read` once a read has produced its result, before handing it back: a write
    that lands while a read is in flight."""

    def __init__(self, inner: SqliteDatabase) -> None:
        self.inner = inner
        self.after_read: Callable[[], Awaitable[None]] | None = None

    async def write(self, fn: Callable[[Tx], T]) -> T:
        return await self.inner.write(fn)

    async def read(self, fn: Callable[[Tx], T]) -> T:
        result = await self.inner.read(fn)
        hook, self.after_read = self.after_read, None
        if hook is not None:
            await hook()
        return result

    def close(self) -> None:
        self.inner.close()


async def test_a_read_racing_a_policy_change_is_not_cached(db: SqliteDatabase) -> None:
    racing = RacingDatabase(db)
    buckets = Buckets(racing, FakeClock(), "us-east-1")
    await buckets.create("b", "owner-1", ())

    async def change_policy() -> None:
        await buckets.set_policy("b", POLICY)

    racing.after_read = change_policy
    assert (await buckets.get_access("b")).policy is None  # read before the write landed
    assert (await buckets.get_access("b")).policy == POLICY
