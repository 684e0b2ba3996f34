"""Stored access keys: sealed at rest, looked up synchronously through a short TTL cache, so
a deleted or deactivated key stops working within the TTL and a new one starts working."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ferry.control import (
    CONTROL_DATABASE_NAME,
    CONTROL_MIGRATIONS,
    AccessKeys,
    Accounts,
    KeyHolderKind,
    SecretSealer,
    StoredKeyLookup,
    Users,
)
from ferry.control.iam_errors import LimitExceeded
from ferry.control.iam_records import AccessKeyStatus
from ferry.control.sealing import UnsealFailed
from ferry.core.clock import FakeClock
from ferry.core.secret import Secret
from ferry.store import SqliteDatabase

ACCOUNT = "123456789012"
ROOT_SECRET = Secret("deployment-root-secret")


class Ticker:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[tuple[SqliteDatabase, Path]]:
    path = tmp_path / CONTROL_DATABASE_NAME
    db = SqliteDatabase(path, migrations=CONTROL_MIGRATIONS)
    await Accounts(db, FakeClock(), SecretSealer(ROOT_SECRET)).ensure(ACCOUNT, "main")
    yield db, path
    db.close()


def test_a_sealed_secret_opens_only_for_its_key_and_root_secret() -> None:
    sealer = SecretSealer(ROOT_SECRET)
    sealed = sealer.seal("AKIAAAAAAAAAAAAAAAAA", Secret("s3cr3t"))
    assert b"s3cr3t" not in sealed
    assert sealer.unseal("AKIAAAAAAAAAAAAAAAAA", sealed).reveal() == "s3cr3t"
    with pytest.raises(UnsealFailed):
        sealer.unseal("AKIABBBBBBBBBBBBBBBB", sealed)
    with pytest.raises(UnsealFailed):
        SecretSealer(Secret("another-root-secret")).unseal("AKIAAAAAAAAAAAAAAAAA", sealed)


async def test_secrets_are_not_stored_in_the_clear(env: tuple[SqliteDatabase, Path]) -> None:
    db, path = env
    await Users(db, FakeClock()).create(ACCOUNT, "alice", "/")
    created = await AccessKeys(db, FakeClock(), SecretSealer(ROOT_SECRET)).create(ACCOUNT, "alice")
    assert created.secret.reveal().encode() not in path.read_bytes()
    assert created.secret.reveal() not in repr(created)


async def test_a_user_key_is_found_with_its_user_arn(env: tuple[SqliteDatabase, Path]) -> None:
    db, _path = env
    await Users(db, FakeClock()).create(ACCOUNT, "alice", "/eng/")
    created = await AccessKeys(db, FakeClock(), SecretSealer(ROOT_SECRET)).create(ACCOUNT, "ALICE")
    lookup = StoredKeyLookup(db, SecretSealer(ROOT_SECRET))
    found = lookup.lookup(created.key.access_key_id)
    assert found is not None
    assert found.secret.reveal() == created.secret.reveal()
    assert (found.account_id, found.holder) == (ACCOUNT, KeyHolderKind.USER)
    assert found.arn == f"arn:aws:iam::{ACCOUNT}:user/eng/alice"  # the user's own spelling


async def test_an_account_root_key_is_found_as_the_root(tmp_path: Path) -> None:
    path = tmp_path / CONTROL_DATABASE_NAME
    db = SqliteDatabase(path, migrations=CONTROL_MIGRATIONS)
    account, key = await Accounts(db, FakeClock(), SecretSealer(ROOT_SECRET)).create("team")
    lookup = StoredKeyLookup(db, SecretSealer(ROOT_SECRET))
    found = lookup.lookup(key.key.access_key_id)
    assert found is not None and found.holder is KeyHolderKind.ACCOUNT_ROOT
    assert found.arn == f"arn:aws:iam::{account.account_id}:root"
    db.close()


async def test_changes_take_effect_once_the_ttl_passes(env: tuple[SqliteDatabase, Path]) -> None:
    db, _path = env
    keys = AccessKeys(db, FakeClock(), SecretSealer(ROOT_SECRET))
    ticker = Ticker()
    lookup = StoredKeyLookup(db, SecretSealer(ROOT_SECRET), ttl_s=0.5, monotonic=ticker)
    await Users(db, FakeClock()).create(ACCOUNT, "alice", "/")
    created = await keys.create(ACCOUNT, "alice")
    key_id = created.key.access_key_id
    assert lookup.lookup(key_id) is not None

    await keys.update_status(ACCOUNT, "alice", key_id, AccessKeyStatus.INACTIVE)
    assert lookup.lookup(key_id) is not None  # cached: still valid inside the TTL
    ticker.now += 0.6
    assert lookup.lookup(key_id) is None  # inactive keys are unknown keys

    await keys.update_status(ACCOUNT, "alice", key_id, AccessKeyStatus.ACTIVE)
    ticker.now += 0.6
    assert lookup.lookup(key_id) is not None
    await keys.delete(ACCOUNT, "alice", key_id)
    ticker.now += 0.6
    assert lookup.lookup(key_id) is None


async def test_a_new_key_works_at_once(env: tuple[SqliteDatabase, Path]) -> None:
    db, _path = env
    lookup = StoredKeyLookup(db, SecretSealer(ROOT_SECRET), ttl_s=0.5, monotonic=Ticker())
    assert lookup.lookup("AKIAUNKNOWN000000000") is None
    _, key = await Accounts(db, FakeClock(), SecretSealer(ROOT_SECRET)).create("later")
    assert lookup.lookup(key.key.access_key_id) is not None


async def test_keys_under_another_root_secret_are_unknown(env: tuple[SqliteDatabase, Path]) -> None:
    db, _path = env
    await Users(db, FakeClock()).create(ACCOUNT, "alice", "/")
    created = await AccessKeys(db, FakeClock(), SecretSealer(ROOT_SECRET)).create(ACCOUNT, "alice")
    lookup = StoredKeyLookup(db, SecretSealer(Secret("rotated-root-secret")))
    assert lookup.lookup(created.key.access_key_id) is None


async def test_a_user_holds_at_most_two_keys(env: tuple[SqliteDatabase, Path]) -> None:
    db, _ = env
    await Users(db, FakeClock()).create(ACCOUNT, "alice", "/")
    keys = AccessKeys(db, FakeClock(), SecretSealer(ROOT_SECRET))
    await keys.create(ACCOUNT, "alice")
    await keys.create(ACCOUNT, "alice")
    with pytest.raises(LimitExceeded, match="AccessKeysPerUser: 2"):
        await keys.create(ACCOUNT, "alice")
