"""The Object Lock rules every deleter and lock change goes through (store/object_lock.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ferry.store import ObjectAttributes, ObjectLockMode, Retention, is_locked
from ferry.store.errors import InvalidArgument, ObjectLocked
from ferry.store.object_lock import check_retention_change, retain_until
from ferry.store.records import DefaultRetention

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
GOV, COMP = ObjectLockMode.GOVERNANCE, ObjectLockMode.COMPLIANCE


def locked(mode: ObjectLockMode, days: float = 1) -> ObjectAttributes:
    return ObjectAttributes(lock_mode=mode, lock_until=NOW + timedelta(days=days))


def test_a_version_is_locked_by_a_legal_hold_or_an_unexpired_retention() -> None:
    assert not is_locked(ObjectAttributes(), NOW)
    assert is_locked(ObjectAttributes(legal_hold=True), NOW)
    assert is_locked(locked(GOV), NOW)
    assert not is_locked(locked(COMP, days=-1), NOW)  # expired: deletable again


@pytest.mark.parametrize(
    ("current", "wanted", "bypass", "allowed"),
    [
        (COMP, Retention(mode=COMP, until=NOW + timedelta(days=2)), False, True),  # extend
        (COMP, Retention(mode=COMP, until=NOW + timedelta(hours=1)), True, False),  # shorten
        (COMP, Retention(), True, False),  # remove
        (COMP, Retention(mode=GOV, until=NOW + timedelta(days=9)), True, False),  # weaken
        (GOV, Retention(mode=GOV, until=NOW + timedelta(hours=1)), False, False),
        (GOV, Retention(mode=GOV, until=NOW + timedelta(hours=1)), True, True),
        (GOV, Retention(), True, True),
        (GOV, Retention(mode=COMP, until=NOW + timedelta(days=1)), False, True),  # stronger
    ],
)
def test_retention_changes(
    current: ObjectLockMode, wanted: Retention, bypass: bool, allowed: bool
) -> None:
    if allowed:
        check_retention_change(locked(current), wanted, NOW, bypass_governance=bypass)
    else:
        with pytest.raises(ObjectLocked):
            check_retention_change(locked(current), wanted, NOW, bypass_governance=bypass)


def test_a_retain_until_date_in_the_past_is_invalid() -> None:
    past = Retention(mode=GOV, until=NOW - timedelta(seconds=1))
    with pytest.raises(InvalidArgument):
        check_retention_change(ObjectAttributes(), past, NOW, bypass_governance=True)


def test_default_retention_in_years_keeps_the_calendar_date() -> None:
    leap = datetime(2028, 2, 29, tzinfo=UTC)
    assert retain_until(DefaultRetention(mode=GOV, years=1), leap) == datetime(
        2029, 2, 28, tzinfo=UTC
    )
    assert retain_until(DefaultRetention(mode=GOV, days=3), NOW) == NOW + timedelta(days=3)
