"""`ferry doctor`'s judgement of gathered facts, finding by finding."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from ferry.control.policy import Policy, PolicyKind, parse_policy
from ferry.protocol.xml.replication import (
    DeleteMarkerReplication,
    EncryptionConfiguration,
    ReplicationConfiguration,
    ReplicationDestination,
    ReplicationFilter,
    ReplicationRule,
    ReplicationRuleStatus,
)
from ferry.replication.doctor import (
    DestinationNeeds,
    SourceFacts,
    destination_needs,
    diagnose_source,
    filters_overlap,
)
from ferry.replication.doctor_destination import (
    DestinationFacts,
    KmsKeyFacts,
    QuotaFacts,
    diagnose_destination,
    diagnose_topology,
)
from ferry.replication.doctor_documents import (
    parse_finding,
    parse_needs,
    render_finding,
    render_needs,
)
from ferry.replication.findings import Finding, Severity, has_errors
from ferry.replication.role_access import ReplicationRole

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/replication"
ON, OFF = ReplicationRuleStatus.ENABLED, ReplicationRuleStatus.DISABLED
EVERYTHING = (
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
    "s3:InitiateReplication",
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
)


def policy(kind: PolicyKind, *statements: dict[str, Any]) -> Policy:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), kind)


def trust(*services: str) -> Policy:
    return policy(
        PolicyKind.TRUST,
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": list(services)}},
    )


def role(
    *actions: str,
    services: tuple[str, ...] = ("s3.amazonaws.com", "batchoperations.s3.amazonaws.com"),
) -> ReplicationRole:
    allowed = policy(
        PolicyKind.IDENTITY,
        {"Effect": "Allow", "Action": list(actions or EVERYTHING), "Resource": "*"},
    )
    return ReplicationRole(
        arn=ROLE, account_id=ACCOUNT, trust_policy=trust(*services), policies=(allowed,)
    )


def rule(
    rule_id: str = "r",
    *,
    destination: str = "dst",
    prefix: str | None = "",
    priority: int = 1,
    status: ReplicationRuleStatus = ON,
    kms_key: str | None = None,
) -> ReplicationRule:
    return ReplicationRule(
        id=rule_id,
        priority=priority,
        filter=ReplicationFilter(prefix=prefix),
        status=status,
        destination=ReplicationDestination(
            bucket=f"arn:aws:s3:::{destination}",
            encryption_configuration=EncryptionConfiguration(replica_kms_key_id=kms_key)
            if kms_key
            else None,
        ),
        delete_marker_replication=DeleteMarkerReplication(status=ON),
    )


def source(*rules: ReplicationRule, **changes: Any) -> SourceFacts:
    facts = SourceFacts(
        bucket="src",
        versioning="Enabled",
        configuration=ReplicationConfiguration(role=ROLE, rules=rules or (rule(),)),
        role=role(),
        bucket_policy=None,
        bucket_account=ACCOUNT,
    )
    return replace(facts, **changes)


def destination(**changes: Any) -> DestinationFacts:
    needs = DestinationNeeds(
        bucket="dst",
        role_arn=ROLE,
        actions=("s3:ReplicateObject", "s3:ReplicateTags", "s3:ReplicateDelete"),
    )
    facts = DestinationFacts(
        needs=needs,
        exists=True,
        region="eu-west-1",
        versioning="Enabled",
        role=role(),
        bucket_account=ACCOUNT,
    )
    return replace(facts, **changes)


def checks(findings: list[Finding]) -> list[tuple[Severity, str]]:
    return [(f.severity, f.check) for f in findings]


def test_a_healthy_source_and_destination_have_no_findings() -> None:
    assert diagnose_source(source()) == []
    assert diagnose_destination(destination()) == []


def test_no_configuration_is_an_error() -> None:
    assert checks(diagnose_source(source(configuration=None))) == [
        (Severity.ERROR, "replication-configuration")
    ]


def test_source_versioning_must_be_enabled() -> None:
    [finding] = diagnose_source(source(versioning="Suspended"))
    assert finding.check == "source-versioning" and "Suspended" in finding.message
    assert "put-bucket-versioning --bucket src" in finding.fix


def test_a_missing_role_and_an_untrusting_one() -> None:
    assert checks(diagnose_source(source(role=None))) == [(Severity.ERROR, "role-missing")]
    untrusting = role(services=("ec2.amazonaws.com",))
    assert checks(diagnose_source(source(role=untrusting))) == [(Severity.ERROR, "role-trust")]


def test_redrive_trust_is_a_warning_for_doctor() -> None:
    found = diagnose_source(source(role=role(services=("s3.amazonaws.com",))))
    assert checks(found) == [(Severity.WARNING, "role-batch-trust")]
    assert not has_errors(found)


def test_each_missing_source_permission_names_its_action() -> None:
    for missing in (
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionAcl",
        "s3:GetReplicationConfiguration",
        "s3:ListBucket",
    ):
        subject = role(*[a for a in EVERYTHING if a != missing])
        [finding] = diagnose_source(source(role=subject))
        assert (finding.severity, finding.check) == (Severity.ERROR, "role-permission")
        assert missing in finding.message and missing in finding.fix


def test_untagged_replicas_are_a_warning() -> None:
    subject = role(*[a for a in EVERYTHING if a != "s3:GetObjectVersionTagging"])
    assert checks(diagnose_source(source(role=subject))) == [(Severity.WARNING, "role-permission")]


def test_disabled_rules_and_overlapping_equal_priorities() -> None:
    found = diagnose_source(source(rule("a", status=OFF)))
    assert checks(found) == [(Severity.WARNING, "rule-disabled")]
    v1 = [
        replace(
            rule(n, destination="dst", prefix=None),
            filter=None,
            priority=None,
            prefix=p,
            delete_marker_replication=None,
        )
        for n, p in (("a", "lo"), ("b", "logs/"))
    ]
    assert checks(diagnose_source(source(*v1))) == [(Severity.ERROR, "rules-overlap")]
    assert diagnose_source(source(rule("a", prefix="a/"), rule("b", prefix="b/"))) == []


def test_filters_overlap_by_prefix_and_compatible_tags() -> None:
    assert filters_overlap(rule(prefix="a"), rule(prefix="ab"))
    assert not filters_overlap(rule(prefix="a"), rule(prefix="b"))


def test_destination_needs_follow_the_rules() -> None:
    [needs] = destination_needs(source(rule(kms_key="k1"), rule("b", prefix="x/", priority=2)))
    assert needs.actions == ("s3:ReplicateObject", "s3:ReplicateTags", "s3:ReplicateDelete")
    assert (needs.kms_key_ids, needs.key_prefixes) == (("k1",), ("", "x/"))
    assert parse_needs(json.dumps(render_needs(needs))) == needs


def test_destination_missing_unversioned_and_suspended() -> None:
    assert checks(diagnose_destination(destination(exists=False))) == [
        (Severity.ERROR, "destination-missing")
    ]
    assert checks(diagnose_destination(destination(versioning=""))) == [
        (Severity.ERROR, "destination-versioning")
    ]
    [paused] = diagnose_destination(destination(versioning="Suspended"))
    assert paused.check == "destination-suspended" and "paused" in paused.message


def test_destination_write_permission_and_cross_account_bucket_policy() -> None:
    subject = role(*[a for a in EVERYTHING if a != "s3:ReplicateObject"])
    [finding] = diagnose_destination(destination(role=subject))
    assert "s3:ReplicateObject" in finding.message and "bucket policy" not in finding.fix
    # another account's bucket: the role's own allowance is not enough without its policy
    foreign = diagnose_destination(destination(bucket_account=OTHER))
    assert len(foreign) == 3  # ReplicateObject, ReplicateTags, ReplicateDelete
    assert all("bucket policy (account 444455556666)" in f.fix for f in foreign)
    allowing = policy(
        PolicyKind.RESOURCE,
        {
            "Effect": "Allow",
            "Principal": {"AWS": ROLE},
            "Action": "s3:Replicate*",
            "Resource": "arn:aws:s3:::dst/*",
        },
    )
    assert diagnose_destination(destination(bucket_account=OTHER, bucket_policy=allowing)) == []


def test_replicate_tags_is_implied_by_replicate_object() -> None:
    subject = role(*[a for a in EVERYTHING if a != "s3:ReplicateTags"])
    assert diagnose_destination(destination(role=subject)) == []


def test_kms_keys_must_exist_be_enabled_and_be_in_the_destination_region() -> None:
    far = "arn:aws:kms:us-east-1:111122223333:key/k"
    cases = {
        KmsKeyFacts(key_id=far, exists=False): "kms-key-region",
        KmsKeyFacts(key_id="k", exists=False): "kms-key-missing",
        KmsKeyFacts(key_id="k", exists=True, state="Disabled"): "kms-key-state",
    }
    for key, check in cases.items():
        assert checks(diagnose_destination(destination(kms_keys=(key,)))) == [
            (Severity.ERROR, check)
        ]
    assert (
        diagnose_destination(
            destination(kms_keys=(KmsKeyFacts(key_id="k", exists=True, state="Enabled"),))
        )
        == []
    )


def test_quota_headroom() -> None:
    def quota(used: int) -> QuotaFacts:
        return QuotaFacts(max_bytes=100, max_objects=None, used_bytes=used, used_objects=0)

    assert diagnose_destination(destination(quota=quota(10))) == []
    assert checks(diagnose_destination(destination(quota=quota(95)))) == [
        (Severity.WARNING, "quota")
    ]
    assert checks(diagnose_destination(destination(quota=quota(100)))) == [
        (Severity.ERROR, "quota")
    ]


def test_loops_of_three_and_two_way_pairs() -> None:
    [loop] = diagnose_topology("b", {"a": ["b"], "b": ["c"], "c": ["a"]})
    assert loop.check == "loop" and loop.subject == "a → b → c → a"
    assert diagnose_topology("a", {"a": ["b"], "b": ["a"]}) == []
    [chain] = diagnose_topology("a", {"a": ["b"], "b": ["c"], "c": []})
    assert (chain.severity, chain.check) == (Severity.WARNING, "multi-hop")


def test_findings_survive_their_json() -> None:
    [finding] = diagnose_source(source(role=None))
    assert parse_finding(render_finding(finding)) == finding


def test_the_role_must_be_allowed_to_encrypt_under_the_replica_key() -> None:
    arn = "arn:aws:kms:eu-west-1:111122223333:key/k"
    key = KmsKeyFacts(key_id=arn, exists=True, state="Enabled", arn=arn)
    [finding] = diagnose_destination(destination(kms_keys=(key,)))
    assert (finding.check, finding.fix) == (
        "role-permission",
        f"Allow kms:Encrypt on {arn} in the role's policy.",
    )
    may_encrypt = role(*EVERYTHING, "kms:Encrypt")
    assert diagnose_destination(destination(kms_keys=(key,), role=may_encrypt)) == []


def test_an_object_lock_source_needs_the_lock_reads_and_a_locked_destination() -> None:
    [denied] = diagnose_source(source(object_lock=True))  # EVERYTHING lacks the lock reads
    assert "s3:GetObjectRetention" in denied.message
    locking = role(*EVERYTHING, "s3:GetObjectRetention", "s3:GetObjectLegalHold")
    assert diagnose_source(source(role=locking, object_lock=True)) == []
    for missing in ("s3:GetObjectRetention", "s3:GetObjectLegalHold"):
        lacking = role(*EVERYTHING, *{"s3:GetObjectRetention", "s3:GetObjectLegalHold"} - {missing})
        assert diagnose_source(source(role=lacking)) == []  # no lock: not needed
        [finding] = diagnose_source(source(role=lacking, object_lock=True))
        assert (finding.check, finding.severity) == ("role-permission", Severity.ERROR)
        assert missing in finding.message and missing in finding.fix
    [needs] = destination_needs(source(object_lock=True))
    assert needs.object_lock and parse_needs(json.dumps(render_needs(needs))) == needs
    unlocked = destination(needs=needs)
    [finding] = diagnose_destination(unlocked)
    assert finding.check == "destination-object-lock"
    assert "DstBucketObjectLockConfigMissing" in finding.message
    assert diagnose_destination(replace(unlocked, object_lock=True)) == []
