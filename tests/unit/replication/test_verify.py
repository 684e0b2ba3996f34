"""`ferry verify`'s comparison: key-ordered streams merged, and each kind of difference."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from ferry.protocol.xml.replication import (
    DeleteMarkerReplication,
    OwnerOverride,
    ReplicationConfiguration,
    ReplicationDestination,
    ReplicationFilter,
    ReplicationRule,
    ReplicationRuleStatus,
)
from ferry.protocol.xml.tagging import Tag
from ferry.replication.errors import InvalidReplicationConfiguration
from ferry.replication.verify import (
    Difference,
    DifferenceKind,
    VerifyTally,
    compare_key,
    group_by_key,
    merge_by_key,
    verify_scope,
)
from ferry.replication.version_facts import (
    VersionFacts,
    parse_version_facts,
    render_version_facts,
)
from ferry.store import ReplicationStatus

ON = ReplicationRuleStatus.ENABLED
OWNER = ("CanonicalUser", "owner", "FULL_CONTROL")


def rule(
    destination: str = "dst",
    *,
    rule_id: str = "r",
    prefix: str = "",
    tag: Tag | None = None,
    markers: bool = True,
    storage_class: str | None = None,
    owner_override: bool = False,
    priority: int = 1,
) -> ReplicationRule:
    return ReplicationRule(
        id=rule_id,
        priority=priority,
        filter=ReplicationFilter(tag=tag) if tag else ReplicationFilter(prefix=prefix),
        status=ON,
        destination=ReplicationDestination(
            bucket=f"arn:aws:s3:::{destination}",
            account="222233334444" if owner_override else None,
            storage_class=storage_class,
            owner_override=OwnerOverride.DESTINATION if owner_override else None,
        ),
        delete_marker_replication=DeleteMarkerReplication(
            status=ON if markers else ReplicationRuleStatus.DISABLED
        ),
    )


def config(*rules: ReplicationRule) -> ReplicationConfiguration:
    return ReplicationConfiguration(role="arn:aws:iam::1:role/r", rules=rules or (rule(),))


def version(key: str = "k", version_id: str = "v1", **changes: object) -> VersionFacts:
    facts = VersionFacts(
        key=key,
        version_id=version_id,
        is_delete_marker=False,
        etag="e",
        size=1,
        user_metadata=(("a", "1"),),
        acl=(OWNER,),
        replication_status=ReplicationStatus.COMPLETED,
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def replica(source: VersionFacts, **changes: object) -> VersionFacts:
    return replace(source, replication_status=ReplicationStatus.REPLICA, **changes)  # type: ignore[arg-type]


def differences(
    source: list[VersionFacts],
    destination: list[VersionFacts],
    configuration: ReplicationConfiguration | None = None,
) -> list[tuple[DifferenceKind, str, tuple[str, ...]]]:
    scope = verify_scope("src", configuration or config())
    found = compare_key(scope, "k", source, {"dst": destination})
    return [(d.kind, d.version_id, d.fields) for d in found]


def test_a_faithful_replica_agrees() -> None:
    source = version()
    assert differences([source], [replica(source)]) == []


def test_a_version_the_destination_lacks_is_missing() -> None:
    assert differences([version()], []) == [(DifferenceKind.MISSING, "v1", ())]


def test_a_version_only_the_destination_has_is_extra() -> None:
    assert differences([], [version(version_id="v9")]) == [(DifferenceKind.EXTRA, "v9", ())]


def test_each_field_that_differs_is_named() -> None:
    source = version()
    changed = replica(
        source,
        etag="x",
        size=2,
        user_metadata=(),
        tags=(("t", "1"),),
        acl=(),
        storage_class="GLACIER_IR",
    )
    assert differences([source], [changed]) == [
        (
            DifferenceKind.MISMATCH,
            "v1",
            ("etag", "size", "metadata", "tags", "storage_class", "acl"),
        ),
    ]


def test_a_delete_marker_against_an_object_is_a_delete_marker_mismatch() -> None:
    source = version(is_delete_marker=True)
    assert differences([source], [replica(source, is_delete_marker=False)]) == [
        (DifferenceKind.MISMATCH, "v1", ("delete_marker",))
    ]


def test_delete_markers_are_expected_only_where_the_rule_replicates_them() -> None:
    marker = version(is_delete_marker=True)
    assert differences([marker], []) == [(DifferenceKind.MISSING, "v1", ())]
    assert differences([marker], [], config(rule(markers=False))) == []


def test_the_rule_storage_class_is_the_expected_one() -> None:
    source = version()
    configuration = config(rule(storage_class="STANDARD_IA"))
    assert (
        differences([source], [replica(source, storage_class="STANDARD_IA")], configuration) == []
    )
    assert differences([source], [replica(source)], configuration) == [
        (DifferenceKind.MISMATCH, "v1", ("storage_class",))
    ]


def test_owner_override_replicas_keep_their_own_acl() -> None:
    source = version()
    configuration = config(rule(owner_override=True))
    assert differences([source], [replica(source, acl=())], configuration) == []


def test_replicas_at_the_source_are_not_expected_further() -> None:
    assert differences([version(replication_status=ReplicationStatus.REPLICA)], []) == []


def test_versions_outside_the_filter_are_neither_missing_nor_extra() -> None:
    configuration = config(rule(prefix="docs/"))
    assert differences([version()], [version(version_id="v9")], configuration) == []
    tagged = config(rule(tag=Tag(key="env", value="prod")))
    assert differences([version()], [], tagged) == []
    assert differences([version(tags=(("env", "prod"),))], [], tagged) == [
        (DifferenceKind.MISSING, "v1", ())
    ]


def test_another_rule_s_destination_is_left_to_its_own_run() -> None:
    configuration = config(rule("dst", rule_id="a"), rule("other", rule_id="b", priority=2))
    scope = verify_scope("src", configuration, "a")
    assert scope.destinations == ["dst"]
    assert compare_key(scope, "k", [version()], {}) == [
        Difference(
            kind=DifferenceKind.MISSING,
            destination_bucket="dst",
            key="k",
            version_id="v1",
            is_delete_marker=False,
            rule_id="a",
            detail="source replication status COMPLETED",
        ),
    ]


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(InvalidReplicationConfiguration):
        verify_scope("src", config(), "nope")


def test_scope_lists_only_under_the_rules_common_prefix() -> None:
    configuration = config(
        rule(rule_id="a", prefix="logs/2024/"),
        rule("o", rule_id="b", prefix="logs/2025/", priority=2),
    )
    assert verify_scope("src", configuration).prefix == "logs/202"


def test_merge_pairs_keys_across_streams_in_order() -> None:
    source = [version("a"), version("a", "v2"), version("c")]
    destination = [version("b"), version("c")]
    merged = list(merge_by_key({"": group_by_key(source), "dst": group_by_key(destination)}))
    assert [(key, sorted(found), sum(map(len, found.values()))) for key, found in merged] == [
        ("a", [""], 2),
        ("b", ["dst"], 1),
        ("c", ["", "dst"], 2),
    ]


def test_merge_of_nothing_is_nothing() -> None:
    assert list(merge_by_key({"": group_by_key([]), "dst": group_by_key([])})) == []


def test_tally_counts_every_difference_and_keeps_the_first() -> None:
    tally = VerifyTally(shown=1)
    one = Difference(
        kind=DifferenceKind.EXTRA,
        destination_bucket="dst",
        key="k",
        version_id="v",
        is_delete_marker=False,
    )
    tally.add_key(2, [one, replace(one, kind=DifferenceKind.MISSING)])
    tally.add_key(1, [])
    assert (tally.keys, tally.source_versions, tally.total, tally.agrees) == (2, 3, 2, False)
    assert tally.counts == {"dst": {"EXTRA": 1, "MISSING": 1}}
    assert tally.first == [one]
    assert VerifyTally().agrees


def test_fixed_in_place_means_tags_and_acl_only() -> None:
    base = Difference(
        kind=DifferenceKind.MISMATCH,
        destination_bucket="d",
        key="k",
        version_id="v",
        is_delete_marker=False,
        fields=("tags", "acl"),
    )
    assert base.is_fixed_in_place
    assert not replace(base, fields=("tags", "etag")).is_fixed_in_place
    assert not replace(base, kind=DifferenceKind.EXTRA).is_fixed_in_place


def test_version_facts_survive_their_json() -> None:
    facts = version(tags=(("t", "1"),), content_headers=(("content-type", "text/plain"),))
    assert parse_version_facts(render_version_facts(facts)) == facts


def test_merging_streams_holds_one_key_per_side_not_the_bucket() -> None:
    """Bounded memory: 10,000 versions a side pass through in a fraction of what a list of
    them takes (megabytes); the CLI feeds these generators a page at a time."""
    import tracemalloc

    count = 10_000
    scope = verify_scope("src", config())

    def side(status: ReplicationStatus) -> Iterator[VersionFacts]:
        for n in range(count):
            yield version(f"key-{n:07}", f"v{n}", replication_status=status)

    tracemalloc.start()
    try:
        merged = merge_by_key(
            {
                "": group_by_key(side(ReplicationStatus.COMPLETED)),
                "dst": group_by_key(side(ReplicationStatus.REPLICA)),
            }
        )
        tally = VerifyTally()
        for key, found in merged:
            tally.add_key(len(found.get("", [])), compare_key(scope, key, found.get("", []), found))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tally.keys, tally.source_versions, tally.total) == (count, count, 0)
    assert peak < 256 * 1024


def test_an_extra_replica_is_told_apart_from_a_version_written_there() -> None:
    scope = verify_scope("src", config())
    written, kept = (
        version(version_id="w"),
        version(version_id="r", replication_status=ReplicationStatus.REPLICA),
    )
    found = {d.version_id: d for d in compare_key(scope, "k", [], {"dst": [written, kept]})}
    assert (found["w"].is_replica, found["r"].is_replica) == (False, True)
    assert found["w"].detail == "written at the destination, not in the source bucket"


def test_disabled_rules_are_not_verified() -> None:
    off = replace(rule(), status=ReplicationRuleStatus.DISABLED)
    with pytest.raises(InvalidReplicationConfiguration, match="Disabled"):
        verify_scope("src", config(off), "r")
    with pytest.raises(InvalidReplicationConfiguration, match="no Enabled"):
        verify_scope("src", config(off))
    assert verify_scope("src", config(off, rule("o", rule_id="on"))).destinations == ["o"]
