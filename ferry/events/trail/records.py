"""One request as the audit trail keeps it, and its two renderings: a CloudTrail record
(`to_cloudtrail`) and a line of S3's server access log (`to_access_log_line`).

The event is built once per request by the API's pipeline from what it saw (the verified
principal, the operation, the addressed bucket and key, the response's status and a few
response headers): never from the request's raw headers or body, so no signature, secret key,
SSE-C key or password can reach it. The one raw value it keeps, the request URI, loses its
signature parameters first (`redact_query`).

Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any
from urllib.parse import quote

EVENT_VERSION = "1.09"
S3_SERVICE = "s3.amazonaws.com"  # invokedBy of replication and batch replication writes
REPLICATION_SESSION = "s3-replication"  # the session name of a replication role's writes
# Query parameters whose values are credentials (SigV4/SigV2 presigned URLs, session tokens).
SECRET_PARAMETERS = frozenset(
    {"x-amz-signature", "signature", "x-amz-security-token", "x-amz-credential-secret"}
)
READ_ONLY_PREFIXES = ("Get", "Head", "List", "Describe")


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """CloudTrail's userIdentity. `type`: Root, IAMUser, AssumedRole, AWSAccount (anonymous)."""

    type: str
    principal_id: str = ""
    arn: str = ""
    account_id: str = ""
    access_key_id: str = ""
    invoked_by: str = ""  # s3.amazonaws.com: S3 itself made the call (replication)
    session_issuer: str = ""  # the role's ARN, for an AssumedRole session


ANONYMOUS_IDENTITY = Identity(type="AWSAccount", principal_id="", account_id="anonymous")


@dataclass(frozen=True, slots=True)
class TrailEvent:
    """One API call (or one item of a replica batch). Field order is the segments' columns;
    not keyword-only, so that a query builds an event from its row positionally (`from_row`,
    the per-row cost of a query); code building events names every field."""

    time_ms: int
    event_source: str  # s3.amazonaws.com, iam.amazonaws.com, sts…, kms…, s3-control…
    event_name: str  # CloudTrail's operation name: PutObject, CreateBucket, CreateKey…
    region: str
    source_ip: str
    user_agent: str
    identity_type: str
    principal_id: str
    arn: str
    account_id: str
    access_key_id: str
    invoked_by: str
    session_issuer: str
    bucket: str
    key: str
    version_id: str
    error_code: str
    error_message: str
    request_id: str
    event_id: str
    # what only the access log shows
    http_status: int
    method: str
    request_uri: str  # path and query, signature parameters removed
    bytes_sent: int
    object_size: int
    total_ms: int
    turnaround_ms: int
    referer: str
    host: str
    signature_version: str  # SigV4, SigV2 or ""
    auth_type: str  # AuthHeader, QueryString or ""
    bucket_owner: str  # canonical ID of the bucket's owner ("" when none is addressed)
    response_elements: str  # JSON object text, or "" (CloudTrail's null)

    @property
    def identity(self) -> Identity:
        return Identity(
            type=self.identity_type, principal_id=self.principal_id, arn=self.arn,
            account_id=self.account_id, access_key_id=self.access_key_id,
            invoked_by=self.invoked_by, session_issuer=self.session_issuer,
        )  # fmt: skip

    def as_row(self) -> tuple[Any, ...]:
        return _ROW(self)  # attrgetter of many names: a tuple


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(TrailEvent))
_ROW = attrgetter(*COLUMNS)  # dataclasses.astuple deep-copies every field: far slower
_INTEGER_COLUMNS = frozenset(
    {"time_ms", "http_status", "bytes_sent", "object_size", "total_ms", "turnaround_ms"}
)


def column_type(name: str) -> str:
    return "INTEGER" if name in _INTEGER_COLUMNS else "TEXT"


def from_row(row: Sequence[Any]) -> TrailEvent:
    return TrailEvent(*row)


def event_time(time_ms: int) -> datetime:
    return datetime.fromtimestamp(time_ms / 1000, UTC)


def redact_query(query: str) -> str:
    """The query string without the values that are credentials (presigned URLs' signature,
    session tokens): their names stay, their values become `REDACTED`."""
    if not query:
        return ""
    parts = []
    for part in query.split("&"):
        name, sep, _ = part.partition("=")
        if sep and name.lower() in SECRET_PARAMETERS:
            part = f"{name}=REDACTED"
        parts.append(part)
    return "&".join(parts)


def is_read_only(event_name: str) -> bool:
    return event_name.startswith(READ_ONLY_PREFIXES)


def to_cloudtrail(event: TrailEvent) -> dict[str, Any]:
    """The CloudTrail record of `event` (AWS's field names and order)."""
    identity: dict[str, Any] = {"type": event.identity_type}
    if event.principal_id:
        identity["principalId"] = event.principal_id
    if event.arn:
        identity["arn"] = event.arn
    identity["accountId"] = event.account_id
    if event.access_key_id:
        identity["accessKeyId"] = event.access_key_id
    if event.session_issuer:
        issuer_name = event.session_issuer.rsplit("/", 1)[-1]
        identity["sessionContext"] = {
            "sessionIssuer": {"type": "Role", "principalId": event.principal_id.split(":")[0],
                              "arn": event.session_issuer, "accountId": event.account_id,
                              "userName": issuer_name},
            "attributes": {"creationDate": _iso(event.time_ms), "mfaAuthenticated": "false"},
        }  # fmt: skip
    if event.invoked_by:
        identity["invokedBy"] = event.invoked_by
    parameters: dict[str, Any] = {}
    if event.bucket:
        parameters["bucketName"] = event.bucket
    if event.host:
        parameters["Host"] = event.host
    if event.key:
        parameters["key"] = event.key
    if event.version_id:
        parameters["versionId"] = event.version_id
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": _iso(event.time_ms),
        "eventSource": event.event_source,
        "eventName": event.event_name,
        "awsRegion": event.region,
        "sourceIPAddress": event.invoked_by or event.source_ip,
        "userAgent": event.invoked_by or event.user_agent,
        "requestParameters": parameters or None,
        "responseElements": json.loads(event.response_elements)
        if event.response_elements
        else None,
    }
    if event.error_code:
        record["errorCode"] = event.error_code
        record["errorMessage"] = event.error_message
    record["additionalEventData"] = _additional(event)
    record["requestID"] = event.request_id
    record["eventID"] = event.event_id
    record["readOnly"] = is_read_only(event.event_name)
    if event.bucket:
        record["resources"] = _resources(event)
    record["eventType"] = "AwsApiCall"
    is_data = event.event_source == S3_SERVICE and bool(event.key)
    record["managementEvent"] = not is_data
    record["recipientAccountId"] = event.account_id or "anonymous"
    record["eventCategory"] = "Data" if is_data else "Management"
    return record


def _additional(event: TrailEvent) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if event.signature_version:
        data["SignatureVersion"] = event.signature_version
    if event.auth_type:
        data["AuthenticationMethod"] = event.auth_type
    data["bytesTransferredIn"] = event.object_size if event.method in ("PUT", "POST") else 0
    data["bytesTransferredOut"] = event.bytes_sent
    return data


def _resources(event: TrailEvent) -> list[dict[str, str]]:
    resources = []
    if event.key:
        resources.append({"type": "AWS::S3::Object",
                          "ARN": f"arn:aws:s3:::{event.bucket}/{event.key}"})  # fmt: skip
    resources.append({"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{event.bucket}"})
    return resources


def _iso(time_ms: int) -> str:
    return event_time(time_ms).strftime("%Y-%m-%dT%H:%M:%SZ")


# S3's access-log operation names: REST.<METHOD>.<RESOURCE> (docs: "Amazon S3 server access
# log format"). Replica writes log as the object operation they make.
_ACCESS_LOG_RESOURCES = {
    "PutObject": "OBJECT", "GetObject": "OBJECT", "HeadObject": "OBJECT",
    "DeleteObject": "OBJECT", "CopyObject": "OBJECT", "ListObjects": "BUCKET",
    "ListObjectsV2": "BUCKET", "HeadBucket": "BUCKET", "CreateBucket": "BUCKET",
    "DeleteBucket": "BUCKET", "ListObjectVersions": "BUCKETVERSIONS",
    "CreateMultipartUpload": "UPLOADS", "UploadPart": "PART", "UploadPartCopy": "PART",
    "CompleteMultipartUpload": "UPLOAD", "AbortMultipartUpload": "UPLOAD",
    "ListParts": "UPLOAD", "ListMultipartUploads": "UPLOADS",
    "DeleteObjects": "MULTI_OBJECT_DELETE",
    "PutObjectTagging": "OBJECT_TAGGING", "GetObjectTagging": "OBJECT_TAGGING",
    "DeleteObjectTagging": "OBJECT_TAGGING", "PutObjectAcl": "ACL", "GetObjectAcl": "ACL",
    "PutBucketAcl": "ACL", "GetBucketAcl": "ACL", "GetObjectAttributes": "OBJECT_ATTRIBUTES",
    "PutBucketLogging": "LOGGING_STATUS", "GetBucketLogging": "LOGGING_STATUS",
    "GetBucketLocation": "LOCATION", "ListBuckets": "SERVICE", "PreflightRequest": "PREFLIGHT",
}  # fmt: skip


def access_log_operation(event: TrailEvent) -> str:
    resource = _ACCESS_LOG_RESOURCES.get(event.event_name)
    if resource is None:
        name = event.event_name
        for prefix in ("Put", "Get", "Delete"):
            name = name.removeprefix(prefix)
        resource = name.removeprefix("Bucket").upper() or "BUCKET"
    return f"REST.{event.method}.{resource}"


def access_log_requester(event: TrailEvent, canonical_ids: dict[str, str]) -> str:
    """The requester field: the IAM identity's ARN (a replication write: the role's session),
    the canonical user ID of a root, `-` for an anonymous request."""
    if event.identity_type == "AWSAccount" or not event.identity_type:
        return "-"
    if event.identity_type == "Root":
        return canonical_ids.get(event.account_id, event.arn or "-")
    return event.arn or "-"


def to_access_log_line(event: TrailEvent, canonical_ids: dict[str, str] | None = None) -> str:
    """One line of S3's server access log format, fields in AWS's order, `-` where empty."""
    when = event_time(event.time_ms).strftime("[%d/%b/%Y:%H:%M:%S +0000]")
    uri = f'"{event.method} {event.request_uri} HTTP/1.1"'
    fields_ = [
        event.bucket_owner or "-",
        event.bucket or "-",
        when,
        event.source_ip or "-",
        access_log_requester(event, canonical_ids or {}),
        event.request_id,
        access_log_operation(event),
        quote(event.key, safe="/") if event.key else "-",
        uri,
        str(event.http_status),
        event.error_code or "-",
        str(event.bytes_sent) if event.bytes_sent else "-",
        str(event.object_size) if event.object_size else "-",
        str(event.total_ms),
        str(event.turnaround_ms),
        f'"{event.referer or "-"}"',
        f'"{event.user_agent or "-"}"',
        event.version_id or "-",
        event.event_id,  # host ID
        event.signature_version or "-",
        "-",  # cipher suite (plain HTTP here; a TLS terminator in front logs its own)
        event.auth_type or "-",
        event.host or "-",
        "-",  # TLS version
        "-",  # access point ARN
        "-",  # ACL required
    ]
    return " ".join(fields_)
