"""The replication role's source-side permissions (reference §4.1)."""

from __future__ import annotations

import json

from ferry.control.policy import Policy, PolicyKind, parse_policy
from ferry.replication.retry import FailureReason
from ferry.replication.role_access import (
    ReplicationRole,
    SourceDenied,
    SourceGrant,
    check_batch_entry,
    check_source,
)
from ferry.replication.tasks import Operation

ACCOUNT = "111122223333"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/replication"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def identity(*actions: str, effect: str = "Allow", resource: str = "arn:aws:s3:::src/*") -> Policy:
    statement = {"Effect": effect, "Action": list(actions), "Resource": resource}
    document = {"Version": "2012-10-17", "Statement": [statement]}
    return parse_policy(json.dumps(document), PolicyKind.IDENTITY)


def role(*policies: Policy, trust: str = TRUST, bucket_reads: bool = True) -> ReplicationRole:
    """`bucket_reads`: the role may also read the bucket's replication configuration and list
    it, as every role of AWS's documentation may."""
    return ReplicationRole(
        arn=ROLE_ARN,
        account_id=ACCOUNT,
        trust_policy=parse_policy(trust, PolicyKind.TRUST),
        policies=(*policies, BUCKET_READS) if bucket_reads else policies,
    )


BUCKET_READS = identity(
    "s3:GetReplicationConfiguration", "s3:ListBucket", resource="arn:aws:s3:::src"
)


def check(
    subject: ReplicationRole | None,
    operation: Operation = Operation.OBJECT,
    bucket_policy: Policy | None = None,
) -> SourceGrant | SourceDenied:
    return check_source(
        subject,
        bucket="src",
        key="photos/a.jpg",
        operation=operation,
        bucket_policy=bucket_policy,
        bucket_account=ACCOUNT,
    )


FULL = identity(
    "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"
)


def test_a_role_with_every_source_permission_replicates_with_tags() -> None:
    assert check(role(FULL)) == SourceGrant(include_tags=True)


def test_a_missing_role_cannot_be_assumed() -> None:
    assert check(None) == SourceDenied(reason=FailureReason.AssumeRoleNotPermitted)


def test_a_role_that_does_not_trust_s3_cannot_be_assumed() -> None:
    trust = TRUST.replace("s3.amazonaws.com", "ec2.amazonaws.com")
    assert check(role(FULL, trust=trust)) == SourceDenied(
        reason=FailureReason.AssumeRoleNotPermitted
    )


def test_reading_the_version_needs_get_object_version_for_replication() -> None:
    partial = identity("s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging")
    assert check(role(partial)) == SourceDenied(reason=FailureReason.SrcGetObjectNotPermitted)


def test_reading_the_acl_needs_get_object_version_acl() -> None:
    partial = identity("s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging")
    assert check(role(partial)) == SourceDenied(reason=FailureReason.SrcGetAclNotPermitted)


def test_unreadable_tags_degrade_to_a_replica_without_tags() -> None:
    partial = identity("s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl")
    assert check(role(partial)) == SourceGrant(include_tags=False)


def test_an_explicit_deny_in_the_source_bucket_policy_wins() -> None:
    deny = parse_policy(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": ROLE_ARN},
                        "Action": "s3:GetObjectVersionForReplication",
                        "Resource": "arn:aws:s3:::src/*",
                    }
                ],
            }
        ),
        PolicyKind.RESOURCE,
    )
    assert check(role(FULL), bucket_policy=deny) == SourceDenied(
        reason=FailureReason.SrcGetObjectNotPermitted
    )


def test_permissions_on_another_prefix_do_not_count() -> None:
    elsewhere = identity(
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionAcl",
        resource="arn:aws:s3:::src/logs/*",
    )
    assert check(role(elsewhere)) == SourceDenied(reason=FailureReason.SrcGetObjectNotPermitted)


def test_a_delete_marker_needs_no_source_read_permission() -> None:
    assert check(role(), Operation.DELETE_MARKER) == SourceGrant(include_tags=False)


KMS_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_an_sse_kms_version_needs_kms_decrypt_on_its_key() -> None:
    def with_key(*policies: Policy) -> SourceGrant | SourceDenied:
        return check_source(
            role(*policies), bucket="src", key="photos/a.jpg", operation=Operation.OBJECT,
            bucket_policy=None, bucket_account=ACCOUNT, kms_key_arn=KMS_KEY,
        )  # fmt: skip

    assert with_key(FULL) == SourceDenied(reason=FailureReason.SrcGetObjectNotPermitted)
    decrypt = identity("kms:Decrypt", resource=KMS_KEY)
    assert with_key(FULL, decrypt) == SourceGrant(include_tags=True)
    in_the_region = parse_policy(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": KMS_KEY,
                        "Condition": {
                            "StringLike": {
                                "kms:ViaService": "s3.us-east-1.amazonaws.com",
                                "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::src/*",
                            }
                        },
                    }
                ],
            }
        ),
        PolicyKind.IDENTITY,
    )
    assert with_key(FULL, in_the_region) == SourceGrant(include_tags=True)
    foreign = KMS_KEY.replace(ACCOUNT, "999999999999")
    everything = identity("kms:*", resource="*")
    denied = check_source(
        role(FULL, everything), bucket="src", key="photos/a.jpg", operation=Operation.OBJECT,
        bucket_policy=None, bucket_account=ACCOUNT, kms_key_arn=foreign,
    )  # fmt: skip
    assert denied == SourceDenied(reason=FailureReason.SrcGetObjectNotPermitted)


def test_without_get_replication_configuration_nothing_replicates() -> None:
    lists_only = identity("s3:ListBucket", resource="arn:aws:s3:::src")
    for operation in Operation:
        verdict = check(role(FULL, lists_only, bucket_reads=False), operation)
        assert verdict == SourceDenied(reason=FailureReason.SrcBucketReplicationConfigMissing)


def test_a_delete_marker_is_found_by_listing_the_bucket() -> None:
    config_only = identity("s3:GetReplicationConfiguration", resource="arn:aws:s3:::src")
    verdict = check(role(FULL, config_only, bucket_reads=False), Operation.DELETE_MARKER)
    assert verdict == SourceDenied(reason=FailureReason.SrcHeadObjectNotPermitted)
    assert check(role(FULL, config_only, bucket_reads=False)) == SourceGrant(include_tags=True)


BATCH_TRUST = TRUST.replace('"s3.amazonaws.com"', '"batchoperations.s3.amazonaws.com"')


def test_a_batch_job_role_must_trust_batch_operations_and_initiate_replication() -> None:
    initiate = identity("s3:InitiateReplication")
    assert check_batch_entry(role(initiate, trust=BATCH_TRUST), bucket="src", key="a") is None
    assert check_batch_entry(role(initiate), bucket="src", key="a") is (
        FailureReason.AssumeRoleNotPermitted
    )  # trusts s3.amazonaws.com only
    assert check_batch_entry(None, bucket="src", key="a") is FailureReason.AssumeRoleNotPermitted
    assert check_batch_entry(role(FULL, trust=BATCH_TRUST), bucket="src", key="a") is (
        FailureReason.InitiateReplicationNotPermitted
    )
    assert check_batch_entry(role(initiate, trust=BATCH_TRUST), bucket="other", key="a") is (
        FailureReason.InitiateReplicationNotPermitted
    )
