"""The route table: (method, path kind, query, headers) → (operation, IAM action)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from ferry.api.http import Message, Request
from ferry.api.routing import ROUTES, Op, Route, Target, match_route
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.paths import BucketPath, ObjectPath, Root, S3Path

PATHS: dict[Target, S3Path] = {
    Target.SERVICE: Root(),
    Target.BUCKET: BucketPath("bucket"),
    Target.OBJECT: ObjectPath("bucket", "dir/key.txt"),
}
COPY = {"x-amz-copy-source": "/src/key.txt"}
UPLOAD = {"uploadId": "upl-1", "partNumber": "3"}
REPLICA = {"x-ferry-replica": "framed"}
_S, _B, _O = Target.SERVICE, Target.BUCKET, Target.OBJECT


async def _never_read() -> Message:
    raise AssertionError("routing must not read the body")


def make_request(
    method: str, query: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
) -> Request:
    pairs = list((query or {}).items())
    return Request(
        method=method,
        raw_path="/",
        path="/",
        query_string="&".join(f"{k}={v}" for k, v in pairs).encode(),
        query=pairs,
        headers={"host": "127.0.0.1:9000", **(headers or {})},
        scheme="http",
        client_host="127.0.0.1",
        receive=_never_read,
        params=dict(pairs),
    )


def route_for(
    method: str,
    target: Target,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Route:
    return match_route(make_request(method, query, headers), PATHS[target])


# (method, target, query, headers) → (op, IAM action): written out, not derived from ROUTES.
CASES: list[tuple[str, Target, dict[str, str], dict[str, str], Op, str]] = [
    ("GET", _S, {}, {}, Op.ListBuckets, "s3:ListAllMyBuckets"),
    ("GET", _S, {"prefix": "a"}, {}, Op.ListBuckets, "s3:ListAllMyBuckets"),
    ("PUT", _B, {}, {}, Op.CreateBucket, "s3:CreateBucket"),
    ("HEAD", _B, {}, {}, Op.HeadBucket, "s3:ListBucket"),
    ("DELETE", _B, {}, {}, Op.DeleteBucket, "s3:DeleteBucket"),
    ("GET", _B, {"location": ""}, {}, Op.GetBucketLocation, "s3:GetBucketLocation"),
    ("PUT", _B, {"versioning": ""}, {}, Op.PutBucketVersioning, "s3:PutBucketVersioning"),
    ("GET", _B, {"versioning": ""}, {}, Op.GetBucketVersioning, "s3:GetBucketVersioning"),
    ("PUT", _B, {"encryption": ""}, {}, Op.PutBucketEncryption, "s3:PutEncryptionConfiguration"),
    ("GET", _B, {"encryption": ""}, {}, Op.GetBucketEncryption, "s3:GetEncryptionConfiguration"),
    ("PUT", _B, {"logging": ""}, {}, Op.PutBucketLogging, "s3:PutBucketLogging"),
    ("GET", _B, {"logging": ""}, {}, Op.GetBucketLogging, "s3:GetBucketLogging"),
    ("DELETE", _B, {"encryption": ""}, {}, Op.DeleteBucketEncryption,
     "s3:PutEncryptionConfiguration"),
    ("PUT", _B, {"lifecycle": ""}, {}, Op.PutBucketLifecycleConfiguration,
     "s3:PutLifecycleConfiguration"),
    ("GET", _B, {"lifecycle": ""}, {}, Op.GetBucketLifecycleConfiguration,
     "s3:GetLifecycleConfiguration"),
    ("DELETE", _B, {"lifecycle": ""}, {}, Op.DeleteBucketLifecycle,
     "s3:PutLifecycleConfiguration"),
    ("PUT", _B, {"tagging": ""}, {}, Op.PutBucketTagging, "s3:PutBucketTagging"),
    ("PUT", _B, {"object-lock": ""}, {}, Op.PutObjectLockConfiguration,
     "s3:PutBucketObjectLockConfiguration"),
    ("GET", _B, {"object-lock": ""}, {}, Op.GetObjectLockConfiguration,
     "s3:GetBucketObjectLockConfiguration"),
    ("PUT", _O, {"retention": ""}, {}, Op.PutObjectRetention, "s3:PutObjectRetention"),
    ("GET", _O, {"retention": ""}, {}, Op.GetObjectRetention, "s3:GetObjectRetention"),
    ("PUT", _O, {"legal-hold": ""}, {}, Op.PutObjectLegalHold, "s3:PutObjectLegalHold"),
    ("GET", _O, {"legal-hold": ""}, {}, Op.GetObjectLegalHold, "s3:GetObjectLegalHold"),
    ("GET", _B, {"tagging": ""}, {}, Op.GetBucketTagging, "s3:GetBucketTagging"),
    ("DELETE", _B, {"tagging": ""}, {}, Op.DeleteBucketTagging, "s3:PutBucketTagging"),
    ("PUT", _B, {"acl": ""}, {}, Op.PutBucketAcl, "s3:PutBucketAcl"),
    ("GET", _B, {"acl": ""}, {}, Op.GetBucketAcl, "s3:GetBucketAcl"),
    ("PUT", _B, {"replication": ""}, {}, Op.PutBucketReplication,
     "s3:PutReplicationConfiguration"),
    ("GET", _B, {"replication": ""}, {}, Op.GetBucketReplication,
     "s3:GetReplicationConfiguration"),
    ("DELETE", _B, {"replication": ""}, {}, Op.DeleteBucketReplication,
     "s3:PutReplicationConfiguration"),
    ("PUT", _B, {"notification": ""}, {}, Op.PutBucketNotificationConfiguration,
     "s3:PutBucketNotification"),
    ("GET", _B, {"notification": ""}, {}, Op.GetBucketNotificationConfiguration,
     "s3:GetBucketNotification"),
    ("PUT", _B, {"policy": ""}, {}, Op.PutBucketPolicy, "s3:PutBucketPolicy"),
    ("GET", _B, {"policy": ""}, {}, Op.GetBucketPolicy, "s3:GetBucketPolicy"),
    ("DELETE", _B, {"policy": ""}, {}, Op.DeleteBucketPolicy, "s3:DeleteBucketPolicy"),
    ("GET", _B, {"policyStatus": ""}, {}, Op.GetBucketPolicyStatus, "s3:GetBucketPolicyStatus"),
    ("PUT", _B, {"ownershipControls": ""}, {}, Op.PutBucketOwnershipControls,
     "s3:PutBucketOwnershipControls"),
    ("GET", _B, {"ownershipControls": ""}, {}, Op.GetBucketOwnershipControls,
     "s3:GetBucketOwnershipControls"),
    ("DELETE", _B, {"ownershipControls": ""}, {}, Op.DeleteBucketOwnershipControls,
     "s3:PutBucketOwnershipControls"),
    ("PUT", _B, {"publicAccessBlock": ""}, {}, Op.PutPublicAccessBlock,
     "s3:PutBucketPublicAccessBlock"),
    ("GET", _B, {"publicAccessBlock": ""}, {}, Op.GetPublicAccessBlock,
     "s3:GetBucketPublicAccessBlock"),
    ("DELETE", _B, {"publicAccessBlock": ""}, {}, Op.DeletePublicAccessBlock,
     "s3:PutBucketPublicAccessBlock"),
    ("PUT", _B, {"cors": ""}, {}, Op.PutBucketCors, "s3:PutBucketCORS"),
    ("GET", _B, {"cors": ""}, {}, Op.GetBucketCors, "s3:GetBucketCORS"),
    ("DELETE", _B, {"cors": ""}, {}, Op.DeleteBucketCors, "s3:PutBucketCORS"),
    ("GET", _B, {}, {}, Op.ListObjects, "s3:ListBucket"),
    ("GET", _B, {"prefix": "a/", "marker": "a/b"}, {}, Op.ListObjects, "s3:ListBucket"),
    ("GET", _B, {"list-type": "2"}, {}, Op.ListObjectsV2, "s3:ListBucket"),
    ("GET", _B, {"versions": ""}, {}, Op.ListObjectVersions, "s3:ListBucketVersions"),
    ("GET", _B, {"uploads": ""}, {}, Op.ListMultipartUploads, "s3:ListBucketMultipartUploads"),
    ("POST", _B, {"delete": ""}, {}, Op.DeleteObjects, "s3:DeleteObject"),
    ("PUT", _O, {}, {}, Op.PutObject, "s3:PutObject"),
    ("PUT", _O, {}, COPY, Op.CopyObject, "s3:PutObject"),
    ("GET", _O, {}, {}, Op.GetObject, "s3:GetObject"),
    ("GET", _O, {"versionId": "v1", "partNumber": "1"}, {}, Op.GetObject, "s3:GetObject"),
    ("HEAD", _O, {}, {}, Op.HeadObject, "s3:GetObject"),
    ("DELETE", _O, {"versionId": "v1"}, {}, Op.DeleteObject, "s3:DeleteObject"),
    ("GET", _O, {"attributes": ""}, {}, Op.GetObjectAttributes, "s3:GetObjectAttributes"),
    ("PUT", _O, {"tagging": ""}, {}, Op.PutObjectTagging, "s3:PutObjectTagging"),
    ("GET", _O, {"tagging": ""}, {}, Op.GetObjectTagging, "s3:GetObjectTagging"),
    ("DELETE", _O, {"tagging": ""}, {}, Op.DeleteObjectTagging, "s3:DeleteObjectTagging"),
    ("PUT", _O, {"acl": ""}, {}, Op.PutObjectAcl, "s3:PutObjectAcl"),
    ("GET", _O, {"acl": ""}, {}, Op.GetObjectAcl, "s3:GetObjectAcl"),
    ("POST", _O, {"uploads": ""}, {}, Op.CreateMultipartUpload, "s3:PutObject"),
    ("PUT", _O, UPLOAD, {}, Op.UploadPart, "s3:PutObject"),
    ("PUT", _O, UPLOAD, COPY, Op.UploadPartCopy, "s3:PutObject"),
    ("POST", _O, {"uploadId": "upl-1"}, {}, Op.CompleteMultipartUpload, "s3:PutObject"),
    ("DELETE", _O, {"uploadId": "upl-1"}, {}, Op.AbortMultipartUpload, "s3:AbortMultipartUpload"),
    ("GET", _O, {"uploadId": "upl-1"}, {}, Op.ListParts, "s3:ListMultipartUploadParts"),
    ("PUT", _O, {}, REPLICA, Op.ReplicateObject, "s3:ReplicateObject"),
    ("DELETE", _O, {}, REPLICA, Op.ReplicateDelete, "s3:ReplicateDelete"),
    ("PUT", _O, {"tagging": ""}, REPLICA, Op.ReplicateTags, "s3:ReplicateTags"),
    ("POST", _B, {}, {"x-ferry-replica": "batch"}, Op.ReplicateBatch, "s3:ReplicateObject"),
    ("POST", _B, {}, {}, Op.PostObject, "s3:PutObject"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "target", "query", "headers", "op", "action"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{'&'.join(c[2])}-{c[4]}" for c in CASES],
)
def test_request_maps_to_operation_and_iam_action(
    method: str,
    target: Target,
    query: dict[str, str],
    headers: dict[str, str],
    op: Op,
    action: str,
) -> None:
    route = route_for(method, target, query, headers)
    assert (route.op, route.action) == (op, action)


def test_cases_cover_every_route_row() -> None:
    assert {op for *_, op, _ in CASES} == {route.op for route in ROUTES}
    assert len({route.op for route in ROUTES}) == len(ROUTES)


@pytest.mark.parametrize("row", ROUTES, ids=[route.op.value for route in ROUTES])
def test_every_route_row_is_reachable(row: Route) -> None:
    """The minimal request a row describes is answered by that row, not an earlier one."""
    query = {row.query_key: "2" if row.query_key == "list-type" else ""} if row.query_key else {}
    headers = {row.header: "/src/key.txt"} if row.header else {}
    assert route_for(row.method, row.target, query, headers) is row


# ---- first match wins


def test_upload_part_with_copy_source_is_upload_part_copy() -> None:
    assert route_for("PUT", _O, UPLOAD, COPY).op is Op.UploadPartCopy
    assert route_for("PUT", _O, UPLOAD).op is Op.UploadPart


def test_put_with_copy_source_is_copy_object() -> None:
    assert route_for("PUT", _O, {}, COPY).op is Op.CopyObject
    assert route_for("PUT", _O).op is Op.PutObject


def test_list_type_makes_list_objects_v2() -> None:
    assert route_for("GET", _B, {"list-type": "2", "prefix": "a"}).op is Op.ListObjectsV2
    assert route_for("GET", _B, {"prefix": "a"}).op is Op.ListObjects


def test_sub_resource_beats_copy_source_header() -> None:
    assert route_for("PUT", _O, {"tagging": ""}, COPY).op is Op.PutObjectTagging


def test_non_sub_resource_query_keys_do_not_change_the_operation() -> None:
    query = {"response-content-type": "text/plain", "x-id": "GetObject", "partNumber": "2"}
    assert route_for("GET", _O, query).op is Op.GetObject


# ---- refusals


def rejected(method: str, target: Target, query: Mapping[str, str] | None = None) -> S3ErrorCode:
    with pytest.raises(S3Error) as caught:
        route_for(method, target, query)
    return caught.value.code


@pytest.mark.parametrize(
    ("method", "target", "query"),
    [
        ("GET", _B, {"website": ""}),
        ("PUT", _B, {"website": ""}),
        ("DELETE", _B, {"website": ""}),
        ("GET", _O, {"torrent": ""}),
        ("POST", _O, {"restore": ""}),
        ("GET", _B, {"uploadId": "upl-1"}),  # an object sub-resource on a bucket
    ],
    ids=[
        "get-website",
        "put-website",
        "delete-website",
        "get-torrent",
        "post-restore",
        "bucket-uploadId",
    ],
)
def test_unknown_sub_resource_is_not_implemented(
    method: str, target: Target, query: dict[str, str]
) -> None:
    assert rejected(method, target, query) is S3ErrorCode.NotImplemented


def test_sub_resource_never_falls_back_to_the_plain_operation() -> None:
    """GET ?website must not be answered as ListObjects, nor PUT ?website as CreateBucket."""
    for method, query in (("GET", {"website": ""}), ("PUT", {"website": ""})):
        with pytest.raises(S3Error):
            route_for(method, _B, query)


def test_post_on_object_without_uploads_or_upload_id_is_refused() -> None:
    assert rejected("POST", _O) is S3ErrorCode.MethodNotAllowed
    assert rejected("POST", _O, {"versionId": "v1"}) is S3ErrorCode.MethodNotAllowed


@pytest.mark.parametrize("method", ["PUT", "DELETE", "HEAD", "POST"])
def test_service_accepts_only_get(method: str) -> None:
    assert rejected(method, _S) is S3ErrorCode.MethodNotAllowed


def test_unknown_method_is_not_implemented() -> None:
    assert rejected("PATCH", _O) is S3ErrorCode.NotImplemented
