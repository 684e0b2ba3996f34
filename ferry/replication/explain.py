"""`ferry explain`: for a version about to be written (key, tags), which rules select it,
which destinations it would reach, whether its delete markers would follow, and why not where
not. Pure. The answer is `rules.destinations_for`'s, the planner's own evaluation; the
reasons are read off the same predicates (`rules.matches`, status, priority, the
delete-marker and SSE-KMS conditions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ferry.protocol.xml.replication import (
    ReplicationConfiguration,
    ReplicationRule,
    ReplicationRuleStatus,
)
from ferry.replication.rules import (
    UNREPLICATED_STORAGE_CLASSES,
    ReplicationTarget,
    SchemaVersion,
    destination_bucket_name,
    destinations_for,
    has_tag_filter,
    matches,
    rule_prefix,
    rule_schema,
)

_ENABLED = ReplicationRuleStatus.ENABLED


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleVerdict:
    rule_id: str
    destination_bucket: str
    priority: int | None
    selects: bool  # its filter and status select the version (it may still be outranked)
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationVerdict:
    bucket: str
    rule_id: str | None  # the rule that sends new versions there (None: none does)
    reached: bool
    reason: str
    delete_markers: bool  # a delete marker of the key would be replicated there
    delete_marker_reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    bucket: str
    key: str
    tags: Mapping[str, str]
    rules: tuple[RuleVerdict, ...]
    destinations: tuple[DestinationVerdict, ...]


def explain(
    bucket: str,
    config: ReplicationConfiguration,
    *,
    key: str,
    tags: Mapping[str, str],
    storage_class: str = "STANDARD",
    sse_kms: bool = False,
) -> Explanation:
    objects = {
        t.bucket: t
        for t in destinations_for(
            config,
            key=key,
            tags=tags,
            is_delete_marker=False,
            storage_class=storage_class,
            sse_kms=sse_kms,
        )
    }
    markers = {
        t.bucket: t
        for t in destinations_for(
            config,
            key=key,
            tags={},
            is_delete_marker=True,
            storage_class=storage_class,
            sse_kms=False,
        )
    }
    verdicts = tuple(
        _rule_verdict(rule, objects, key=key, tags=tags, sse_kms=sse_kms) for rule in config.rules
    )
    destinations = []
    for name in dict.fromkeys(destination_bucket_name(r.destination.bucket) for r in config.rules):
        target, marker = objects.get(name), markers.get(name)
        if target is not None:
            reason = f"rule {target.rule_id} selects it"
        elif storage_class in UNREPLICATED_STORAGE_CLASSES:
            reason = f"versions in {storage_class} are never replicated"
        else:
            reason = "no enabled rule for it selects the version"
        destinations.append(
            DestinationVerdict(
                bucket=name,
                rule_id=target.rule_id if target else None,
                reached=target is not None,
                reason=reason,
                delete_markers=marker is not None,
                delete_marker_reason=_marker_reason(
                    config, name, marker.rule_id if marker else None, key=key
                ),
            )
        )
    return Explanation(
        bucket=bucket, key=key, tags=dict(tags), rules=verdicts, destinations=tuple(destinations)
    )


def _rule_verdict(
    rule: ReplicationRule,
    winners: Mapping[str, ReplicationTarget],
    *,
    key: str,
    tags: Mapping[str, str],
    sse_kms: bool,
) -> RuleVerdict:
    destination = destination_bucket_name(rule.destination.bucket)
    rule_id = rule.id or ""

    def verdict(selects: bool, reason: str) -> RuleVerdict:
        return RuleVerdict(
            rule_id=rule_id,
            destination_bucket=destination,
            priority=rule.priority,
            selects=selects,
            reason=reason,
        )

    if rule.status is not _ENABLED:
        return verdict(False, "the rule is Disabled")
    if not matches(rule, key=key, tags=tags):
        return verdict(False, _mismatch(rule, key=key, tags=tags))
    criteria = rule.source_selection_criteria
    if sse_kms and (criteria is None or criteria.sse_kms_encrypted_objects is not _ENABLED):
        return verdict(
            False, "SSE-KMS versions need SourceSelectionCriteria/SseKmsEncryptedObjects Enabled"
        )
    winner = winners.get(destination)
    if winner is not None and winner.rule_id != rule_id:
        return verdict(
            True, f"selects it, but rule {winner.rule_id} has a higher priority for {destination}"
        )
    return verdict(True, "selects it")


def _mismatch(rule: ReplicationRule, *, key: str, tags: Mapping[str, str]) -> str:
    prefix = rule_prefix(rule)
    if not key.startswith(prefix):
        return f"key does not start with prefix {prefix!r}"
    found = rule.filter
    wanted = []
    if found is not None and found.tag is not None:
        wanted = [(found.tag.key, found.tag.value)]
    elif found is not None and found.and_ is not None:
        wanted = [(t.key, t.value) for t in found.and_.tags]
    missing = [f"{k}={v}" for k, v in wanted if tags.get(k) != v]
    return f"the version lacks tag {', '.join(missing)}"


def _marker_reason(
    config: ReplicationConfiguration, destination: str, rule_id: str | None, *, key: str
) -> str:
    if rule_id is not None:
        rule = next(r for r in config.rules if (r.id or "") == rule_id)
        if rule_schema(rule) is SchemaVersion.V1:
            return f"rule {rule_id} (V1 schema) always replicates delete markers"
        return f"rule {rule_id} has DeleteMarkerReplication Enabled"
    candidates = [
        rule
        for rule in config.rules
        if destination_bucket_name(rule.destination.bucket) == destination
        and rule.status is _ENABLED
        and key.startswith(rule_prefix(rule))
    ]
    if not candidates:
        return "no enabled rule for it selects the key"
    best = max(candidates, key=lambda r: r.priority or 0)
    if has_tag_filter(best) and all(has_tag_filter(r) for r in candidates):
        return f"rule {best.id or ''} has a tag filter: delete markers carry no tags"
    return f"rule {best.id or ''} has DeleteMarkerReplication Disabled"
