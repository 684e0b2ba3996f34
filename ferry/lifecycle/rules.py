"""What a bucket's lifecycle rules ask of one key's versions now (pure: no I/O, no clock).

AWS's semantics (docs/lifecycle.md):
- An object is due `Days` after its creation rounded up to the next day boundary (midnight
  UTC when a day is 86 400 s), or on `Date`. A noncurrent version's days count from when it
  became noncurrent: the creation of the version that replaced it.
- Current version: expiration adds a delete marker (versioning enabled or suspended) or
  deletes the object (never versioned). Permanent deletion takes precedence over transition,
  and transition over creating a delete marker.
- A delete marker that is the key's only version (an expired object delete marker) is
  removed by a rule with ExpiredObjectDeleteMarker, or by an Expiration Days rule once the
  marker is that old.
- Noncurrent versions go once they have been noncurrent NoncurrentDays, except the
  NewerNoncurrentVersions newest noncurrent ones.
- Transitions only go down the storage-class waterfall, and skip objects under 128 KiB unless
  the rule's filter sets a minimum size (x-amz-transition-default-minimum-object-size).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ferry.core.clock import from_epoch_ms
from ferry.protocol.xml.lifecycle import (
    DEFAULT_MIN_SIZE,
    LifecycleConfiguration,
    LifecycleRule,
)
from ferry.store import Pairs, Version

SMALL_OBJECT_BYTES = 128 * 1024
# Warmest first: a transition never moves a version back up.
STORAGE_CLASS_ORDER = (
    "STANDARD", "REDUCED_REDUNDANCY", "INTELLIGENT_TIERING", "STANDARD_IA", "ONEZONE_IA",
    "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE",
)  # fmt: skip
ARCHIVE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})


class ActionKind(StrEnum):
    EXPIRE_CURRENT = "EXPIRE_CURRENT"  # delete marker, or deletion in an unversioned bucket
    DELETE_VERSION = "DELETE_VERSION"  # noncurrent version or expired delete marker, for good
    TRANSITION = "TRANSITION"


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    kind: ActionKind
    version: Version
    rule_id: str
    storage_class: str | None = None  # TRANSITION: the class to move to


def due(start: datetime, days: int, day_s: float) -> datetime:
    """`days` after `start`, rounded up to the next day boundary (AWS: midnight UTC)."""
    day_ms = day_s * 1000
    end_ms = start.timestamp() * 1000 + days * day_ms
    return from_epoch_ms(int(math.ceil(end_ms / day_ms) * day_ms))


def rule_applies(rule: LifecycleRule, key: str, tags: Pairs, size: int, *, marker: bool) -> bool:
    """Does `rule` (enabled) cover this version? Delete markers have no tags and no size: a
    rule with a tag filter never covers one, and size conditions do not apply to them."""
    if not rule.enabled:
        return False
    f = rule.filter
    if not key.startswith(f.key_prefix):
        return False
    if f.tags:
        held = dict(tags)
        if marker or any(held.get(k) != v for k, v in f.tags):
            return False
    if marker:
        return True
    if f.size_greater_than is not None and not size > f.size_greater_than:
        return False
    return f.size_less_than is None or size < f.size_less_than


def _applies(rule: LifecycleRule, version: Version) -> bool:
    return rule_applies(
        rule, version.key, version.attrs.tags, version.size, marker=version.is_delete_marker
    )


def expiration_of(
    config: LifecycleConfiguration, version: Version, day_s: float
) -> tuple[datetime, str] | None:
    """When the current object `version` expires, and by which rule (x-amz-expiration)."""
    found: tuple[datetime, str] | None = None
    for rule in config.rules:
        if not _applies(rule, version):
            continue
        when = None
        if rule.expiration_days is not None:
            when = due(version.last_modified, rule.expiration_days, day_s)
        elif rule.expiration_date is not None:
            when = rule.expiration_date
        if when is not None and (found is None or when < found[0]):
            found = (when, rule.rule_id)
    return found


def _rank(storage_class: str) -> int:
    try:
        return STORAGE_CLASS_ORDER.index(storage_class)
    except ValueError:
        return 0  # classes outside the waterfall (OUTPOSTS, …) count as the warmest


def _may_transition(
    config: LifecycleConfiguration, rule: LifecycleRule, version: Version, target: str
) -> bool:
    if _rank(target) <= _rank(version.attrs.storage_class) or version.is_delete_marker:
        return False
    if version.size >= SMALL_OBJECT_BYTES or rule.filter.size_greater_than is not None:
        return True
    return config.transition_min_size != DEFAULT_MIN_SIZE and target in ARCHIVE_CLASSES


def _current_transition(
    config: LifecycleConfiguration, version: Version, now: datetime, day_s: float
) -> Action | None:
    best: Action | None = None
    for rule in config.rules:
        if not _applies(rule, version):
            continue
        for t in rule.transitions:
            when = t.date if t.date is not None else due(version.last_modified, t.days or 0, day_s)
            if when > now or not _may_transition(config, rule, version, t.storage_class):
                continue
            if best is None or _rank(t.storage_class) > _rank(best.storage_class or ""):
                best = Action(
                    kind=ActionKind.TRANSITION, version=version, rule_id=rule.rule_id,
                    storage_class=t.storage_class,
                )  # fmt: skip
    return best


def _current_expiration(
    config: LifecycleConfiguration, version: Version, now: datetime, day_s: float
) -> Action | None:
    found = expiration_of(config, version, day_s)
    if found is None or found[0] > now:
        return None
    return Action(kind=ActionKind.EXPIRE_CURRENT, version=version, rule_id=found[1])


def _lone_marker(
    config: LifecycleConfiguration, marker: Version, now: datetime, day_s: float
) -> Action | None:
    for rule in config.rules:
        if not _applies(rule, marker):
            continue
        old_enough = (
            rule.expiration_days is not None
            and due(marker.last_modified, rule.expiration_days, day_s) <= now
        )
        if rule.expired_object_delete_marker or old_enough:
            return Action(kind=ActionKind.DELETE_VERSION, version=marker, rule_id=rule.rule_id)
    return None


def _noncurrent(
    config: LifecycleConfiguration,
    version: Version,
    since: datetime,
    newer: int,
    now: datetime,
    day_s: float,
) -> Action | None:
    """`version` noncurrent since `since`, with `newer` noncurrent versions newer than it."""
    transition: Action | None = None
    for rule in config.rules:
        if not _applies(rule, version):
            continue
        expiry = rule.noncurrent_expiration
        if (
            expiry is not None
            and due(since, expiry.noncurrent_days, day_s) <= now
            and newer >= (expiry.newer_noncurrent_versions or 0)
        ):
            return Action(kind=ActionKind.DELETE_VERSION, version=version, rule_id=rule.rule_id)
        for t in rule.noncurrent_transitions:
            if (
                due(since, t.noncurrent_days, day_s) <= now
                and newer >= (t.newer_noncurrent_versions or 0)
                and _may_transition(config, rule, version, t.storage_class)
                and (
                    transition is None
                    or _rank(t.storage_class) > _rank(transition.storage_class or "")
                )
            ):
                transition = Action(
                    kind=ActionKind.TRANSITION, version=version, rule_id=rule.rule_id,
                    storage_class=t.storage_class,
                )  # fmt: skip
    return transition


def plan_key(
    config: LifecycleConfiguration,
    versions: Sequence[Version],
    *,
    versioned: bool,
    now: datetime,
    day_s: float,
    allowed: Callable[[Version], bool],
) -> list[Action]:
    """What to do now to one key, whose `versions` are given newest first. `versioned`: the
    bucket's versioning is (or was) on. `allowed(version)`: whether lifecycle may act on a
    version at all now (`eligibility.may_expire`)."""
    if not versions:
        return []
    actions: list[Action] = []
    current = versions[0]
    for index in range(1, len(versions)):
        version = versions[index]
        if not allowed(version):
            continue
        action = _noncurrent(
            config, version, versions[index - 1].last_modified, index - 1, now, day_s
        )
        if action is not None:
            actions.append(action)
    if not allowed(current):
        return actions
    if current.is_delete_marker:
        deleted = {a.version.seq for a in actions if a.kind is ActionKind.DELETE_VERSION}
        if all(v.seq in deleted for v in versions[1:]):  # alone, or about to be
            marker = _lone_marker(config, current, now, day_s)
            if marker is not None:
                actions.append(marker)
        return actions
    expire = _current_expiration(config, current, now, day_s)
    if expire is not None and not versioned:
        return [*actions, expire]  # permanent deletion takes precedence over transition
    transition = _current_transition(config, current, now, day_s)
    if transition is not None:
        return [*actions, transition]  # transition takes precedence over a delete marker
    return [*actions, expire] if expire is not None else actions
