"""The regional key service's keys and aliases on both engines: lookups by ID, ARN and alias,
the key state machine and deletion, alias names unique per account, key pages, and the S3
managed key created once however many first uses race."""

from __future__ import annotations

import asyncio

import pytest

from ferry.core.clock import FakeClock
from ferry.crypto import (
    S3_MANAGED_ALIAS,
    KeyManager,
    KeyService,
    KeyState,
    KmsAlreadyExists,
    KmsKeyInvalidState,
    KmsKeyNotFound,
    MasterKey,
    generate_master_key,
)
from ferry.store import Database
from tests.contract.engines import LinedUp, rendezvous

ACCOUNT, OTHER = "111122223333", "444455556666"
REGION = "us-east-1"
CONTEXT = {"aws:s3:arn": "arn:aws:s3:::bucket/key"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def master() -> MasterKey:
    return generate_master_key()


@pytest.fixture
def kms(region_db: Database, master: MasterKey, clock: FakeClock) -> KeyService:
    return KeyService(region_db, master, clock, REGION)


async def test_a_key_is_found_by_id_arn_and_alias_and_round_trips_data(kms: KeyService) -> None:
    key = await kms.create_key(account_id=ACCOUNT, description="orders — ünïcode")
    assert (key.state, key.manager) == (KeyState.ENABLED, KeyManager.CUSTOMER)
    await kms.create_alias("alias/orders", key.key_id, account_id=ACCOUNT)
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/orders"
    for ref in (key.key_id, key.arn, "alias/orders", alias_arn):
        assert await kms.describe_key(ref, account_id=ACCOUNT) == key
    blob, arn = await kms.encrypt("alias/orders", b"secret", account_id=ACCOUNT, context=CONTEXT)
    assert arn == key.arn
    assert await kms.decrypt(blob, account_id=ACCOUNT, context=CONTEXT) == (b"secret", key.arn)
    with pytest.raises(KmsKeyNotFound):
        await kms.describe_key(key.key_id, account_id=OTHER)


async def test_key_states_and_deletion_once_the_window_passes(
    kms: KeyService, clock: FakeClock
) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    successor = await kms.create_key(account_id=ACCOUNT)
    await kms.create_alias("alias/doomed", key.key_id, account_id=ACCOUNT)
    assert (await kms.disable_key(key.key_id, account_id=ACCOUNT)).state is KeyState.DISABLED
    assert (await kms.enable_key(key.arn, account_id=ACCOUNT)).state is KeyState.ENABLED
    scheduled = await kms.schedule_key_deletion(
        key.key_id, account_id=ACCOUNT, pending_window_days=7
    )
    assert scheduled.state is KeyState.PENDING_DELETION and scheduled.deletion is not None
    assert (scheduled.deletion - clock.now()).days == 7
    with pytest.raises(KmsKeyInvalidState):
        await kms.enable_key(key.key_id, account_id=ACCOUNT)
    cancelled = await kms.cancel_key_deletion(key.key_id, account_id=ACCOUNT)
    assert (cancelled.state, cancelled.deletion) == (KeyState.DISABLED, None)
    await kms.schedule_key_deletion(key.key_id, account_id=ACCOUNT, pending_window_days=7)
    clock.advance(7 * 86400 + 1)
    with pytest.raises(KmsKeyNotFound):
        await kms.describe_key(key.key_id, account_id=ACCOUNT)
    assert (await kms.list_keys(account_id=ACCOUNT)).items == [successor]
    assert (await kms.list_aliases(account_id=ACCOUNT)).items == []
    await kms.create_alias("alias/doomed", successor.key_id, account_id=ACCOUNT)  # free again


async def test_alias_names_are_unique_per_account_and_listed_in_order(kms: KeyService) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    other_key = await kms.create_key(account_id=ACCOUNT)
    await kms.create_alias("alias/app", key.key_id, account_id=ACCOUNT)
    with pytest.raises(KmsAlreadyExists):
        await kms.create_alias("alias/app", other_key.key_id, account_id=ACCOUNT)
    foreign = await kms.create_key(account_id=OTHER)
    await kms.create_alias("alias/app", foreign.key_id, account_id=OTHER)
    for name in ("alias/Zed", "alias/app-2", "alias/_x", "alias/APP"):
        await kms.create_alias(name, other_key.arn, account_id=ACCOUNT)
    listed = await kms.list_aliases(account_id=ACCOUNT)
    assert [a.name for a in listed.items] == sorted(
        ["alias/app", "alias/Zed", "alias/app-2", "alias/_x", "alias/APP"]
    )
    only = await kms.list_aliases(account_id=ACCOUNT, key_ref=key.key_id)
    assert [a.name for a in only.items] == ["alias/app"]
    await kms.delete_alias("alias/app", account_id=ACCOUNT)
    with pytest.raises(KmsKeyNotFound):
        await kms.describe_key("alias/app", account_id=ACCOUNT)
    assert await kms.describe_key("alias/app", account_id=OTHER) == foreign


async def test_keys_page_in_key_id_order(kms: KeyService) -> None:
    created = {(await kms.create_key(account_id=ACCOUNT)).key_id for _ in range(5)}
    await kms.create_key(account_id=OTHER)
    seen: list[str] = []
    marker = None
    while True:
        page = await kms.list_keys(account_id=ACCOUNT, limit=2, marker=marker)
        seen += [k.key_id for k in page.items]
        if page.next_marker is None:
            break
        marker = page.next_marker
    assert seen == sorted(created)


async def test_racing_first_uses_create_the_s3_managed_key_once(
    engine: str, region_db: Database, master: MasterKey, clock: FakeClock
) -> None:
    racing = KeyService(LinedUp(region_db, rendezvous(engine, 4)), master, clock, REGION)
    data_keys = await asyncio.gather(
        *(racing.generate_data_key(None, account_id=ACCOUNT, context=CONTEXT) for _ in range(4))
    )
    assert len({d.key_arn for d in data_keys}) == 1
    kms = KeyService(region_db, master, clock, REGION)
    managed = await kms.describe_key(S3_MANAGED_ALIAS, account_id=ACCOUNT)
    assert (managed.arn, managed.manager) == (data_keys[0].key_arn, KeyManager.AWS)
    assert [k.key_id for k in (await kms.list_keys(account_id=ACCOUNT)).items] == [managed.key_id]
    for data_key in data_keys:
        back = await kms.decrypt_data_key(data_key.ciphertext, account_id=ACCOUNT, context=CONTEXT)
        assert back.plaintext == data_key.plaintext
