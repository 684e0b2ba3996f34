"""What lifecycle rules ask of one key's versions (ferry/lifecycle/rules.py): AWS's day
rounding, precedence, NewerNoncurrentVersions, expired delete markers, transitions' sizes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ferry.lifecycle.rules import ActionKind, due, expiration_of, plan_key
from ferry.protocol.xml.lifecycle import (
    LifecycleConfiguration,
    LifecycleFilter,
    LifecycleRule,
    NoncurrentExpiration,
    NoncurrentTransition,
    Transition,
)
from ferry.store import Version
from ferry.store.records import Body, ObjectAttributes

DAY = 86400.0
T0 = datetime(2014, 1, 15, 10, 30, tzinfo=UTC)


def version(
    seq: int, *, at: datetime = T0, marker: bool = False, size: int = 10, latest: bool = False,
    storage_class: str = "STANDARD", tags: tuple[tuple[str, str], ...] = (), key: str = "k",
) -> Version:  # fmt: skip
    return Version(
        bucket="b", key=key, version_id=f"v{seq}", seq=seq, is_latest=latest,
        is_delete_marker=marker, last_modified=at, owner_id="o",
        attrs=ObjectAttributes(size=size, storage_class=storage_class, tags=tags), body=Body(),
    )  # fmt: skip


def config(
    *rules: LifecycleRule, min_size: str = "all_storage_classes_128K"
) -> LifecycleConfiguration:
    return LifecycleConfiguration(rules=rules, transition_min_size=min_size)


def plan(
    cfg: LifecycleConfiguration,
    versions: list[Version],
    now: datetime,
    *,
    versioned: bool = True,
    allowed=lambda v: True,
):  # type: ignore[no-untyped-def]
    return [(a.kind, a.version.version_id, a.storage_class) for a in plan_key(
        cfg, versions, versioned=versioned, now=now, day_s=DAY, allowed=allowed)]  # fmt: skip


def test_due_rounds_up_to_the_next_midnight_utc_as_aws_documents() -> None:
    # AWS: created 1/15/2014 10:30 UTC + 3 days → 1/18 10:30, rounded to 1/19 00:00 UTC.
    assert due(T0, 3, DAY) == datetime(2014, 1, 19, tzinfo=UTC)
    assert due(datetime(2014, 1, 15, tzinfo=UTC), 1, DAY) == datetime(2014, 1, 16, tzinfo=UTC)
    assert due(datetime(2014, 1, 15, 0, 0, 0, 500000, tzinfo=UTC), 0, 1.0) == datetime(
        2014, 1, 15, 0, 0, 1, tzinfo=UTC
    )


def test_current_version_expires_as_a_marker_when_versioned_and_a_deletion_when_not() -> None:
    cfg = config(LifecycleRule(rule_id="r", enabled=True, expiration_days=3))
    current = version(1, latest=True)
    assert plan(cfg, [current], datetime(2014, 1, 18, 23, tzinfo=UTC)) == []
    at = datetime(2014, 1, 19, tzinfo=UTC)
    assert plan(cfg, [current], at) == [(ActionKind.EXPIRE_CURRENT, "v1", None)]
    assert plan(cfg, [current], at, versioned=False) == [(ActionKind.EXPIRE_CURRENT, "v1", None)]
    assert expiration_of(cfg, current, DAY) == (at, "r")


def test_disabled_rules_and_other_prefixes_do_nothing() -> None:
    cfg = config(
        LifecycleRule(rule_id="off", enabled=False, expiration_days=1),
        LifecycleRule(rule_id="p", enabled=True, expiration_days=1,
                      filter=LifecycleFilter(prefix="logs/")),
    )  # fmt: skip
    assert plan(cfg, [version(1, latest=True)], T0 + timedelta(days=9)) == []
    assert expiration_of(cfg, version(1, latest=True), DAY) is None


def test_transition_takes_precedence_over_a_delete_marker_but_not_over_deletion() -> None:
    cfg = config(
        LifecycleRule(rule_id="r", enabled=True, expiration_days=5,
                      transitions=(Transition(storage_class="GLACIER", days=1),)),
    )  # fmt: skip
    big = version(1, latest=True, size=200_000)
    later = T0 + timedelta(days=9)
    assert plan(cfg, [big], later) == [(ActionKind.TRANSITION, "v1", "GLACIER")]
    assert plan(cfg, [big], later, versioned=False) == [(ActionKind.EXPIRE_CURRENT, "v1", None)]
    glacier = version(1, latest=True, size=200_000, storage_class="GLACIER")
    assert plan(cfg, [glacier], later) == [(ActionKind.EXPIRE_CURRENT, "v1", None)]


def test_small_objects_are_not_transitioned_unless_the_rule_sets_a_minimum_size() -> None:
    rule = LifecycleRule(rule_id="r", enabled=True,
                         transitions=(Transition(storage_class="GLACIER", days=1),))  # fmt: skip
    small = version(1, latest=True, size=10)
    later = T0 + timedelta(days=2)
    assert plan(config(rule), [small], later) == []
    assert plan(config(rule, min_size="varies_by_storage_class"), [small], later) == [
        (ActionKind.TRANSITION, "v1", "GLACIER")
    ]
    sized = LifecycleRule(
        rule_id="s", enabled=True, filter=LifecycleFilter(size_greater_than=1),
        transitions=(Transition(storage_class="GLACIER_IR", days=1),),
    )  # fmt: skip
    assert plan(config(sized), [small], later) == [(ActionKind.TRANSITION, "v1", "GLACIER_IR")]


def test_noncurrent_versions_go_except_the_newer_noncurrent_ones() -> None:
    rule = LifecycleRule(
        rule_id="r", enabled=True,
        noncurrent_expiration=NoncurrentExpiration(noncurrent_days=1, newer_noncurrent_versions=2),
    )  # fmt: skip
    # newest first: the current version, then noncurrent ones with 0, 1, 2, 3 newer ones
    versions = [version(5 - i, at=T0 - timedelta(hours=i), latest=i == 0) for i in range(5)]
    got = plan(config(rule), versions, T0 + timedelta(days=3))
    # newest first: [current, nc0, nc1, nc2, nc3]: nc2 and nc3 have two newer noncurrent ones
    assert got == [(ActionKind.DELETE_VERSION, versions[3].version_id, None),
                   (ActionKind.DELETE_VERSION, versions[4].version_id, None)]  # fmt: skip


def test_noncurrent_days_count_from_when_a_version_was_replaced() -> None:
    rule = LifecycleRule(rule_id="r", enabled=True,
                         noncurrent_expiration=NoncurrentExpiration(noncurrent_days=2))  # fmt: skip
    current = version(2, at=T0 + timedelta(days=10), latest=True)
    old = version(1, at=T0)
    assert plan(config(rule), [current, old], T0 + timedelta(days=11)) == []
    assert plan(config(rule), [current, old], T0 + timedelta(days=13)) == [
        (ActionKind.DELETE_VERSION, "v1", None)
    ]


def test_noncurrent_transition_to_the_coldest_due_class() -> None:
    rule = LifecycleRule(
        rule_id="r", enabled=True,
        noncurrent_transitions=(
            NoncurrentTransition(storage_class="GLACIER_IR", noncurrent_days=1),
            NoncurrentTransition(storage_class="DEEP_ARCHIVE", noncurrent_days=2),
        ),
    )  # fmt: skip
    versions = [version(2, latest=True), version(1, size=200_000)]
    assert plan(config(rule), versions, T0 + timedelta(days=5)) == [
        (ActionKind.TRANSITION, "v1", "DEEP_ARCHIVE")
    ]


def test_expired_delete_markers() -> None:
    marker_rule = LifecycleRule(rule_id="m", enabled=True, expired_object_delete_marker=True)
    lone = version(3, marker=True, latest=True)
    assert plan(config(marker_rule), [lone], T0) == [(ActionKind.DELETE_VERSION, "v3", None)]
    assert plan(config(marker_rule), [lone, version(1)], T0) == []  # not alone
    days_rule = LifecycleRule(rule_id="d", enabled=True, expiration_days=1)
    assert plan(config(days_rule), [lone], T0) == []
    assert plan(config(days_rule), [lone], T0 + timedelta(days=2)) == [
        (ActionKind.DELETE_VERSION, "v3", None)
    ]
    # a marker left alone by this very plan goes with its last noncurrent version
    both = LifecycleRule(rule_id="b", enabled=True, expired_object_delete_marker=True,
                         noncurrent_expiration=NoncurrentExpiration(noncurrent_days=1))  # fmt: skip
    got = plan(config(both), [lone, version(1)], T0 + timedelta(days=3))
    assert got == [(ActionKind.DELETE_VERSION, "v1", None), (ActionKind.DELETE_VERSION, "v3", None)]


def test_tag_rules_never_cover_delete_markers_and_sizes_bound_objects() -> None:
    tagged = LifecycleRule(rule_id="t", enabled=True, expiration_days=1,
                           filter=LifecycleFilter(tags=(("a", "1"),)))  # fmt: skip
    later = T0 + timedelta(days=3)
    assert plan(config(tagged), [version(1, latest=True, tags=(("a", "1"),))], later)
    assert plan(config(tagged), [version(1, latest=True, tags=(("a", "2"),))], later) == []
    sized = LifecycleRule(
        rule_id="s",
        enabled=True,
        expiration_days=1,
        filter=LifecycleFilter(size_greater_than=5, size_less_than=20),
    )
    assert plan(config(sized), [version(1, latest=True, size=10)], later)
    assert plan(config(sized), [version(1, latest=True, size=5)], later) == []
    assert plan(config(sized), [version(1, latest=True, size=20)], later) == []


def test_versions_lifecycle_may_not_touch_are_left_alone() -> None:
    cfg = config(
        LifecycleRule(
            rule_id="r",
            enabled=True,
            expiration_days=1,
            noncurrent_expiration=NoncurrentExpiration(noncurrent_days=1),
        )
    )
    versions = [version(2, latest=True), version(1)]
    later = T0 + timedelta(days=3)
    assert plan(cfg, versions, later, allowed=lambda v: v.version_id != "v1") == [
        (ActionKind.EXPIRE_CURRENT, "v2", None)
    ]
    assert plan(cfg, versions, later, allowed=lambda v: False) == []
