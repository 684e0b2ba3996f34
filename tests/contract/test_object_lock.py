"""Object Lock on both engines: the lock is stored with the version (and with an upload), the
bucket's default retention is applied in the commit, and a locked version cannot be deleted
until its retention expires or its legal hold is removed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ferry.api.body import BytesPayload
from ferry.store import (
    BucketObjectLock,
    DefaultRetention,
    ObjectAttributes,
    ObjectLockMode,
    Retention,
    is_version_locked,
)
from ferry.store.errors import InvalidBucketState, ObjectLocked, ObjectLockMissing
from ferry.store.multipart import CompletedPart
from tests.contract.region_store import ENABLED, OWNER, SUSPENDED, RegionStore

GOV, COMP = ObjectLockMode.GOVERNANCE, ObjectLockMode.COMPLIANCE


async def test_lock_is_stored_with_the_version_and_holds_until_it_expires(
    store: RegionStore,
) -> None:
    await store.buckets.create("b", OWNER, (), object_lock=True)
    until = store.clock.now() + timedelta(days=1)
    attrs = ObjectAttributes(lock_mode=COMP, lock_until=until, legal_hold=True)
    put = await store.objects.put("b", "k", BytesPayload(b"x"), owner_id=OWNER, attrs=attrs)
    stored = await store.objects.version("b", "k", put.version_id)
    assert stored is not None
    assert (stored.attrs.lock_mode, stored.attrs.lock_until, stored.attrs.legal_hold) == (
        COMP, until, True,
    )  # fmt: skip
    with pytest.raises(ObjectLocked):
        await store.objects.delete("b", "k", put.version_id, bypass_governance=True)
    await store.objects.update_lock("b", "k", put.version_id, legal_hold=False)
    with pytest.raises(ObjectLocked):  # the retention still holds
        await store.objects.delete("b", "k", put.version_id)
    store.clock.advance(86_401)
    gone = await store.objects.version("b", "k", put.version_id)
    assert gone is not None and not is_version_locked(gone, store.clock.now())
    await store.objects.delete("b", "k", put.version_id)
    assert await store.objects.version("b", "k", put.version_id) is None


async def test_object_lock_keeps_versioning_enabled_and_applies_the_default(
    store: RegionStore,
) -> None:
    await store.bucket(versioning=ENABLED)
    rule = DefaultRetention(mode=GOV, days=2)
    await store.buckets.set_object_lock("b", BucketObjectLock(default_retention=rule))
    assert (await store.buckets.get_object_lock("b")).default_retention == rule
    with pytest.raises(InvalidBucketState):
        await store.buckets.set_versioning("b", SUSPENDED)
    put = await store.put("b", "k", b"x")
    assert put.attrs.lock_mode is GOV
    assert put.attrs.lock_until == store.clock.now() + timedelta(days=2)
    await store.objects.update_lock(
        "b", "k", put.version_id, retention=Retention(), bypass_governance=True
    )
    await store.objects.delete("b", "k", put.version_id)


async def test_an_upload_keeps_its_lock_until_it_completes(store: RegionStore) -> None:
    await store.buckets.create("b", OWNER, (), object_lock=True)
    attrs = ObjectAttributes(legal_hold=True)
    upload = await store.uploads.create("b", "k", owner_id=OWNER, attrs=attrs)
    part = await store.uploads.put_part("b", "k", upload.upload_id, 1, BytesPayload(b"p"))
    version = await store.uploads.complete(
        "b", "k", upload.upload_id, [CompletedPart(part_number=1, etag=part.etag)]
    )
    assert version.attrs.legal_hold
    with pytest.raises(ObjectLocked):
        await store.objects.delete("b", "k", version.version_id)


async def test_lock_settings_need_a_bucket_with_object_lock(store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    held = ObjectAttributes(legal_hold=True)
    with pytest.raises(ObjectLockMissing):
        await store.objects.put("b", "k", BytesPayload(b"x"), owner_id=OWNER, attrs=held)
    with pytest.raises(ObjectLockMissing):
        await store.uploads.create("b", "k", owner_id=OWNER, attrs=held)
    put = await store.put("b", "k", b"x")
    with pytest.raises(ObjectLockMissing):
        await store.objects.update_lock("b", "k", put.version_id, legal_hold=True)
