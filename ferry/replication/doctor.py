"""`ferry doctor`: what will make a bucket's replication fail, found before a version is at
risk, each finding with its fix. Pure: the regions gather the facts (`api/replication_admin`);
the role's permissions are judged by the same functions the engine uses
(`role_access.check_source` at the source, `role_access.may_write_replica` at the
destination, with the destination bucket's policy and owner).

The causes are those of AWS's FAILED replication status (permissions, configuration,
storage, encryption): versioning of the source and each destination (a suspended destination
pauses replication), the role (exists, trusts S3, may read at the source and write at each
destination; trusts S3 Batch Operations where a re-drive uses it), KMS keys (exist, enabled,
in the destination's region), destination quota headroom, rules with overlapping filters and
equal priority, and loops in multi-hop topologies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ferry.control.policy import Policy, trusts_service
from ferry.protocol.xml.replication import (
    ReplicationConfiguration,
    ReplicationRule,
    ReplicationRuleStatus,
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
    may_write_replica,
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

QUOTA_WARNING_RATIO = 0.9
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


class Severity(StrEnum):
    ERROR = "ERROR"  # replication fails (or does not happen) until fixed
    WARNING = "WARNING"  # replication works, but not as far as the configuration suggests


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    severity: Severity
    check: str  # a stable name: source-versioning, role-trust, kms-key-region, loop …
    subject: str  # the bucket, rule or role it is about
    message: str
    fix: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceFacts:
    bucket: str
    versioning: str  # Enabled | Suspended | "" (never enabled)
    configuration: ReplicationConfiguration | None
    role: ReplicationRole | None  # None: the configuration's role does not exist
    bucket_policy: Policy | None
    bucket_account: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KmsKeyFacts:
    key_id: str  # as the rule names it (ReplicaKmsKeyID)
    exists: bool
    state: str | None = None  # Enabled | Disabled | PendingDeletion


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaFacts:
    max_bytes: int | None
    max_objects: int | None
    used_bytes: int
    used_objects: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationNeeds:
    """What the source's rules ask of one destination bucket."""

    bucket: str
    role_arn: str
    actions: tuple[str, ...]  # replica writes the rules make there
    kms_key_ids: tuple[str, ...] = ()  # the rules' ReplicaKmsKeyIDs
    key_prefixes: tuple[str, ...] = ("",)  # where the rules write (permissions are per key)


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationFacts:
    needs: DestinationNeeds
    exists: bool
    region: str = ""
    versioning: str = ""
    role: ReplicationRole | None = None
    bucket_policy: Policy | None = None
    bucket_account: str = ""
    kms_keys: tuple[KmsKeyFacts, ...] = ()
    quota: QuotaFacts | None = None
    next_hops: tuple[str, ...] = field(default=())  # its own replication destinations


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
            )
        )
    return needs


def diagnose_source(source: SourceFacts) -> list[Finding]:
    config = source.configuration
    if config is None:
        return [
            _error(
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
            _error(
                "source-versioning",
                source.bucket,
                f"Versioning of source bucket {source.bucket} is {state}: "
                "replication needs it Enabled.",
                _enable_versioning(source.bucket),
            )
        )
    found += diagnose_role(source.role, config.role.strip(), bucket=source.bucket)
    for rule in config.rules:
        if rule.status is not _ENABLED:
            found.append(
                _warning(
                    "rule-disabled",
                    _rule(rule),
                    f"Rule {_rule(rule)} is Disabled: nothing replicates under it.",
                    "Set its Status to Enabled if it should replicate.",
                )
            )
        elif source.role is not None and trusts_replication(source.role):
            found += _source_permissions(source, source.role, rule)
    found += diagnose_overlaps(config)
    return _unique(found)


def diagnose_role(role: ReplicationRole | None, arn: str, *, bucket: str) -> list[Finding]:
    """The role exists and trusts S3; for `ferry failures redrive`, it also trusts S3 Batch
    Operations and may start replication (s3:InitiateReplication)."""
    if role is None:
        return [
            _error(
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
            _error(
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
        )
        if isinstance(verdict, SourceDenied):
            action = _SOURCE_ACTIONS.get(verdict.reason, str(verdict.reason))
            found.append(
                _error(
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
                _warning(
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
                _error(
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


# ------------------------------------------------------------------------------- destination


def diagnose_destination(facts: DestinationFacts) -> list[Finding]:
    bucket = facts.needs.bucket
    if not facts.exists:
        return [
            _error(
                "destination-missing",
                bucket,
                f"Destination bucket {bucket} does not exist in this deployment.",
                f"Create {bucket} (with versioning Enabled) or correct the rule's "
                "Destination/Bucket.",
            )
        ]
    found = []
    if facts.versioning == "Suspended":
        found.append(
            _error(
                "destination-suspended",
                bucket,
                f"Replication to {bucket} is paused: its versioning is Suspended, "
                "so every version fails with DstBucketUnversioned.",
                _enable_versioning(bucket, region=facts.region)
                + "; then re-drive: ferry failures redrive.",
            )
        )
    elif facts.versioning != "Enabled":
        found.append(
            _error(
                "destination-versioning",
                bucket,
                f"Destination bucket {bucket} is not versioned: replicas cannot "
                "be written (DstBucketUnversioned).",
                _enable_versioning(bucket, region=facts.region),
            )
        )
    role = facts.role
    if role is not None and trusts_replication(role):
        found += _destination_permissions(facts, role)
    found += [f for key in facts.kms_keys for f in _kms_findings(key, bucket, facts.region)]
    if facts.quota is not None:
        found += _quota_findings(facts.quota, bucket, facts.region)
    return _unique(found)


def _destination_permissions(facts: DestinationFacts, role: ReplicationRole) -> list[Finding]:
    bucket = facts.needs.bucket
    cross_account = facts.bucket_account not in ("", role.account_id)
    found = []
    for action in facts.needs.actions:
        allowed = all(
            may_write_replica(
                role,
                action=action,
                bucket=bucket,
                key=prefix + PROBE_OBJECT,
                bucket_policy=facts.bucket_policy,
                bucket_account=facts.bucket_account,
            )
            for prefix in facts.needs.key_prefixes
        )
        if allowed:
            continue
        fix = f"Allow {action} on arn:aws:s3:::{bucket}/* in the role's policy"
        if cross_account:
            fix += (
                f", and in {bucket}'s bucket policy (account {facts.bucket_account}) allow "
                f"principal {role.arn} {action} on arn:aws:s3:::{bucket}/*"
            )
        found.append(
            _error(
                "role-permission",
                role.arn,
                f"Role {role.arn} may not {action} on destination bucket {bucket}"
                + (
                    " (another account's bucket: its bucket policy must allow it too)"
                    if cross_account
                    else ""
                )
                + ".",
                fix + ".",
            )
        )
    return found


def _kms_findings(key: KmsKeyFacts, bucket: str, region: str) -> list[Finding]:
    key_region = _arn_region(key.key_id)
    if key_region is not None and key_region != region:
        return [
            _error(
                "kms-key-region",
                key.key_id,
                f"ReplicaKmsKeyID {key.key_id} is in {key_region}, but destination "
                f"{bucket} is in {region}: KMS keys are regional.",
                f"Create a key in {region} (aws kms create-key --region {region}) and "
                "name it as the rule's ReplicaKmsKeyID.",
            )
        ]
    if not key.exists:
        return [
            _error(
                "kms-key-missing",
                key.key_id,
                f"ReplicaKmsKeyID {key.key_id} names no KMS key in {region} (DstKmsKeyNotFound).",
                f"Create the key in {region}, or correct the rule's ReplicaKmsKeyID.",
            )
        ]
    if key.state != "Enabled":
        return [
            _error(
                "kms-key-state",
                key.key_id,
                f"KMS key {key.key_id} is {key.state}: replicas cannot be encrypted "
                "under it (DstKmsKeyInvalidState).",
                f"aws kms enable-key --key-id {key.key_id} --region {region} (or "
                "cancel-key-deletion first).",
            )
        ]
    return []


def _quota_findings(quota: QuotaFacts, bucket: str, region: str) -> list[Finding]:
    found = []
    for unit, limit, used in (
        ("bytes", quota.max_bytes, quota.used_bytes),
        ("objects", quota.max_objects, quota.used_objects),
    ):
        if limit is None:
            continue
        fix = (
            f"Raise the quota (ferry quota set {bucket} --max-{unit} N --config ferry.toml "
            f"--region {region}) or free space in {bucket}."
        )
        message = f"Destination {bucket} uses {used} of its quota of {limit} {unit}"
        if used >= limit:
            found.append(
                _error(
                    "quota",
                    bucket,
                    message + ": replicas are refused (DstBucketQuotaExceeded).",
                    fix,
                )
            )
        elif used >= limit * QUOTA_WARNING_RATIO:
            found.append(_warning("quota", bucket, message + ": little headroom left.", fix))
    return found


# ---------------------------------------------------------------------------------- topology


def diagnose_topology(start: str, edges: Mapping[str, Sequence[str]]) -> list[Finding]:
    """`edges`: each bucket's replication destinations, as far as they were followed. A cycle
    through three or more buckets is a loop: each version travels one hop only (replicas are
    never replicated again), so the ring does not spread versions as it suggests; a two-way
    pair is Ferry's supported bi-directional replication."""
    found = []
    for cycle in _cycles(start, edges):
        if len(cycle) < 3:
            continue
        ring = " → ".join([*cycle, cycle[0]])
        found.append(
            _error(
                "loop",
                ring,
                f"Replication loop {ring}: versions travel one hop only (replicas "
                "are not replicated again), so no bucket of the ring gets every "
                "version.",
                "Replicate each bucket directly to every bucket that needs its "
                "versions (two-way pairs at most), and remove the rule closing "
                "the ring.",
            )
        )
    if not found:
        for hop in edges.get(start, ()):
            onward = [b for b in edges.get(hop, ()) if b != start]
            if onward:
                found.append(
                    _warning(
                        "multi-hop",
                        f"{start} → {hop} → {', '.join(onward)}",
                        f"Versions of {start} reach {hop} but not "
                        f"{', '.join(onward)}: replicas are not replicated again.",
                        f"Add a rule on {start} for {', '.join(onward)} if they need its versions.",
                    )
                )
    return found


def _cycles(start: str, edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Simple cycles through buckets reachable from `start`, each once (rotated to its
    smallest bucket name)."""
    found: dict[tuple[str, ...], list[str]] = {}

    def walk(path: list[str]) -> None:
        for nxt in edges.get(path[-1], ()):
            if nxt in path:
                cycle = path[path.index(nxt) :]
                pivot = cycle.index(min(cycle))
                rotated = cycle[pivot:] + cycle[:pivot]
                found.setdefault(tuple(rotated), rotated)
            elif len(path) < 32:
                walk([*path, nxt])

    walk([start])
    return list(found.values())


# ----------------------------------------------------------------------------------- helpers


def has_errors(findings: Sequence[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


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


def _arn_region(key_id: str) -> str | None:
    parts = key_id.split(":")
    return parts[3] if key_id.startswith("arn:") and len(parts) > 3 else None


def _enable_versioning(bucket: str, *, region: str = "") -> str:
    where = f" --region {region}" if region else ""
    return (
        f"aws s3api put-bucket-versioning --bucket {bucket}{where} "
        "--versioning-configuration Status=Enabled"
    )


def _error(check: str, subject: str, message: str, fix: str) -> Finding:
    return Finding(severity=Severity.ERROR, check=check, subject=subject, message=message, fix=fix)


def _warning(check: str, subject: str, message: str, fix: str) -> Finding:
    return Finding(
        severity=Severity.WARNING, check=check, subject=subject, message=message, fix=fix
    )


def _unique(findings: Sequence[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))
