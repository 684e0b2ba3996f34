"""S3's actions and the resource type each acts on ("Actions, resources, and condition keys for
Amazon S3"), and the checks PutBucketPolicy makes with them: every resource lies inside the
bucket, and every statement's actions apply to at least one of its resources.
"""

from __future__ import annotations

from enum import StrEnum

from ferry.control.errors import MalformedPolicy
from ferry.control.policy.model import Policy, Statement
from ferry.control.policy.wildcards import matches_wildcard


class ResourceType(StrEnum):
    SERVICE = "service"
    BUCKET = "bucket"
    OBJECT = "object"


_OBJECT_ACTIONS = """
AbortMultipartUpload BypassGovernanceRetention DeleteObject DeleteObjectTagging
DeleteObjectVersion DeleteObjectVersionTagging GetObject GetObjectAcl GetObjectAttributes
GetObjectLegalHold GetObjectRetention GetObjectTagging GetObjectTorrent GetObjectVersion
GetObjectVersionAcl GetObjectVersionAttributes GetObjectVersionForReplication
GetObjectVersionTagging GetObjectVersionTorrent InitiateReplication ListMultipartUploadParts
ObjectOwnerOverrideToBucketOwner PutObject PutObjectAcl PutObjectLegalHold PutObjectRetention
PutObjectTagging PutObjectVersionAcl PutObjectVersionTagging ReplicateDelete ReplicateObject
ReplicateTags RestoreObject
"""
_BUCKET_ACTIONS = """
CreateBucket DeleteBucket DeleteBucketOwnershipControls DeleteBucketPolicy
DeleteBucketWebsite GetAccelerateConfiguration GetAnalyticsConfiguration GetBucketAcl
GetBucketCORS GetBucketLocation GetBucketLogging GetBucketNotification
GetBucketObjectLockConfiguration GetBucketOwnershipControls GetBucketPolicy
GetBucketPolicyStatus GetBucketPublicAccessBlock GetBucketRequestPayment GetBucketTagging
GetBucketVersioning GetBucketWebsite GetEncryptionConfiguration
GetIntelligentTieringConfiguration GetInventoryConfiguration GetLifecycleConfiguration
GetMetricsConfiguration GetReplicationConfiguration ListBucket ListBucketMultipartUploads
ListBucketVersions PutAccelerateConfiguration PutAnalyticsConfiguration PutBucketAcl
PutBucketCORS PutBucketLogging PutBucketNotification PutBucketObjectLockConfiguration
PutBucketOwnershipControls PutBucketPolicy PutBucketPublicAccessBlock PutBucketRequestPayment
PutBucketTagging PutBucketVersioning PutBucketWebsite PutEncryptionConfiguration
PutIntelligentTieringConfiguration PutInventoryConfiguration PutLifecycleConfiguration
PutMetricsConfiguration PutReplicationConfiguration
"""
_SERVICE_ACTIONS = """
CreateJob DescribeJob GetAccountPublicAccessBlock ListAllMyBuckets ListJobs
PutAccountPublicAccessBlock UpdateJobPriority UpdateJobStatus
"""

S3_ACTIONS: dict[str, ResourceType] = {
    f"s3:{name}": kind
    for names, kind in (
        (_OBJECT_ACTIONS, ResourceType.OBJECT),
        (_BUCKET_ACTIONS, ResourceType.BUCKET),
        (_SERVICE_ACTIONS, ResourceType.SERVICE),
    )
    for name in names.split()
}
S3_ARN_PREFIX = "arn:aws:s3:::"


def check_bucket_policy(policy: Policy, bucket: str) -> None:
    """PutBucketPolicy's checks beyond the grammar, with S3's MalformedPolicy messages."""
    for statement in policy.statements:
        resources = statement.resources or statement.not_resources or ()
        types = {_resource_type(resource, bucket) for resource in resources}
        _check_actions(statement, types)


def _resource_type(resource: str, bucket: str) -> ResourceType:
    if not resource.startswith(S3_ARN_PREFIX):
        raise MalformedPolicy("Policy has invalid resource")
    name, slash, _ = resource.removeprefix(S3_ARN_PREFIX).partition("/")
    if name != bucket:
        raise MalformedPolicy("Policy has invalid resource")
    return ResourceType.OBJECT if slash else ResourceType.BUCKET


def _check_actions(statement: Statement, types: set[ResourceType]) -> None:
    if statement.actions is None:
        return  # NotAction names what it excludes: it always leaves something that applies
    applies = False
    for pattern in statement.actions:
        matched = [
            kind
            for action, kind in S3_ACTIONS.items()
            if matches_wildcard(pattern, action, ignore_case=True)
        ]
        if not matched:
            raise MalformedPolicy("Policy has invalid action")
        applies = applies or any(kind in types for kind in matched)
    if not applies:
        raise MalformedPolicy("Action does not apply to any resource(s) in statement")
