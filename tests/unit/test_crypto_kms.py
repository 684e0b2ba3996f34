"""The regional key service: key states, aliases, envelope operations, accounts, regions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ferry.core.clock import FakeClock
from ferry.crypto import (
    S3_MANAGED_ALIAS,
    KeyManager,
    KeyService,
    KeyState,
    KmsAccessDenied,
    KmsAlreadyExists,
    KmsIncorrectKey,
    KmsInvalidAliasName,
    KmsInvalidCiphertext,
    KmsKeyDisabled,
    KmsKeyInvalidState,
    KmsKeyNotFound,
    KmsKeyUnavailable,
    KmsValidation,
    generate_master_key,
)
from ferry.region import REGION_MIGRATIONS
from ferry.store import SqliteDatabase

ACCOUNT = "111122223333"
OTHER = "444455556666"
REGION = "us-east-1"
CONTEXT = {"aws:s3:arn": "arn:aws:s3:::bucket/key"}


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "kms.sqlite3", REGION_MIGRATIONS)
    yield database
    database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def kms(db: SqliteDatabase, clock: FakeClock) -> KeyService:
    return KeyService(db, generate_master_key(), clock, REGION)


async def test_created_key_is_enabled_customer_managed_and_described_by_id_arn_and_alias(
    kms: KeyService,
) -> None:
    key = await kms.create_key(account_id=ACCOUNT, description="orders")
    assert key.arn == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key.key_id}"
    assert (key.state, key.manager, key.description) == (
        KeyState.ENABLED,
        KeyManager.CUSTOMER,
        "orders",
    )
    await kms.create_alias("alias/orders", key.key_id, account_id=ACCOUNT)
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/orders"
    for ref in (key.key_id, key.arn, "alias/orders", alias_arn):
        assert await kms.describe_key(ref, account_id=ACCOUNT) == key


async def test_encrypt_decrypt_round_trip_needs_the_same_context(kms: KeyService) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    blob, arn = await kms.encrypt(key.key_id, b"secret", account_id=ACCOUNT, context=CONTEXT)
    assert arn == key.arn
    assert b"secret" not in blob
    reordered = dict(reversed(list({**CONTEXT, "b": "2"}.items())))
    blob2, _ = await kms.encrypt(key.arn, b"two", account_id=ACCOUNT, context=reordered)
    assert await kms.decrypt(blob, account_id=ACCOUNT, context=CONTEXT) == (b"secret", key.arn)
    assert (await kms.decrypt(blob2, account_id=ACCOUNT, context={"b": "2", **CONTEXT}))[0] == (
        b"two"
    )
    for wrong in ({}, {"aws:s3:arn": "arn:aws:s3:::bucket/other"}, {**CONTEXT, "x": "y"}):
        with pytest.raises(KmsInvalidCiphertext):
            await kms.decrypt(blob, account_id=ACCOUNT, context=wrong)


async def test_tampered_or_foreign_blob_is_invalid_ciphertext(kms: KeyService) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    blob, _ = await kms.encrypt(key.key_id, b"secret", account_id=ACCOUNT, context={})
    for index in (0, 5, 40, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        with pytest.raises((KmsInvalidCiphertext, KmsKeyNotFound)):
            await kms.decrypt(bytes(tampered), account_id=ACCOUNT, context={})
    for junk in (b"", b"x" * 10, b"\x01" + b"z" * 80):
        with pytest.raises(KmsInvalidCiphertext):
            await kms.decrypt(junk, account_id=ACCOUNT, context={})


async def test_blob_under_another_key_with_its_header_swapped_fails(kms: KeyService) -> None:
    first = await kms.create_key(account_id=ACCOUNT)
    second = await kms.create_key(account_id=ACCOUNT)
    blob, _ = await kms.encrypt(first.key_id, b"secret", account_id=ACCOUNT, context={})
    swapped = blob[:1] + second.key_id.encode() + blob[37:]
    with pytest.raises(KmsInvalidCiphertext):
        await kms.decrypt(swapped, account_id=ACCOUNT, context={})


async def test_decrypt_with_a_named_key_must_name_the_blobs_key(kms: KeyService) -> None:
    first = await kms.create_key(account_id=ACCOUNT)
    second = await kms.create_key(account_id=ACCOUNT)
    blob, _ = await kms.encrypt(first.key_id, b"p", account_id=ACCOUNT, context={})
    assert (await kms.decrypt(blob, account_id=ACCOUNT, context={}, key_ref=first.arn))[0] == b"p"
    with pytest.raises(KmsIncorrectKey):
        await kms.decrypt(blob, account_id=ACCOUNT, context={}, key_ref=second.key_id)


async def test_disabled_key_refuses_every_use_until_enabled(kms: KeyService) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    blob, _ = await kms.encrypt(key.key_id, b"p", account_id=ACCOUNT, context={})
    data_key = await kms.generate_data_key(key.key_id, account_id=ACCOUNT, context=CONTEXT)
    assert (await kms.disable_key(key.key_id, account_id=ACCOUNT)).state is KeyState.DISABLED
    with pytest.raises(KmsKeyDisabled):
        await kms.encrypt(key.key_id, b"p", account_id=ACCOUNT, context={})
    with pytest.raises(KmsKeyDisabled):
        await kms.decrypt(blob, account_id=ACCOUNT, context={})
    with pytest.raises(KmsKeyDisabled):
        await kms.decrypt_data_key(data_key.ciphertext, account_id=ACCOUNT, context=CONTEXT)
    with pytest.raises(KmsKeyDisabled):
        await kms.generate_data_key(key.key_id, account_id=ACCOUNT, context={})
    await kms.enable_key(key.key_id, account_id=ACCOUNT)
    again = await kms.decrypt_data_key(data_key.ciphertext, account_id=ACCOUNT, context=CONTEXT)
    assert again.plaintext == data_key.plaintext
    assert again.key_arn == key.arn


async def test_key_state_machine(kms: KeyService, clock: FakeClock) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    with pytest.raises(KmsKeyInvalidState):
        await kms.cancel_key_deletion(key.key_id, account_id=ACCOUNT)
    scheduled = await kms.schedule_key_deletion(
        key.key_id, account_id=ACCOUNT, pending_window_days=7
    )
    assert scheduled.state is KeyState.PENDING_DELETION
    assert scheduled.deletion is not None
    assert (scheduled.deletion - clock.now()).days == 7
    for change in (kms.enable_key, kms.disable_key, kms.schedule_key_deletion):
        with pytest.raises(KmsKeyInvalidState):
            await change(key.key_id, account_id=ACCOUNT)
    with pytest.raises(KmsKeyInvalidState):
        await kms.encrypt(key.key_id, b"p", account_id=ACCOUNT, context={})
    cancelled = await kms.cancel_key_deletion(key.key_id, account_id=ACCOUNT)
    assert (cancelled.state, cancelled.deletion) == (KeyState.DISABLED, None)
    assert (await kms.enable_key(key.key_id, account_id=ACCOUNT)).state is KeyState.ENABLED


async def test_pending_window_must_be_7_to_30_days_and_defaults_to_30(
    kms: KeyService, clock: FakeClock
) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    for days in (6, 31, 0):
        with pytest.raises(KmsValidation):
            await kms.schedule_key_deletion(
                key.key_id, account_id=ACCOUNT, pending_window_days=days
            )
    scheduled = await kms.schedule_key_deletion(key.key_id, account_id=ACCOUNT)
    assert scheduled.deletion is not None
    assert (scheduled.deletion - clock.now()).days == 30


async def test_key_is_gone_once_its_deletion_date_passes(kms: KeyService, clock: FakeClock) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    successor = await kms.create_key(account_id=ACCOUNT)
    await kms.create_alias("alias/doomed", key.key_id, account_id=ACCOUNT)
    blob, _ = await kms.encrypt(key.key_id, b"p", account_id=ACCOUNT, context={})
    await kms.schedule_key_deletion(key.key_id, account_id=ACCOUNT, pending_window_days=7)
    clock.advance(7 * 86400 + 1)
    with pytest.raises(KmsKeyNotFound):
        await kms.describe_key(key.key_id, account_id=ACCOUNT)
    with pytest.raises(KmsKeyNotFound):
        await kms.decrypt(blob, account_id=ACCOUNT, context={})
    assert (await kms.list_keys(account_id=ACCOUNT)).items == [successor]
    assert (await kms.list_aliases(account_id=ACCOUNT)).items == []
    with pytest.raises(KmsKeyNotFound):
        await kms.describe_key("alias/doomed", account_id=ACCOUNT)
    # The expired key's alias name is free again.
    await kms.create_alias("alias/doomed", successor.key_id, account_id=ACCOUNT)
    assert (await kms.describe_key("alias/doomed", account_id=ACCOUNT)) == successor


async def test_keys_belong_to_one_account(kms: KeyService) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    blob, _ = await kms.encrypt(key.key_id, b"p", account_id=ACCOUNT, context={})
    with pytest.raises(KmsKeyNotFound):
        await kms.describe_key(key.key_id, account_id=OTHER)
    with pytest.raises(KmsAccessDenied):
        await kms.encrypt(key.arn, b"p", account_id=OTHER, context={})
    with pytest.raises(KmsAccessDenied):
        await kms.decrypt(blob, account_id=OTHER, context={})
    with pytest.raises(KmsAccessDenied):
        await kms.disable_key(key.arn, account_id=OTHER)
    assert (await kms.list_keys(account_id=OTHER)).items == []


async def test_keys_are_regional(db: SqliteDatabase, clock: FakeClock) -> None:
    master = generate_master_key()
    east = KeyService(db, master, clock, "us-east-1")
    key = await east.create_key(account_id=ACCOUNT)
    west_arn = key.arn.replace("us-east-1", "eu-west-1")
    with pytest.raises(KmsKeyNotFound):
        await east.describe_key(west_arn, account_id=ACCOUNT)


async def test_key_material_needs_the_master_key_it_was_created_under(
    db: SqliteDatabase, clock: FakeClock
) -> None:
    key = await KeyService(db, generate_master_key(), clock, REGION).create_key(account_id=ACCOUNT)
    replaced = KeyService(db, generate_master_key(), clock, REGION)
    with pytest.raises(KmsKeyUnavailable):
        await replaced.encrypt(key.key_id, b"p", account_id=ACCOUNT, context={})


async def test_generate_data_key_without_key_creates_the_managed_s3_key_once(
    kms: KeyService,
) -> None:
    first = await kms.generate_data_key(None, account_id=ACCOUNT, context=CONTEXT)
    second = await kms.generate_data_key(None, account_id=ACCOUNT, context=CONTEXT)
    assert len(first.plaintext) == 32
    assert first.key_arn == second.key_arn
    assert first.plaintext != second.plaintext
    managed = await kms.describe_key(S3_MANAGED_ALIAS, account_id=ACCOUNT)
    assert (managed.arn, managed.manager) == (first.key_arn, KeyManager.AWS)
    back = await kms.decrypt_data_key(first.ciphertext, account_id=ACCOUNT, context=CONTEXT)
    assert back.plaintext == first.plaintext
    other = await kms.generate_data_key(None, account_id=OTHER, context=CONTEXT)
    assert other.key_arn != first.key_arn
    with pytest.raises(KmsAccessDenied):
        await kms.disable_key(managed.key_id, account_id=ACCOUNT)
    assert "plaintext" not in repr(first) and first.plaintext.hex() not in repr(first)


async def test_data_key_sizes(kms: KeyService) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    short = await kms.generate_data_key(
        key.key_id, account_id=ACCOUNT, context={}, number_of_bytes=16
    )
    assert len(short.plaintext) == 16
    for size in (0, 1025):
        with pytest.raises(KmsValidation):
            await kms.generate_data_key(
                key.key_id, account_id=ACCOUNT, context={}, number_of_bytes=size
            )


async def test_encrypt_limits_plaintext_to_4096_bytes(kms: KeyService) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    await kms.encrypt(key.key_id, b"x" * 4096, account_id=ACCOUNT, context={})
    for size in (0, 4097):
        with pytest.raises(KmsValidation):
            await kms.encrypt(key.key_id, b"x" * size, account_id=ACCOUNT, context={})


async def test_aliases(kms: KeyService) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    other_key = await kms.create_key(account_id=ACCOUNT)
    alias = await kms.create_alias("alias/app", key.key_id, account_id=ACCOUNT)
    assert alias.arn == f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"
    with pytest.raises(KmsAlreadyExists):
        await kms.create_alias("alias/app", other_key.key_id, account_id=ACCOUNT)
    for bad in ("app", "alias/", "alias/has space", "alias/aws/mine", "alias/" + "a" * 251):
        with pytest.raises(KmsInvalidAliasName):
            await kms.create_alias(bad, key.key_id, account_id=ACCOUNT)
    with pytest.raises(KmsKeyNotFound):
        await kms.create_alias(
            "alias/x", "00000000-0000-4000-8000-000000000000", account_id=ACCOUNT
        )
    await kms.create_alias("alias/second", other_key.arn, account_id=ACCOUNT)
    listed = await kms.list_aliases(account_id=ACCOUNT)
    assert [a.name for a in listed.items] == ["alias/app", "alias/second"]
    only = await kms.list_aliases(account_id=ACCOUNT, key_ref=other_key.key_id)
    assert [a.name for a in only.items] == ["alias/second"]
    await kms.delete_alias("alias/app", account_id=ACCOUNT)
    with pytest.raises(KmsKeyNotFound):
        await kms.delete_alias("alias/app", account_id=ACCOUNT)
    with pytest.raises(KmsKeyNotFound):
        await kms.describe_key("alias/app", account_id=ACCOUNT)


async def test_alias_on_a_key_pending_deletion_is_refused(kms: KeyService) -> None:
    key = await kms.create_key(account_id=ACCOUNT)
    await kms.schedule_key_deletion(key.key_id, account_id=ACCOUNT)
    with pytest.raises(KmsKeyInvalidState):
        await kms.create_alias("alias/late", key.key_id, account_id=ACCOUNT)


async def test_list_keys_pages_with_marker(kms: KeyService) -> None:
    created = {(await kms.create_key(account_id=ACCOUNT)).key_id for _ in range(5)}
    seen: list[str] = []
    marker = None
    while True:
        page = await kms.list_keys(account_id=ACCOUNT, limit=2, marker=marker)
        assert len(page.items) <= 2
        seen += [k.key_id for k in page.items]
        if page.next_marker is None:
            break
        marker = page.next_marker
    assert seen == sorted(created)
    with pytest.raises(KmsValidation):
        await kms.list_keys(account_id=ACCOUNT, limit=0)


@pytest.mark.parametrize("ref", ["not-a-key", "arn:aws:kms:us-east-1:111122223333:key/nope"])
async def test_malformed_key_ids_are_not_found(kms: KeyService, ref: str) -> None:
    with pytest.raises(KmsKeyNotFound):
        await kms.describe_key(ref, account_id=ACCOUNT)
