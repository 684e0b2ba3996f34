"""AWS's event message: `{"Records": [record]}`, eventVersion 2.1 for object events and 2.2
for replication events (with `replicationEventData`), as S3 sends them (reference §5.2)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote_plus

from ferry.core.ids import new_request_id

OBJECT_EVENT_VERSION = "2.1"
REPLICATION_EVENT_VERSION = "2.2"
S3_PRINCIPAL = "s3.amazonaws.com"


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectInfo:
    key: str
    version_id: str | None  # None: an unversioned bucket's version
    sequencer: int
    size: int | None = None  # ObjectRemoved events carry no size or ETag
    etag: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSource:
    """Where and when: region, bucket and its owner, the time of the event."""

    region: str
    bucket: str
    owner_id: str
    time: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationData:
    rule_id: str
    destination_bucket: str  # a name or an ARN; rendered as an ARN
    s3_operation: str  # OBJECT_PUT, DELETE_MARKER_PUT, OBJECT_METADATA_PUT
    request_time: datetime
    failure_reason: str | None = None


def format_event_time(moment: datetime) -> str:
    """`2024-09-05T21:04:32.527Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def bucket_arn(bucket: str) -> str:
    return bucket if bucket.startswith("arn:") else f"arn:aws:s3:::{bucket}"


def render_record(
    *,
    event_name: str,
    source: EventSource,
    obj: ObjectInfo,
    configuration_id: str,
    principal_id: str,
    replication: ReplicationData | None = None,
) -> dict[str, object]:
    """One element of `Records`; `event_name` without the `s3:` prefix."""
    request_id = new_request_id()
    object_fields: dict[str, object] = {"key": quote_plus(obj.key, safe="/")}
    if obj.size is not None:
        object_fields["size"] = obj.size
    if obj.etag is not None:
        object_fields["eTag"] = obj.etag
    if obj.version_id is not None:
        object_fields["versionId"] = obj.version_id
    object_fields["sequencer"] = f"{obj.sequencer:018X}"
    record: dict[str, object] = {
        "eventVersion": OBJECT_EVENT_VERSION if replication is None else REPLICATION_EVENT_VERSION,
        "eventSource": "aws:s3",
        "awsRegion": source.region,
        "eventTime": format_event_time(source.time),
        "eventName": event_name,
        "userIdentity": {"principalId": principal_id},
        "requestParameters": {"sourceIPAddress": principal_id},
        "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": request_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": source.bucket,
                "ownerIdentity": {"principalId": source.owner_id},
                "arn": bucket_arn(source.bucket),
            },
            "object": object_fields,
        },
    }
    if replication is not None:
        data = {
            "replicationRuleId": replication.rule_id,
            "destinationBucket": bucket_arn(replication.destination_bucket),
            "s3Operation": replication.s3_operation,
            "requestTime": format_event_time(replication.request_time),
        }
        if replication.failure_reason is not None:
            data["failureReason"] = replication.failure_reason
        record["replicationEventData"] = data
    return record


def render_message(record: dict[str, object]) -> str:
    return json.dumps({"Records": [record]}, separators=(",", ":"))
