"""`ferry verify`: does each destination hold what the source's rules say it must? Pure.

The source and every destination are listed in key order (the admin API's version listing,
code-point order like ListObjectVersions); `group_by_key` and `merge_by_key` turn those
streams into one stream of keys with each side's versions of that key, so memory holds one
key's versions per side, however many versions the buckets hold. Within a key, versions pair
by version ID, which a replica keeps.

For one destination and one key:
- MISSING: a source version the rules send there (`rules.destinations_for`: filter, status,
  delete-marker replication, SSE-KMS opt-in, storage class) that the destination lacks. A
  version that is itself a replica is never expected (replicas are not replicated again).
- EXTRA: a destination version whose ID the source does not have, under a rule's filter:
  written at the destination, or a replica (of a version since deleted at the source, whose
  deletion AWS never replicates, or of another source bucket replicating there).
- MISMATCH: both hold the version ID but they differ: ETag, size, metadata (content headers
  and user metadata), tags, ACL (not compared under owner override, where the destination
  owner owns the replica), storage class (the rule's, else the source's), delete marker.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ferry.protocol.xml.replication import (
    ReplicationConfiguration,
    ReplicationRule,
    ReplicationRuleStatus,
)
from ferry.replication.errors import InvalidReplicationConfiguration
from ferry.replication.rules import (
    ReplicationTarget,
    destination_bucket_name,
    destinations_for,
    has_tag_filter,
    matches,
    rule_prefix,
)
from ferry.replication.version_facts import VersionFacts
from ferry.store import ReplicationStatus

DEFAULT_SHOWN_DIFFERENCES = 20
# MISMATCH fields a replica write of the same version ID brings back in line (the
# destination updates tags and ACL of a replica it already holds); the others need the
# destination's version replaced.
FIELDS_FIXED_IN_PLACE = frozenset({"tags", "acl"})


class DifferenceKind(StrEnum):
    MISSING = "MISSING"
    EXTRA = "EXTRA"
    MISMATCH = "MISMATCH"


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    kind: DifferenceKind
    destination_bucket: str
    key: str
    version_id: str
    is_delete_marker: bool  # of the version the difference is about (the source's if both)
    rule_id: str | None = None  # the rule that sends the version there (None: EXTRA)
    fields: tuple[str, ...] = ()  # MISMATCH: what differs
    detail: str = ""
    # EXTRA: the destination's version is itself a replica, of a version the source deleted
    # (a version delete is never replicated) or of another bucket replicating there
    is_replica: bool = False

    @property
    def is_fixed_in_place(self) -> bool:
        """A MISMATCH that re-replicating the version repairs without replacing it."""
        return self.kind is DifferenceKind.MISMATCH and set(self.fields) <= FIELDS_FIXED_IN_PLACE


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyScope:
    """What one verify run compares: the source's rules (one, or all) and their destinations."""

    source_bucket: str
    configuration: ReplicationConfiguration
    rules_by_destination: Mapping[str, tuple[ReplicationRule, ...]]
    prefix: str  # every rule in scope selects only keys under it: list no more than that

    @property
    def destinations(self) -> list[str]:
        return sorted(self.rules_by_destination)

    def rule_ids(self, destination: str) -> set[str]:
        return {rule.id or "" for rule in self.rules_by_destination[destination]}


def verify_scope(
    source_bucket: str, configuration: ReplicationConfiguration, rule_id: str | None = None
) -> VerifyScope:
    """The Enabled rules `ferry verify --rule` names (all when None);
    InvalidReplicationConfiguration when there is none."""
    named = [r for r in configuration.rules if rule_id is None or (r.id or "") == rule_id]
    if not named:
        raise InvalidReplicationConfiguration(f"The bucket has no replication rule {rule_id}.")
    rules = [r for r in named if r.status is ReplicationRuleStatus.ENABLED]
    if not rules:
        raise InvalidReplicationConfiguration(
            f"Rule {rule_id} is Disabled: nothing to verify."
            if rule_id is not None
            else "The bucket has no Enabled replication rule: nothing to verify."
        )
    by_destination: dict[str, list[ReplicationRule]] = {}
    for rule in rules:
        by_destination.setdefault(destination_bucket_name(rule.destination.bucket), []).append(rule)
    return VerifyScope(
        source_bucket=source_bucket,
        configuration=configuration,
        rules_by_destination={d: tuple(r) for d, r in by_destination.items()},
        prefix=_common_prefix([rule_prefix(r) for r in rules]),
    )


def _common_prefix(prefixes: Sequence[str]) -> str:
    first, last = min(prefixes), max(prefixes)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


# ----------------------------------------------------------------------------------- streams


def group_by_key(versions: Iterable[VersionFacts]) -> Iterator[tuple[str, list[VersionFacts]]]:
    """A key-ordered version stream as (key, its versions)."""
    current: str | None = None
    group: list[VersionFacts] = []
    for version in versions:
        if version.key != current:
            if current is not None:
                yield current, group
            current, group = version.key, []
        group.append(version)
    if current is not None:
        yield current, group


def merge_by_key(
    streams: Mapping[str, Iterator[tuple[str, list[VersionFacts]]]],
) -> Iterator[tuple[str, dict[str, list[VersionFacts]]]]:
    """Key-grouped streams (by name: the source, each destination) as one stream of keys,
    each with every stream's versions of it (absent names: none)."""
    heads: list[tuple[str, str, list[VersionFacts]]] = []
    for name, stream in streams.items():
        for key, versions in stream:
            heads.append((key, name, versions))
            break
    heapq.heapify(heads)
    while heads:
        key = heads[0][0]
        found: dict[str, list[VersionFacts]] = {}
        while heads and heads[0][0] == key:
            _, name, versions = heapq.heappop(heads)
            found[name] = versions
            for next_key, next_versions in streams[name]:
                heapq.heappush(heads, (next_key, name, next_versions))
                break
        yield key, found


# -------------------------------------------------------------------------------- comparison


def compare_key(
    scope: VerifyScope,
    key: str,
    source: Sequence[VersionFacts],
    destinations: Mapping[str, Sequence[VersionFacts]],
) -> list[Difference]:
    """Every difference of one key, destination by destination (in scope order)."""
    found: list[Difference] = []
    for destination in scope.destinations:
        found += _compare_destination(
            scope, destination, key, source, destinations.get(destination, ())
        )
    return found


def _compare_destination(
    scope: VerifyScope,
    destination: str,
    key: str,
    source: Sequence[VersionFacts],
    replicas: Sequence[VersionFacts],
) -> list[Difference]:
    at_destination = {v.version_id: v for v in replicas}
    source_ids = {v.version_id for v in source}
    rule_ids = scope.rule_ids(destination)
    found: list[Difference] = []
    for version in source:
        target = expected_target(scope.configuration, version, destination)
        if target is not None and target.rule_id not in rule_ids:
            target = None  # another rule's (not verified in this run)
        replica = at_destination.get(version.version_id)
        if replica is None:
            if target is not None:
                status = version.replication_status or "none"
                found.append(_difference(DifferenceKind.MISSING, destination, version, target,
                                         detail=f"source replication status {status}"))  # fmt: skip
            continue
        fields = mismatched_fields(version, replica, target)
        if fields:
            found.append(_difference(DifferenceKind.MISMATCH, destination, version, target,
                                     fields=fields))  # fmt: skip
    for replica in replicas:
        if replica.version_id in source_ids:
            continue
        rules = scope.rules_by_destination[destination]
        if not any(_selects(rule, replica) for rule in rules):
            continue
        is_replica = replica.replication_status is ReplicationStatus.REPLICA
        if is_replica:
            detail = "a replica the source does not have (deleted there, or another source's)"
        else:
            detail = "written at the destination, not in the source bucket"
        found.append(_difference(DifferenceKind.EXTRA, destination, replica, None, detail=detail,
                                 is_replica=is_replica))  # fmt: skip
    return found


def _difference(
    kind: DifferenceKind,
    destination: str,
    version: VersionFacts,
    target: ReplicationTarget | None,
    *,
    fields: tuple[str, ...] = (),
    detail: str = "",
    is_replica: bool = False,
) -> Difference:
    return Difference(
        kind=kind, destination_bucket=destination, key=version.key,
        version_id=version.version_id, is_delete_marker=version.is_delete_marker,
        rule_id=target.rule_id if target is not None else None, fields=fields, detail=detail,
        is_replica=is_replica,
    )  # fmt: skip


def expected_target(
    configuration: ReplicationConfiguration, version: VersionFacts, destination: str
) -> ReplicationTarget | None:
    """The rule that sends this source version to `destination`, as the planner decides
    (None: it does not go there; a replica never goes anywhere)."""
    if version.replication_status is ReplicationStatus.REPLICA:
        return None
    targets = destinations_for(
        configuration, key=version.key, tags=dict(version.tags),
        is_delete_marker=version.is_delete_marker, storage_class=version.storage_class,
        sse_kms=version.sse_kms,
    )  # fmt: skip
    return next((t for t in targets if t.bucket == destination), None)


def _selects(rule: ReplicationRule, version: VersionFacts) -> bool:
    """Would the rule's filter select this destination version (a delete marker has no tags:
    only a rule without a tag filter selects it)?"""
    if version.is_delete_marker and has_tag_filter(rule):
        return False
    return matches(rule, key=version.key, tags=dict(version.tags))


def mismatched_fields(
    source: VersionFacts, replica: VersionFacts, target: ReplicationTarget | None
) -> tuple[str, ...]:
    if source.is_delete_marker != replica.is_delete_marker:
        return ("delete_marker",)
    if source.is_delete_marker:
        return ()
    storage_class = (target.storage_class if target else None) or source.storage_class
    compared = {
        "etag": (source.etag, replica.etag),
        "size": (source.size, replica.size),
        "metadata": (
            sorted(source.content_headers) + sorted(source.user_metadata),
            sorted(replica.content_headers) + sorted(replica.user_metadata),
        ),
        "tags": (sorted(source.tags), sorted(replica.tags)),
        "storage_class": (storage_class, replica.storage_class),
    }
    if target is None or not target.owner_override:
        compared["acl"] = (sorted(source.acl), sorted(replica.acl))
    return tuple(name for name, (wanted, held) in compared.items() if wanted != held)


# ------------------------------------------------------------------------------------ tally


@dataclass(slots=True, kw_only=True)
class VerifyTally:
    """Counts and the first `shown` differences of a run; a checkpoint carries it across."""

    shown: int = DEFAULT_SHOWN_DIFFERENCES
    keys: int = 0
    source_versions: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # destination → kind → n
    first: list[Difference] = field(default_factory=list)

    def add_key(self, source_versions: int, differences: Iterable[Difference]) -> None:
        self.keys += 1
        self.source_versions += source_versions
        for difference in differences:
            by_kind = self.counts.setdefault(difference.destination_bucket, {})
            by_kind[difference.kind.value] = by_kind.get(difference.kind.value, 0) + 1
            if len(self.first) < self.shown:
                self.first.append(difference)

    @property
    def total(self) -> int:
        return sum(sum(by_kind.values()) for by_kind in self.counts.values())

    @property
    def agrees(self) -> bool:
        return self.total == 0
