"""`ferry doctor` at the source: what will make a bucket's replication fail, found before a
version is at risk, each finding with its fix, and what the source's rules ask of each
destination (judged there: `doctor_destination.py`). Pure: the source's region gathers the
facts (`api/admin/doctor_facts.py`); the role is judged by the engine's own
`role_access.check_source` and `check_batch_entry`.

The causes are those of AWS's FAILED replication status (seed 000: permissions,
configuration, storage, encryption). Here: source versioning, the role (exists, trusts S3,
may read at the source; trusts S3 Batch Operations where a re-drive uses it), disabled rules,
and rules with overlapping filters and equal priority.
"""

from __future__ import annotations

from dataclasses import dataclass

from ferry.control.policy import Policy, trusts_service
from ferry.protocol.xml.replication import (
    ReplicationConfiguration,
    ReplicationRule,
    ReplicationRuleStatus,
)
from ferry.replication.findings import (
    Finding,
    Severity,
    enable_versioning_fix,
    error_finding,
    unique,
    warning_finding,
)
from ferry.replication.retry import FailureReason
from ferry.replication.role_access import (
    BATCH_SERVICE,
    REPLICATE_OBJECT,
    REPLICATE_TAGS,
    ReplicationRole,
    SourceDenied,
    check_batch_entry,
    check_source,
    trusts_replication,
)
from ferry.replication.rules import (
    destination_bucket_name,
    has_tag_filter,
    replicates_delete_markers,
    rule_prefix,
    rule_schema,
)
from ferry.replication.tasks import Operation

PROBE_OBJECT = "ferry-doctor-probe"  # the key permissions are judged for, under the rule's prefix
REPLICATE_DELETE = "s3:ReplicateDelete"
OWNER_OVERRIDE = "s3:ObjectOwnerOverrideToBucketOwner"
_ENABLED = ReplicationRuleStatus.ENABLED
_SOURCE_ACTIONS = {
    FailureReason.SrcBucketReplicationConfigMissing: "s3:GetReplicationConfiguration",
    FailureReason.SrcHeadObjectNotPermitted: "s3:ListBucket",
    FailureReason.SrcGetObjectNotPermitted: "s3:GetObjectVersionForReplication",
    FailureReason.SrcGetAclNotPermitted: "s3:GetObjectVersionAcl",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceFacts:
    bucket: str
    versioning: str  # Enabled | Suspended | "" (never enabled)
    configuration: ReplicationConfiguration | None
    role: ReplicationRole | None  # None: the configuration's role does not exist
    bucket_policy: Policy | None
    bucket_account: str
    object_lock: bool = False  # the bucket has Object Lock: so must its destinations


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationNeeds:
    """What the source's rules ask of one destination bucket."""

    bucket: str
    role_arn: str
    actions: tuple[str, ...]  # replica writes the rules make there
    kms_key_ids: tuple[str, ...] = ()  # the rules' ReplicaKmsKeyIDs
    key_prefixes: tuple[str, ...] = ("",)  # where the rules write (permissions are per key)
    object_lock: bool = False  # the source has Object Lock, so the destination must have it


# ------------------------------------------------------------------------------------ source


def destination_needs(source: SourceFacts) -> list[DestinationNeeds]:
    """Each destination of the source's enabled rules, with what those rules ask of it."""
    config = source.configuration
    if config is None:
        return []
    grouped: dict[str, list[ReplicationRule]] = {}
    for rule in config.rules:
        if rule.status is _ENABLED:
            grouped.setdefault(destination_bucket_name(rule.destination.bucket), []).append(rule)
    needs = []
    for bucket, rules in grouped.items():
        actions = [REPLICATE_OBJECT, REPLICATE_TAGS]
        if any(replicates_delete_markers(rule) for rule in rules):
            actions.append(REPLICATE_DELETE)
        if any(rule.destination.owner_override is not None for rule in rules):
            actions.append(OWNER_OVERRIDE)
        kms = sorted({r.destination.replica_kms_key_id for r in rules} - {None})  # type: ignore[type-var]  # None removed
        needs.append(
            DestinationNeeds(
                bucket=bucket,
                role_arn=config.role.strip(),
                actions=tuple(actions),
                kms_key_ids=tuple(str(k) for k in kms),
                key_prefixes=tuple(sorted({rule_prefix(rule) for rule in rules})),
                object_lock=source.object_lock,
            )
        )
    return needs


def diagnose_source(source: SourceFacts) -> list[Finding]:
    config = source.configuration
    if config is None:
        return [
            error_finding(
                "replication-configuration",
                source.bucket,
                f"Bucket {source.bucket} has no replication configuration.",
                "Put one: aws s3api put-bucket-replication --bucket "
                f"{source.bucket} --replication-configuration file://replication.json",
            )
        ]
    found = []
    if source.versioning != "Enabled":
        state = source.versioning or "never enabled"
        found.append(
            error_finding(
                "source-versioning",
                source.bucket,
                f"Versioning of source bucket {source.bucket} is {state}: "
                "replication needs it Enabled.",
                enable_versioning_fix(source.bucket),
            )
        )
    found += diagnose_role(source.role, config.role.strip(), bucket=source.bucket)
    for rule in config.rules:
        if rule.status is not _ENABLED:
            found.append(
                warning_finding(
                    "rule-disabled",
                    _rule(rule),
                    f"Rule {_rule(rule)} is Disabled: nothing replicates under it.",
                    "Set its Status to Enabled if it should replicate.",
                )
            )
        elif source.role is not None and trusts_replication(source.role):
            found += _source_permissions(source, source.role, rule)
    found += diagnose_overlaps(config)
    return unique(found)


def diagnose_role(role: ReplicationRole | None, arn: str, *, bucket: str) -> list[Finding]:
    """The role exists and trusts S3; for `ferry failures redrive`, it also trusts S3 Batch
    Operations and may start replication (s3:InitiateReplication)."""
    if role is None:
        return [
            error_finding(
                "role-missing",
                arn or "(no role)",
                f"The replication role {arn or '(none)'} does not exist.",
                f"Create it (aws iam create-role --role-name {_role_name(arn)} "
                "--assume-role-policy-document file://trust.json) trusting "
                "s3.amazonaws.com, or name an existing role in the configuration.",
            )
        ]
    if not trusts_replication(role):
        return [
            error_finding(
                "role-trust",
                arn,
                f"Role {arn} does not trust s3.amazonaws.com: S3 cannot assume it.",
                "Add the service principal s3.amazonaws.com (sts:AssumeRole) to its "
                "trust policy: aws iam update-assume-role-policy.",
            )
        ]
    return diagnose_batch_role(role, bucket=bucket, severity=Severity.WARNING)


def diagnose_batch_role(
    role: ReplicationRole | None, *, bucket: str, severity: Severity, arn: str = ""
) -> list[Finding]:
    """May a batch replication job (a re-drive) act as `role` (`arn`) on `bucket`?"""
    if role is None:
        return [
            Finding(
                severity=severity,
                check="role-missing",
                subject=arn or "(no role)",
                message=f"The batch job's role {arn or '(none)'} does not exist.",
                fix="Create it trusting batchoperations.s3.amazonaws.com, or pass another "
                "role with --role-arn.",
            )
        ]
    trust = role.trust_policy
    if trust is None or not trusts_service(trust, BATCH_SERVICE):
        return [
            Finding(
                severity=severity,
                check="role-batch-trust",
                subject=role.arn,
                message=f"Role {role.arn} does not trust {BATCH_SERVICE}: a re-drive "
                "(batch replication job) cannot act as it.",
                fix=f"Add the service principal {BATCH_SERVICE} to its trust policy, "
                "or give `ferry failures redrive` another role with --role-arn.",
            )
        ]
    if check_batch_entry(role, bucket=bucket, key=PROBE_OBJECT) is not None:
        return [
            Finding(
                severity=severity,
                check="role-permission",
                subject=role.arn,
                message=f"Role {role.arn} may not s3:InitiateReplication on {bucket}: a "
                "re-drive's every version would fail.",
                fix=f"Allow s3:InitiateReplication on arn:aws:s3:::{bucket}/* in the "
                "role's policy.",
            )
        ]
    return []


def _source_permissions(
    source: SourceFacts, role: ReplicationRole, rule: ReplicationRule
) -> list[Finding]:
    key = rule_prefix(rule) + PROBE_OBJECT
    operations = [Operation.OBJECT]
    if replicates_delete_markers(rule):
        operations.append(Operation.DELETE_MARKER)
    found = []
    for operation in operations:
        verdict = check_source(
            role,
            bucket=source.bucket,
            key=key,
            operation=operation,
            bucket_policy=source.bucket_policy,
            bucket_account=source.bucket_account,
            object_lock=source.object_lock,
        )
        if isinstance(verdict, SourceDenied):
            action = verdict.permission or _SOURCE_ACTIONS.get(verdict.reason, str(verdict.reason))
            found.append(
                error_finding(
                    "role-permission",
                    role.arn,
                    f"Role {role.arn} may not {action} on source bucket "
                    f"{source.bucket} ({verdict.reason.value}).",
                    f"Allow {action} on {_resource(action, source.bucket)} in the "
                    "role's policy (and check the bucket policy denies nothing).",
                )
            )
        elif operation is Operation.OBJECT and not verdict.include_tags:
            found.append(
                warning_finding(
                    "role-permission",
                    role.arn,
                    f"Role {role.arn} may not s3:GetObjectVersionTagging on "
                    f"{source.bucket}: versions replicate without their tags.",
                    "Allow s3:GetObjectVersionTagging on "
                    f"arn:aws:s3:::{source.bucket}/* in the role's policy.",
                )
            )
    return found


def diagnose_overlaps(config: ReplicationConfiguration) -> list[Finding]:
    """Enabled rules that can select the same version with the same priority: which one
    decides is then not written anywhere (AWS refuses it for V2; V1 rules have no priority)."""
    rules = [r for r in config.rules if r.status is _ENABLED]
    found = []
    for n, first in enumerate(rules):
        for second in rules[n + 1 :]:
            if (first.priority or 0) != (second.priority or 0) or not filters_overlap(
                first, second
            ):
                continue
            found.append(
                error_finding(
                    "rules-overlap",
                    f"{_rule(first)}, {_rule(second)}",
                    f"Rules {_rule(first)} and {_rule(second)} select overlapping "
                    f"keys with the same priority ({first.priority or 0}).",
                    "Give them different priorities (V2 schema) or filters that do not overlap.",
                )
            )
    return found


def filters_overlap(first: ReplicationRule, second: ReplicationRule) -> bool:
    """Can one key with one tag set match both rules' filters?"""
    a, b = rule_prefix(first), rule_prefix(second)
    if not (a.startswith(b) or b.startswith(a)):
        return False
    tags: dict[str, str] = {}
    for rule in (first, second):
        for name, value in _tags(rule):
            if tags.setdefault(name, value) != value:
                return False
    return True


# ----------------------------------------------------------------------------------- helpers


def _tags(rule: ReplicationRule) -> list[tuple[str, str]]:
    found = rule.filter
    if found is None or not has_tag_filter(rule):
        return []
    if found.tag is not None:
        return [(found.tag.key, found.tag.value)]
    assert found.and_ is not None
    return [(t.key, t.value) for t in found.and_.tags]


def _rule(rule: ReplicationRule) -> str:
    return rule.id or f"(unnamed {rule_schema(rule).value} rule)"


def _resource(action: str, bucket: str) -> str:
    bucket_actions = ("s3:GetReplicationConfiguration", "s3:ListBucket")
    return f"arn:aws:s3:::{bucket}" if action in bucket_actions else f"arn:aws:s3:::{bucket}/*"


def _role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] or "NAME"
