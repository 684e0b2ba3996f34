"""Object Lock: whether a version may go, and how its retention and legal hold may change.

A version is locked while its legal hold is ON or its retain-until date is in the future
(`is_locked`: the one predicate every deleter asks: DeleteObject, DeleteObjects, lifecycle).
Under GOVERNANCE a caller allowed to bypass (`x-amz-bypass-governance-retention: true` with
`s3:BypassGovernanceRetention`) may delete the version or shorten or remove its retention;
under COMPLIANCE nobody may, and the retention may only be extended. A legal hold stops every
delete until it is removed. The lock is stored in the version's row, so it is written in the
transaction that commits the version (or changes the lock).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ferry.core.clock import epoch_ms
from ferry.store.db import Tx
from ferry.store.errors import InvalidArgument, ObjectLocked, ObjectLockMissing
from ferry.store.records import (
    BucketObjectLock,
    BucketState,
    DefaultRetention,
    ObjectAttributes,
    ObjectLockMode,
    Version,
)

MAX_RETENTION_DAYS = 36_500  # AWS: 100 years
MAX_RETENTION_YEARS = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class Retention:
    """A version's retention; `mode` and `until` both None: none."""

    mode: ObjectLockMode | None = None
    until: datetime | None = None


def is_locked(attrs: ObjectAttributes, now: datetime) -> bool:
    """Is this version protected from deletion now (legal hold, or retention not expired)?"""
    return attrs.legal_hold or (attrs.lock_until is not None and attrs.lock_until > now)


def is_version_locked(version: Version, now: datetime) -> bool:
    """The store-level predicate lifecycle and every other deleter use."""
    return not version.is_delete_marker and is_locked(version.attrs, now)


def check_deletable(version: Version, now: datetime, *, bypass_governance: bool) -> None:
    """Refuse to remove a locked version (AWS: AccessDenied). Delete markers carry no lock."""
    if version.is_delete_marker:
        return
    attrs = version.attrs
    if attrs.legal_hold:
        raise ObjectLocked(bucket=version.bucket, key=version.key)
    if attrs.lock_until is None or attrs.lock_until <= now:
        return
    if attrs.lock_mode is ObjectLockMode.GOVERNANCE and bypass_governance:
        return
    raise ObjectLocked(bucket=version.bucket, key=version.key)


def check_retention_change(
    current: ObjectAttributes, wanted: Retention, now: datetime, *, bypass_governance: bool
) -> None:
    """May a version's retention become `wanted`? Extending is always allowed; shortening,
    removing or weakening (COMPLIANCE → GOVERNANCE) an unexpired one only under GOVERNANCE
    with the bypass."""
    if wanted.until is not None and wanted.until <= now:
        raise InvalidArgument("The retain until date must be in the future!")
    if current.lock_until is None or current.lock_until <= now:
        return
    weaker = (
        wanted.until is None
        or wanted.until < current.lock_until
        or (current.lock_mode is ObjectLockMode.COMPLIANCE and wanted.mode is not current.lock_mode)
    )
    if not weaker:
        return
    if current.lock_mode is ObjectLockMode.GOVERNANCE and bypass_governance:
        return
    raise ObjectLocked()


def require_object_lock(bucket: BucketState) -> BucketObjectLock:
    if bucket.object_lock is None:
        raise ObjectLockMissing(bucket=bucket.name)
    return bucket.object_lock


def retain_until(rule: DefaultRetention, now: datetime) -> datetime:
    """The date a default retention gives a version created `now`."""
    if rule.days is not None:
        return now + timedelta(days=rule.days)
    years = rule.years or 0
    year = now.year + years
    day = min(now.day, calendar.monthrange(year, now.month)[1])
    return now.replace(year=year, day=day)


def with_default_retention(
    bucket: BucketState, attrs: ObjectAttributes, now: datetime
) -> ObjectAttributes:
    """A new version's attributes with the bucket's default retention, unless it names its
    own (AWS: explicit retention settings override the bucket default)."""
    lock = bucket.object_lock
    if lock is None or lock.default_retention is None or attrs.lock_mode is not None:
        return attrs
    rule = lock.default_retention
    return replace(attrs, lock_mode=rule.mode, lock_until=retain_until(rule, now))


def check_lock_attrs(bucket: BucketState, attrs: ObjectAttributes) -> None:
    """Lock settings on a write need a bucket with Object Lock (AWS: InvalidRequest)."""
    if (attrs.lock_mode is not None or attrs.legal_hold) and bucket.object_lock is None:
        raise ObjectLockMissing(bucket=bucket.name)


def write_lock(tx: Tx, seq: int, attrs: ObjectAttributes) -> None:
    """Store a version's lock as `attrs` has it (in the caller's transaction)."""
    tx.execute(
        "UPDATE versions SET lock_mode = ?, lock_until_ms = ?, legal_hold = ? WHERE seq = ?",
        (
            attrs.lock_mode.value if attrs.lock_mode else None,
            epoch_ms(attrs.lock_until) if attrs.lock_until is not None else None,
            int(attrs.legal_hold),
            seq,
        ),
    )
