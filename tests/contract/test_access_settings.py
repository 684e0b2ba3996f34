"""Bucket access settings (Object Ownership, Block Public Access, CORS, ACL) and account-level
settings (Block Public Access, e-mail addresses) on both engines."""

from __future__ import annotations

import pytest

from ferry.control import Accounts, AccountSettings, SecretSealer
from ferry.control.iam_errors import AccountAlreadyExists
from ferry.core.clock import FakeClock
from ferry.core.secret import Secret
from ferry.store import (
    BLOCK_ALL_PUBLIC_ACCESS,
    Database,
    Grant,
    ObjectOwnership,
    PublicAccessBlock,
)
from ferry.store.errors import InvalidBucketAclWithObjectOwnership
from tests.contract.region_store import OWNER, RegionStore

OWNER_FULL = (Grant(grantee_type="CanonicalUser", grantee=OWNER, permission="FULL_CONTROL"),)
PUBLIC = (
    *OWNER_FULL,
    Grant(
        grantee_type="Group",
        grantee="http://acs.amazonaws.com/groups/global/AllUsers",
        permission="READ",
    ),
)


async def test_new_bucket_settings_round_trip_through_the_access_record(store: RegionStore) -> None:
    await store.buckets.create(
        "settings", OWNER, OWNER_FULL,
        object_ownership=ObjectOwnership.BUCKET_OWNER_ENFORCED,
        public_access_block=BLOCK_ALL_PUBLIC_ACCESS,
    )  # fmt: skip
    access = await store.buckets.get_access("settings")
    assert access.object_ownership is ObjectOwnership.BUCKET_OWNER_ENFORCED
    assert access.public_access_block == BLOCK_ALL_PUBLIC_ACCESS and not access.acls_enabled
    assert access.cors is None and access.acl == OWNER_FULL
    block = PublicAccessBlock(ignore_public_acls=True)
    await store.buckets.set_object_ownership("settings", ObjectOwnership.OBJECT_WRITER)
    await store.buckets.set_public_access_block("settings", block)
    await store.buckets.set_cors("settings", "<CORSConfiguration/>")
    await store.buckets.set_acl("settings", PUBLIC)
    access = await store.buckets.get_access("settings")
    assert access.object_ownership is ObjectOwnership.OBJECT_WRITER and access.acls_enabled
    assert access.public_access_block == block
    assert access.cors == "<CORSConfiguration/>" and access.acl == PUBLIC
    with pytest.raises(InvalidBucketAclWithObjectOwnership):  # a public bucket ACL stays
        await store.buckets.set_object_ownership(
            "settings", ObjectOwnership.BUCKET_OWNER_ENFORCED, reset_acl=OWNER_FULL
        )
    await store.buckets.set_object_ownership("settings", None)
    await store.buckets.set_public_access_block("settings", None)
    await store.buckets.set_cors("settings", None)
    access = await store.buckets.get_access("settings")
    assert access.object_ownership is None and access.acls_enabled
    assert access.public_access_block is None and access.cors is None


async def test_account_block_and_email_lookup(control_db: Database) -> None:
    accounts = Accounts(control_db, FakeClock(), SecretSealer(Secret("root")))
    account, _ = await accounts.create("mailed", email="Team@Example.com")
    assert account.email == "team@example.com"
    with pytest.raises(AccountAlreadyExists):
        await accounts.create("again", email="team@example.COM")
    settings = AccountSettings(control_db, ttl_s=0)
    assert await settings.canonical_id_of_email("TEAM@example.com") == account.canonical_id
    assert await settings.canonical_id_of_email("nobody@example.com") is None
    assert await settings.public_access_block(account.account_id) is None
    block = PublicAccessBlock(block_public_policy=True)
    assert await settings.set_public_access_block(account.account_id, block)
    assert await settings.public_access_block(account.account_id) == block
    assert await settings.set_public_access_block(account.account_id, BLOCK_ALL_PUBLIC_ACCESS)
    assert await settings.public_access_block(account.account_id) == BLOCK_ALL_PUBLIC_ACCESS
    assert await settings.set_public_access_block(account.account_id, None)
    assert not await settings.set_public_access_block(account.account_id, None)
    assert await settings.public_access_block(account.account_id) is None
