"""What a replication rule's IAM role lets the engine do at the source, judged as S3 judges it
(reference §4.1): the role must trust the replication service, and its policies must allow
reading the bucket's replication configuration, the version (a delete marker: listing the
bucket), its ACL and its tags, and decrypting an SSE-KMS version's data key (`kms:Decrypt` on
the source key). The destination judges the write side itself (the
replica write path authorises `s3:ReplicateObject` / `s3:ReplicateDelete` /
`s3:ReplicateTags` as the role, with the destination bucket's policy).

Pure: the caller resolves the role and the source bucket's policy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ferry.control.policy import (
    DECRYPT,
    AccessRequest,
    Decision,
    Policy,
    PrincipalFacts,
    decide,
    decide_key_use,
    key_region,
    s3_via_service,
)
from ferry.control.policy import trusts_service as policy_trusts_service
from ferry.replication.retry import FailureReason
from ferry.replication.tasks import Operation

REPLICATION_SERVICE = "s3.amazonaws.com"
BATCH_SERVICE = "batchoperations.s3.amazonaws.com"
REPLICATE_OBJECT = "s3:ReplicateObject"
REPLICATE_TAGS = "s3:ReplicateTags"
LOCK_READ_ACTIONS = ("s3:GetObjectRetention", "s3:GetObjectLegalHold")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationRole:
    arn: str
    account_id: str
    trust_policy: Policy | None  # None: the stored document no longer parses (trusts nobody)
    policies: Sequence[Policy]  # inline and attached identity policies


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceGrant:
    """The role may replicate the version; `include_tags` is False when it may not read the
    version's tags (AWS then replicates the object without them, rather than failing)."""

    include_tags: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleGrant:
    """What a task may do as its rule's role: the destination judges its writes as
    `role_arn`; an SSE-KMS source is encrypted again under `replica_kms_key_id` (the rule's
    ReplicaKmsKeyID; None when the rule names none); `owner_override`: the rule's
    AccessControlTranslation gives the replica to the destination bucket's owner."""

    role_arn: str
    include_tags: bool
    replica_kms_key_id: str | None = None
    owner_override: bool = False
    source_object_lock: bool = False  # the source bucket has Object Lock (and the replica must)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDenied:
    reason: FailureReason
    permission: str | None = None  # the permission the role lacks, when the reason is vague


def trusts_replication(role: ReplicationRole) -> bool:
    return role.trust_policy is not None and policy_trusts_service(
        role.trust_policy, REPLICATION_SERVICE
    )


def check_source(
    role: ReplicationRole | None,
    *,
    bucket: str,
    key: str,
    operation: Operation,
    bucket_policy: Policy | None,
    bucket_account: str,
    kms_key_arn: str | None = None,
    object_lock: bool = False,
) -> SourceGrant | SourceDenied:
    """May `role` read what replicating this version of `bucket`/`key` needs? `kms_key_arn`:
    the key an SSE-KMS version is encrypted under (its data key must be decrypted);
    `object_lock`: the bucket has Object Lock, whose retention and legal hold the role must
    read (AWS: s3:GetObjectRetention and s3:GetObjectLegalHold on the source)."""
    if role is None or not trusts_replication(role):
        return SourceDenied(reason=FailureReason.AssumeRoleNotPermitted)
    bucket_arn = f"arn:aws:s3:::{bucket}"
    resource = f"{bucket_arn}/{key}"

    def allowed(action: str, on: str = resource) -> bool:
        request = AccessRequest(
            principal=PrincipalFacts(arn=role.arn, account_id=role.account_id),
            action=action,
            resource=on,
            context={"aws:principalarn": (role.arn,), "aws:principalaccount": (role.account_id,)},
        )
        decision = decide(
            request,
            identity_policies=role.policies,
            resource_policy=bucket_policy,
            resource_account=bucket_account,
        )
        return decision is Decision.ALLOW

    # AWS names no reason for these two bucket permissions; Ferry's choices are the nearest
    # codes of AWS's list (docs/replication.md).
    if not allowed("s3:GetReplicationConfiguration", bucket_arn):
        return SourceDenied(reason=FailureReason.SrcBucketReplicationConfigMissing)
    if operation is Operation.DELETE_MARKER:
        # A delete marker has no data, ACL or tags to read, but is found by listing (AWS:
        # s3:ListBucket "for accessing delete markers"); the destination checks
        # s3:ReplicateDelete.
        if not allowed("s3:ListBucket", bucket_arn):
            return SourceDenied(reason=FailureReason.SrcHeadObjectNotPermitted)
        return SourceGrant(include_tags=False)
    if not allowed("s3:GetObjectVersionForReplication"):
        return SourceDenied(reason=FailureReason.SrcGetObjectNotPermitted)
    if not allowed("s3:GetObjectVersionAcl"):
        return SourceDenied(reason=FailureReason.SrcGetAclNotPermitted)
    if kms_key_arn is not None and not _may_decrypt(role, kms_key_arn, resource):
        # The version's data cannot be read without its key: Ferry's choice of reason, as AWS
        # names none for kms:Decrypt (docs/replication.md).
        return SourceDenied(reason=FailureReason.SrcGetObjectNotPermitted)
    if object_lock:
        # AWS names no reason of its own: Ferry's choice (docs/replication.md).
        for action in LOCK_READ_ACTIONS:
            if not allowed(action):
                return SourceDenied(
                    reason=FailureReason.SrcGetObjectNotPermitted, permission=action
                )
    return SourceGrant(include_tags=allowed("s3:GetObjectVersionTagging"))


def _may_decrypt(role: ReplicationRole, key_arn: str, object_arn: str) -> bool:
    return may_use_key(role, DECRYPT, key_arn, object_arn)


def may_use_key(role: ReplicationRole, action: str, key_arn: str, object_arn: str) -> bool:
    """May `role` have S3 use KMS key `key_arn` (`action`: kms:Decrypt at the source,
    kms:Encrypt for a replica at the destination) for the object `object_arn`?"""
    decision = decide_key_use(
        PrincipalFacts(arn=role.arn, account_id=role.account_id),
        action,
        key_arn,
        identity_policies=role.policies,
        context={"aws:principalarn": (role.arn,), "aws:principalaccount": (role.account_id,)},
        encryption_context={"aws:s3:arn": object_arn},
        via_service=s3_via_service(key_region(key_arn)),
    )
    return decision is Decision.ALLOW


def check_batch_entry(
    role: ReplicationRole | None, *, bucket: str, key: str
) -> FailureReason | None:
    """May a batch replication job acting as `role` start replicating `bucket`/`key`? Its role
    must trust S3 Batch Operations and hold s3:InitiateReplication (reference §4.1); the
    copy itself is then made as the rule's role, like any replication. None: it may."""
    if role is None or role.trust_policy is None:
        return FailureReason.AssumeRoleNotPermitted
    if not policy_trusts_service(role.trust_policy, BATCH_SERVICE):
        return FailureReason.AssumeRoleNotPermitted
    request = AccessRequest(
        principal=PrincipalFacts(arn=role.arn, account_id=role.account_id),
        action="s3:InitiateReplication",
        resource=f"arn:aws:s3:::{bucket}/{key}",
        context={"aws:principalarn": (role.arn,), "aws:principalaccount": (role.account_id,)},
    )
    decision = decide(request, identity_policies=role.policies, resource_policy=None,
                      resource_account=None)  # fmt: skip
    return None if decision is Decision.ALLOW else FailureReason.InitiateReplicationNotPermitted


def replica_write_decision(decide_action: Callable[[str], Decision], action: str) -> Decision:
    """A replica write's decision: `s3:ReplicateTags` is implied by `s3:ReplicateObject`
    unless a policy denies it explicitly (reference §4.1). `decide_action` judges one action
    on the replica; the destination's write path and `ferry doctor` both decide through this."""
    decision = decide_action(action)
    if decision is Decision.IMPLICIT_DENY and action == REPLICATE_TAGS:
        return decide_action(REPLICATE_OBJECT)
    return decision


def may_write_replica(
    role: ReplicationRole,
    *,
    action: str,
    bucket: str,
    key: str,
    bucket_policy: Policy | None,
    bucket_account: str,
) -> bool:
    """May `role` write a replica (`action`: s3:ReplicateObject, s3:ReplicateDelete,
    s3:ReplicateTags, s3:ObjectOwnerOverrideToBucketOwner) of `key` into `bucket`, given the
    destination bucket's policy and owner account (cross-account: both sides must allow)?"""

    def decide_action(name: str) -> Decision:
        request = AccessRequest(
            principal=PrincipalFacts(arn=role.arn, account_id=role.account_id),
            action=name,
            resource=f"arn:aws:s3:::{bucket}/{key}",
            context={"aws:principalarn": (role.arn,), "aws:principalaccount": (role.account_id,)},
        )
        return decide(request, identity_policies=role.policies, resource_policy=bucket_policy,
                      resource_account=bucket_account)  # fmt: skip

    return replica_write_decision(decide_action, action) is Decision.ALLOW
