"""The route table: (method, target, query key, header) → operation, IAM action, handler.

First match wins, so specific rows (sub-resources, copy headers) come before the plain ones.
A request naming a sub-resource that no row serves gets NotImplemented, never a plain
GET/PUT by accident.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from ferry.api.context import RequestContext
from ferry.api.handlers import (
    buckets,
    cors,
    encryption,
    lifecycle,
    listing,
    logging,
    multipart,
    notification,
    object_lock,
    objects,
    ownership,
    policy,
    post_object,
    public_access,
    replicas,
    replication,
    service,
    subresources,
)
from ferry.api.http import Request, Response
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.paths import BucketPath, ObjectPath, Root, S3Path

Handler = Callable[[RequestContext], Awaitable[Response]]


class Target(StrEnum):
    SERVICE = "service"
    BUCKET = "bucket"
    OBJECT = "object"


class Op(StrEnum):
    ListBuckets = "ListBuckets"
    CreateBucket = "CreateBucket"
    HeadBucket = "HeadBucket"
    DeleteBucket = "DeleteBucket"
    GetBucketLocation = "GetBucketLocation"
    PutBucketVersioning = "PutBucketVersioning"
    GetBucketVersioning = "GetBucketVersioning"
    PutBucketTagging = "PutBucketTagging"
    GetBucketTagging = "GetBucketTagging"
    DeleteBucketTagging = "DeleteBucketTagging"
    PutBucketAcl = "PutBucketAcl"
    GetBucketAcl = "GetBucketAcl"
    PutBucketReplication = "PutBucketReplication"
    GetBucketReplication = "GetBucketReplication"
    DeleteBucketReplication = "DeleteBucketReplication"
    PutBucketNotificationConfiguration = "PutBucketNotificationConfiguration"
    GetBucketNotificationConfiguration = "GetBucketNotificationConfiguration"
    PutBucketPolicy = "PutBucketPolicy"
    GetBucketPolicy = "GetBucketPolicy"
    DeleteBucketPolicy = "DeleteBucketPolicy"
    GetBucketPolicyStatus = "GetBucketPolicyStatus"
    PutBucketEncryption = "PutBucketEncryption"
    GetBucketEncryption = "GetBucketEncryption"
    DeleteBucketEncryption = "DeleteBucketEncryption"
    PutObjectLockConfiguration = "PutObjectLockConfiguration"
    GetObjectLockConfiguration = "GetObjectLockConfiguration"
    PutObjectRetention = "PutObjectRetention"
    GetObjectRetention = "GetObjectRetention"
    PutObjectLegalHold = "PutObjectLegalHold"
    GetObjectLegalHold = "GetObjectLegalHold"
    PutBucketLifecycleConfiguration = "PutBucketLifecycleConfiguration"
    GetBucketLifecycleConfiguration = "GetBucketLifecycleConfiguration"
    DeleteBucketLifecycle = "DeleteBucketLifecycle"
    PutBucketLogging = "PutBucketLogging"
    GetBucketLogging = "GetBucketLogging"
    PutBucketOwnershipControls = "PutBucketOwnershipControls"
    GetBucketOwnershipControls = "GetBucketOwnershipControls"
    DeleteBucketOwnershipControls = "DeleteBucketOwnershipControls"
    PutPublicAccessBlock = "PutPublicAccessBlock"
    GetPublicAccessBlock = "GetPublicAccessBlock"
    DeletePublicAccessBlock = "DeletePublicAccessBlock"
    PutBucketCors = "PutBucketCors"
    GetBucketCors = "GetBucketCors"
    DeleteBucketCors = "DeleteBucketCors"
    ListObjects = "ListObjects"
    ListObjectsV2 = "ListObjectsV2"
    ListObjectVersions = "ListObjectVersions"
    ListMultipartUploads = "ListMultipartUploads"
    DeleteObjects = "DeleteObjects"
    PutObject = "PutObject"
    PostObject = "PostObject"  # browser-based upload (a POST policy form)
    CopyObject = "CopyObject"
    GetObject = "GetObject"
    HeadObject = "HeadObject"
    DeleteObject = "DeleteObject"
    GetObjectAttributes = "GetObjectAttributes"
    PutObjectTagging = "PutObjectTagging"
    GetObjectTagging = "GetObjectTagging"
    DeleteObjectTagging = "DeleteObjectTagging"
    PutObjectAcl = "PutObjectAcl"
    GetObjectAcl = "GetObjectAcl"
    CreateMultipartUpload = "CreateMultipartUpload"
    UploadPart = "UploadPart"
    UploadPartCopy = "UploadPartCopy"
    CompleteMultipartUpload = "CompleteMultipartUpload"
    AbortMultipartUpload = "AbortMultipartUpload"
    ListParts = "ListParts"
    # Ferry's replica write path (IAM: the replication role's destination actions).
    ReplicateObject = "ReplicateObject"
    ReplicateDelete = "ReplicateDelete"
    ReplicateTags = "ReplicateTags"
    ReplicateBatch = "ReplicateBatch"  # many small replicas in one request (Ferry's own)


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    method: str
    target: Target
    op: Op
    action: str  # the IAM action S3 authorises this operation as
    handler: Handler
    query_key: str | None = None
    header: str | None = None


_S, _B, _O = Target.SERVICE, Target.BUCKET, Target.OBJECT

ROUTES: tuple[Route, ...] = (
    Route(method="GET", target=_S, op=Op.ListBuckets, action="s3:ListAllMyBuckets",
          handler=service.list_buckets),
    # bucket sub-resources
    Route(method="GET", target=_B, query_key="location", op=Op.GetBucketLocation,
          action="s3:GetBucketLocation", handler=buckets.get_bucket_location),
    Route(method="PUT", target=_B, query_key="versioning", op=Op.PutBucketVersioning,
          action="s3:PutBucketVersioning", handler=buckets.put_bucket_versioning),
    Route(method="GET", target=_B, query_key="versioning", op=Op.GetBucketVersioning,
          action="s3:GetBucketVersioning", handler=buckets.get_bucket_versioning),
    Route(method="PUT", target=_B, query_key="tagging", op=Op.PutBucketTagging,
          action="s3:PutBucketTagging", handler=subresources.put_bucket_tagging),
    Route(method="GET", target=_B, query_key="tagging", op=Op.GetBucketTagging,
          action="s3:GetBucketTagging", handler=subresources.get_bucket_tagging),
    Route(method="DELETE", target=_B, query_key="tagging", op=Op.DeleteBucketTagging,
          action="s3:PutBucketTagging", handler=subresources.delete_bucket_tagging),
    Route(method="PUT", target=_B, query_key="acl", op=Op.PutBucketAcl,
          action="s3:PutBucketAcl", handler=subresources.put_bucket_acl),
    Route(method="GET", target=_B, query_key="acl", op=Op.GetBucketAcl,
          action="s3:GetBucketAcl", handler=subresources.get_bucket_acl),
    Route(method="PUT", target=_B, query_key="replication", op=Op.PutBucketReplication,
          action="s3:PutReplicationConfiguration",
          handler=replication.put_bucket_replication),
    Route(method="GET", target=_B, query_key="replication", op=Op.GetBucketReplication,
          action="s3:GetReplicationConfiguration",
          handler=replication.get_bucket_replication),
    Route(method="DELETE", target=_B, query_key="replication", op=Op.DeleteBucketReplication,
          action="s3:PutReplicationConfiguration",
          handler=replication.delete_bucket_replication),
    Route(method="PUT", target=_B, query_key="notification",
          op=Op.PutBucketNotificationConfiguration, action="s3:PutBucketNotification",
          handler=notification.put_bucket_notification_configuration),
    Route(method="GET", target=_B, query_key="notification",
          op=Op.GetBucketNotificationConfiguration, action="s3:GetBucketNotification",
          handler=notification.get_bucket_notification_configuration),
    Route(method="PUT", target=_B, query_key="policy", op=Op.PutBucketPolicy,
          action="s3:PutBucketPolicy", handler=policy.put_bucket_policy),
    Route(method="GET", target=_B, query_key="policy", op=Op.GetBucketPolicy,
          action="s3:GetBucketPolicy", handler=policy.get_bucket_policy),
    Route(method="DELETE", target=_B, query_key="policy", op=Op.DeleteBucketPolicy,
          action="s3:DeleteBucketPolicy", handler=policy.delete_bucket_policy),
    Route(method="GET", target=_B, query_key="policyStatus", op=Op.GetBucketPolicyStatus,
          action="s3:GetBucketPolicyStatus", handler=policy.get_bucket_policy_status),
    Route(method="PUT", target=_B, query_key="encryption", op=Op.PutBucketEncryption,
          action="s3:PutEncryptionConfiguration", handler=encryption.put_bucket_encryption),
    Route(method="GET", target=_B, query_key="encryption", op=Op.GetBucketEncryption,
          action="s3:GetEncryptionConfiguration", handler=encryption.get_bucket_encryption),
    Route(method="DELETE", target=_B, query_key="encryption", op=Op.DeleteBucketEncryption,
          action="s3:PutEncryptionConfiguration", handler=encryption.delete_bucket_encryption),
    Route(method="PUT", target=_B, query_key="object-lock", op=Op.PutObjectLockConfiguration,
          action="s3:PutBucketObjectLockConfiguration",
          handler=object_lock.put_object_lock_configuration),
    Route(method="GET", target=_B, query_key="object-lock", op=Op.GetObjectLockConfiguration,
          action="s3:GetBucketObjectLockConfiguration",
          handler=object_lock.get_object_lock_configuration),
    Route(method="PUT", target=_B, query_key="lifecycle", op=Op.PutBucketLifecycleConfiguration,
          action="s3:PutLifecycleConfiguration",
          handler=lifecycle.put_bucket_lifecycle_configuration),
    Route(method="GET", target=_B, query_key="lifecycle", op=Op.GetBucketLifecycleConfiguration,
          action="s3:GetLifecycleConfiguration",
          handler=lifecycle.get_bucket_lifecycle_configuration),
    Route(method="DELETE", target=_B, query_key="lifecycle", op=Op.DeleteBucketLifecycle,
          action="s3:PutLifecycleConfiguration", handler=lifecycle.delete_bucket_lifecycle),
    Route(method="PUT", target=_B, query_key="logging", op=Op.PutBucketLogging,
          action="s3:PutBucketLogging", handler=logging.put_bucket_logging),
    Route(method="GET", target=_B, query_key="logging", op=Op.GetBucketLogging,
          action="s3:GetBucketLogging", handler=logging.get_bucket_logging),
    Route(method="PUT", target=_B, query_key="ownershipControls",
          op=Op.PutBucketOwnershipControls, action="s3:PutBucketOwnershipControls",
          handler=ownership.put_bucket_ownership_controls),
    Route(method="GET", target=_B, query_key="ownershipControls",
          op=Op.GetBucketOwnershipControls, action="s3:GetBucketOwnershipControls",
          handler=ownership.get_bucket_ownership_controls),
    Route(method="DELETE", target=_B, query_key="ownershipControls",
          op=Op.DeleteBucketOwnershipControls, action="s3:PutBucketOwnershipControls",
          handler=ownership.delete_bucket_ownership_controls),
    Route(method="PUT", target=_B, query_key="publicAccessBlock", op=Op.PutPublicAccessBlock,
          action="s3:PutBucketPublicAccessBlock",
          handler=public_access.put_public_access_block),
    Route(method="GET", target=_B, query_key="publicAccessBlock", op=Op.GetPublicAccessBlock,
          action="s3:GetBucketPublicAccessBlock",
          handler=public_access.get_public_access_block),
    Route(method="DELETE", target=_B, query_key="publicAccessBlock",
          op=Op.DeletePublicAccessBlock, action="s3:PutBucketPublicAccessBlock",
          handler=public_access.delete_public_access_block),
    Route(method="PUT", target=_B, query_key="cors", op=Op.PutBucketCors,
          action="s3:PutBucketCORS", handler=cors.put_bucket_cors),
    Route(method="GET", target=_B, query_key="cors", op=Op.GetBucketCors,
          action="s3:GetBucketCORS", handler=cors.get_bucket_cors),
    Route(method="DELETE", target=_B, query_key="cors", op=Op.DeleteBucketCors,
          action="s3:PutBucketCORS", handler=cors.delete_bucket_cors),
    Route(method="GET", target=_B, query_key="versions", op=Op.ListObjectVersions,
          action="s3:ListBucketVersions", handler=listing.list_object_versions),
    Route(method="GET", target=_B, query_key="uploads", op=Op.ListMultipartUploads,
          action="s3:ListBucketMultipartUploads", handler=multipart.list_multipart_uploads),
    Route(method="POST", target=_B, query_key="delete", op=Op.DeleteObjects,
          action="s3:DeleteObject", handler=objects.delete_objects),
    Route(method="GET", target=_B, query_key="list-type", op=Op.ListObjectsV2,
          action="s3:ListBucket", handler=listing.list_objects_v2),
    # plain bucket operations
    Route(method="PUT", target=_B, op=Op.CreateBucket, action="s3:CreateBucket",
          handler=buckets.create_bucket),
    Route(method="HEAD", target=_B, op=Op.HeadBucket, action="s3:ListBucket",
          handler=buckets.head_bucket),
    Route(method="DELETE", target=_B, op=Op.DeleteBucket, action="s3:DeleteBucket",
          handler=buckets.delete_bucket),
    Route(method="GET", target=_B, op=Op.ListObjects, action="s3:ListBucket",
          handler=listing.list_objects),
    # replication writes: before everything else on objects, recognised by their header
    Route(method="PUT", target=_O, query_key="tagging", header="x-ferry-replica",
          op=Op.ReplicateTags, action="s3:ReplicateTags", handler=replicas.replicate_tags),
    Route(method="PUT", target=_O, header="x-ferry-replica", op=Op.ReplicateObject,
          action="s3:ReplicateObject", handler=replicas.replicate_object),
    Route(method="DELETE", target=_O, header="x-ferry-replica", op=Op.ReplicateDelete,
          action="s3:ReplicateDelete", handler=replicas.replicate_delete),
    # many small replicas in one request: part of the replica write path; each item is then
    # authorised with its own action (handlers/replicas.authorize_replica_item)
    Route(method="POST", target=_B, header="x-ferry-replica", op=Op.ReplicateBatch,
          action="s3:ReplicateObject", handler=replicas.replicate_batch),
    # browser-based uploads: authenticated from the form (api/app.py, api/post_form.py)
    Route(method="POST", target=_B, op=Op.PostObject, action="s3:PutObject",
          handler=post_object.post_object),
    # object sub-resources
    Route(method="PUT", target=_O, query_key="uploadId", header="x-amz-copy-source",
          op=Op.UploadPartCopy, action="s3:PutObject", handler=multipart.upload_part_copy),
    Route(method="PUT", target=_O, query_key="uploadId", op=Op.UploadPart,
          action="s3:PutObject", handler=multipart.upload_part),
    Route(method="GET", target=_O, query_key="uploadId", op=Op.ListParts,
          action="s3:ListMultipartUploadParts", handler=multipart.list_parts),
    Route(method="DELETE", target=_O, query_key="uploadId", op=Op.AbortMultipartUpload,
          action="s3:AbortMultipartUpload", handler=multipart.abort_multipart_upload),
    Route(method="POST", target=_O, query_key="uploads", op=Op.CreateMultipartUpload,
          action="s3:PutObject", handler=multipart.create_multipart_upload),
    Route(method="POST", target=_O, query_key="uploadId", op=Op.CompleteMultipartUpload,
          action="s3:PutObject", handler=multipart.complete_multipart_upload),
    Route(method="PUT", target=_O, query_key="tagging", op=Op.PutObjectTagging,
          action="s3:PutObjectTagging", handler=subresources.put_object_tagging),
    Route(method="GET", target=_O, query_key="tagging", op=Op.GetObjectTagging,
          action="s3:GetObjectTagging", handler=subresources.get_object_tagging),
    Route(method="DELETE", target=_O, query_key="tagging", op=Op.DeleteObjectTagging,
          action="s3:DeleteObjectTagging", handler=subresources.delete_object_tagging),
    Route(method="PUT", target=_O, query_key="acl", op=Op.PutObjectAcl,
          action="s3:PutObjectAcl", handler=subresources.put_object_acl),
    Route(method="GET", target=_O, query_key="acl", op=Op.GetObjectAcl,
          action="s3:GetObjectAcl", handler=subresources.get_object_acl),
    Route(method="PUT", target=_O, query_key="retention", op=Op.PutObjectRetention,
          action="s3:PutObjectRetention", handler=object_lock.put_object_retention),
    Route(method="GET", target=_O, query_key="retention", op=Op.GetObjectRetention,
          action="s3:GetObjectRetention", handler=object_lock.get_object_retention),
    Route(method="PUT", target=_O, query_key="legal-hold", op=Op.PutObjectLegalHold,
          action="s3:PutObjectLegalHold", handler=object_lock.put_object_legal_hold),
    Route(method="GET", target=_O, query_key="legal-hold", op=Op.GetObjectLegalHold,
          action="s3:GetObjectLegalHold", handler=object_lock.get_object_legal_hold),
    Route(method="GET", target=_O, query_key="attributes", op=Op.GetObjectAttributes,
          action="s3:GetObjectAttributes", handler=objects.get_object_attributes),
    # plain object operations
    Route(method="PUT", target=_O, header="x-amz-copy-source", op=Op.CopyObject,
          action="s3:PutObject", handler=objects.copy_object),
    Route(method="PUT", target=_O, op=Op.PutObject, action="s3:PutObject",
          handler=objects.put_object),
    Route(method="GET", target=_O, op=Op.GetObject, action="s3:GetObject",
          handler=objects.get_object),
    Route(method="HEAD", target=_O, op=Op.HeadObject, action="s3:GetObject",
          handler=objects.head_object),
    Route(method="DELETE", target=_O, op=Op.DeleteObject, action="s3:DeleteObject",
          handler=objects.delete_object),
)  # fmt: skip

# Query keys that name an S3 sub-resource or action: their presence changes the operation.
SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption",
        "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging",
        "metadataTable", "metrics", "notification", "object-lock", "ownershipControls",
        "policy", "policyStatus", "publicAccessBlock", "renameObject", "replication",
        "requestPayment", "restore", "retention", "select", "session", "tagging", "torrent",
        "uploadId", "uploads", "versioning", "versions", "website", "list-type",
    }
)  # fmt: skip


def _target_of(path: S3Path) -> Target:
    match path:
        case Root():
            return Target.SERVICE
        case BucketPath():
            return Target.BUCKET
        case ObjectPath():
            return Target.OBJECT


def match_route(request: Request, path: S3Path) -> Route:
    target = _target_of(path)
    params = request.params
    named = [k for k in params if k in SUBRESOURCES]
    for route in ROUTES:
        if route.method != request.method or route.target is not target:
            continue
        if route.query_key is None:
            if named:
                continue
        elif route.query_key not in params:
            continue
        if route.header is not None and route.header not in request.headers:
            continue
        return route
    if not named and request.method in ("GET", "PUT", "HEAD", "DELETE", "POST"):
        if target is Target.SERVICE and request.method != "GET":
            raise S3Error(S3ErrorCode.MethodNotAllowed)
        if request.method == "POST":
            raise S3Error(S3ErrorCode.MethodNotAllowed)
    raise S3Error(S3ErrorCode.NotImplemented, "This operation is not implemented by Ferry.")
