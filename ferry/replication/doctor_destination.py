"""`ferry doctor` at a destination, and across the topology. Pure: the destination's region
gathers the facts (`api/admin/doctor_facts.py`); the role's writes are judged by
`role_access.may_write_replica`, the decision the destination's replica write path takes,
with the destination bucket's policy and owner account (cross-account: both must allow).

Here: the destination exists and is versioned (a suspended one pauses replication), the
role's writes, KMS keys (exist, enabled, in the destination's region), quota headroom, and
loops in multi-hop topologies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ferry.control.policy import ENCRYPT, Policy
from ferry.replication.doctor import PROBE_OBJECT, DestinationNeeds
from ferry.replication.findings import (
    Finding,
    enable_versioning_fix,
    error_finding,
    unique,
    warning_finding,
)
from ferry.replication.role_access import (
    ReplicationRole,
    may_use_key,
    may_write_replica,
    trusts_replication,
)

QUOTA_WARNING_RATIO = 0.9


@dataclass(frozen=True, slots=True, kw_only=True)
class KmsKeyFacts:
    key_id: str  # as the rule names it (ReplicaKmsKeyID)
    exists: bool
    arn: str | None = None  # the key's ARN, when it exists
    state: str | None = None  # Enabled | Disabled | PendingDeletion


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaFacts:
    max_bytes: int | None
    max_objects: int | None
    used_bytes: int
    used_objects: int


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
    object_lock: bool = False  # the bucket has Object Lock


# ------------------------------------------------------------------------------- destination


def diagnose_destination(facts: DestinationFacts) -> list[Finding]:
    bucket = facts.needs.bucket
    if not facts.exists:
        return [
            error_finding(
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
            error_finding(
                "destination-suspended",
                bucket,
                f"Replication to {bucket} is paused: its versioning is Suspended, "
                "so every version fails with DstBucketUnversioned.",
                enable_versioning_fix(bucket, region=facts.region)
                + "; then re-drive: ferry failures redrive.",
            )
        )
    elif facts.versioning != "Enabled":
        found.append(
            error_finding(
                "destination-versioning",
                bucket,
                f"Destination bucket {bucket} is not versioned: replicas cannot "
                "be written (DstBucketUnversioned).",
                enable_versioning_fix(bucket, region=facts.region),
            )
        )
    if facts.needs.object_lock and not facts.object_lock:
        found.append(
            error_finding(
                "destination-object-lock",
                bucket,
                f"The source bucket has Object Lock but destination bucket {bucket} has not: "
                "every version fails with DstBucketObjectLockConfigMissing.",
                f"Enable Object Lock on {bucket} (aws s3api put-object-lock-configuration "
                f"--bucket {bucket} --object-lock-configuration ObjectLockEnabled=Enabled); "
                "then re-drive: ferry failures redrive.",
            )
        )
    role = facts.role
    if role is not None and trusts_replication(role):
        found += _destination_permissions(facts, role)
    for key in facts.kms_keys:
        found += _kms_findings(key, bucket, facts.region) or _key_use_findings(key, bucket, role)
    if facts.quota is not None:
        found += _quota_findings(facts.quota, bucket, facts.region)
    return unique(found)


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
            error_finding(
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
            error_finding(
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
            error_finding(
                "kms-key-missing",
                key.key_id,
                f"ReplicaKmsKeyID {key.key_id} names no KMS key in {region} (DstKmsKeyNotFound).",
                f"Create the key in {region}, or correct the rule's ReplicaKmsKeyID.",
            )
        ]
    if key.state != "Enabled":
        return [
            error_finding(
                "kms-key-state",
                key.key_id,
                f"KMS key {key.key_id} is {key.state}: replicas cannot be encrypted "
                "under it (DstKmsKeyInvalidState).",
                f"aws kms enable-key --key-id {key.key_id} --region {region} (or "
                "cancel-key-deletion first).",
            )
        ]
    return []


def _key_use_findings(key: KmsKeyFacts, bucket: str, role: ReplicationRole | None) -> list[Finding]:
    """The destination encrypts a replica under the rule's key as the role (kms:Encrypt)."""
    if role is None or key.arn is None or not trusts_replication(role):
        return []
    if may_use_key(role, ENCRYPT, key.arn, f"arn:aws:s3:::{bucket}/{PROBE_OBJECT}"):
        return []
    return [
        error_finding(
            "role-permission",
            role.arn,
            f"Role {role.arn} may not kms:Encrypt with {key.arn}: replicas cannot be "
            "encrypted under it.",
            f"Allow kms:Encrypt on {key.arn} in the role's policy.",
        )
    ]


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
                error_finding(
                    "quota",
                    bucket,
                    message + ": replicas are refused (DstBucketQuotaExceeded).",
                    fix,
                )
            )
        elif used >= limit * QUOTA_WARNING_RATIO:
            found.append(warning_finding("quota", bucket, message + ": little headroom left.", fix))
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
            error_finding(
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
                    warning_finding(
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


def _arn_region(key_id: str) -> str | None:
    parts = key_id.split(":")
    return parts[3] if key_id.startswith("arn:") and len(parts) > 3 else None
