"""`ferry explain`: which rules select a new version, where it goes, and why not."""

from __future__ import annotations

from ferry.protocol.xml.replication import (
    DeleteMarkerReplication,
    ReplicationAnd,
    ReplicationConfiguration,
    ReplicationDestination,
    ReplicationFilter,
    ReplicationRule,
    ReplicationRuleStatus,
    SourceSelectionCriteria,
)
from ferry.protocol.xml.tagging import Tag
from ferry.replication.explain import explain

ON, OFF = ReplicationRuleStatus.ENABLED, ReplicationRuleStatus.DISABLED


def rule(
    rule_id: str,
    destination: str,
    *,
    priority: int = 1,
    filter_: ReplicationFilter | None = None,
    markers: bool = False,
    status: ReplicationRuleStatus = ON,
    sse_kms: bool = False,
) -> ReplicationRule:
    return ReplicationRule(
        id=rule_id,
        priority=priority,
        filter=filter_ or ReplicationFilter(prefix=""),
        status=status,
        destination=ReplicationDestination(bucket=f"arn:aws:s3:::{destination}"),
        delete_marker_replication=DeleteMarkerReplication(status=ON if markers else OFF),
        source_selection_criteria=SourceSelectionCriteria(sse_kms_encrypted_objects=ON)
        if sse_kms
        else None,
    )


def answer(*rules: ReplicationRule, key: str = "docs/a", **kwargs: object) -> dict[str, object]:
    config = ReplicationConfiguration(role="arn:aws:iam::1:role/r", rules=rules)
    result = explain("src", config, key=key, **kwargs)  # type: ignore[arg-type]
    return {
        "rules": {r.rule_id: (r.selects, r.reason) for r in result.rules},
        "destinations": {
            d.bucket: (d.reached, d.reason, d.delete_markers, d.delete_marker_reason)
            for d in result.destinations
        },
    }


def test_prefix_rule_reaches_its_destination_with_delete_markers() -> None:
    found = answer(
        rule("docs", "d", filter_=ReplicationFilter(prefix="docs/"), markers=True), tags={}
    )
    assert found["destinations"] == {
        "d": (True, "rule docs selects it", True, "rule docs has DeleteMarkerReplication Enabled")
    }


def test_why_not_prefix_tag_status_and_sse_kms() -> None:
    tagged = ReplicationFilter(
        and_=ReplicationAnd(prefix="docs/", tags=(Tag(key="env", value="prod"),))
    )
    found = answer(
        rule("logs", "a", filter_=ReplicationFilter(prefix="logs/")),
        rule("prod", "b", filter_=tagged, priority=2),
        rule("off", "c", priority=3, status=OFF),
        rule("kms", "e", priority=4),
        tags={"env": "dev"},
        sse_kms=True,
    )
    assert found["rules"] == {
        "logs": (False, "key does not start with prefix 'logs/'"),
        "prod": (False, "the version lacks tag env=prod"),
        "off": (False, "the rule is Disabled"),
        "kms": (
            False,
            "SSE-KMS versions need SourceSelectionCriteria/SseKmsEncryptedObjects Enabled",
        ),
    }
    assert not any(reached for reached, *_ in found["destinations"].values())  # type: ignore[attr-defined]


def test_the_higher_priority_rule_wins_a_destination() -> None:
    found = answer(rule("low", "d", priority=1), rule("high", "d", priority=5), tags={})
    assert found["rules"] == {
        "low": (True, "selects it, but rule high has a higher priority for d"),
        "high": (True, "selects it"),
    }


def test_tag_filters_never_carry_delete_markers() -> None:
    tagged = ReplicationFilter(tag=Tag(key="env", value="prod"))
    found = answer(rule("prod", "d", filter_=tagged), tags={"env": "prod"})
    assert found["destinations"] == {
        "d": (
            True,
            "rule prod selects it",
            False,
            "rule prod has a tag filter: delete markers carry no tags",
        ),
    }


def test_unreplicated_storage_classes() -> None:
    found = answer(rule("all", "d"), tags={}, storage_class="GLACIER")
    reached, reason, *_ = found["destinations"]["d"]  # type: ignore[index]
    assert (reached, reason) == (False, "versions in GLACIER are never replicated")


def test_v1_rules_always_replicate_delete_markers() -> None:
    v1 = ReplicationRule(
        id="old", prefix="", status=ON, destination=ReplicationDestination(bucket="arn:aws:s3:::d")
    )
    found = answer(v1, tags={})
    assert found["destinations"]["d"][2:] == (  # type: ignore[index]
        True,
        "rule old (V1 schema) always replicates delete markers",
    )
