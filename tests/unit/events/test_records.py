"""Event messages against AWS's documented shapes (reference §5.2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ferry.events.records import (
    EventSource,
    ObjectInfo,
    ReplicationData,
    render_message,
    render_record,
)

# The official OperationFailedReplication example (reference §5.2), abridged values.
AWS_EXAMPLE = {
    "eventVersion": "2.2", "eventSource": "aws:s3", "awsRegion": "us-east-1",
    "eventTime": "2024-09-05T21:04:32.527Z", "eventName": "Replication:OperationFailedReplication",
    "userIdentity": {"principalId": "s3.amazonaws.com"},
    "requestParameters": {"sourceIPAddress": "s3.amazonaws.com"},
    "responseElements": {"x-amz-request-id": "123bf045", "x-amz-id-2": "12VAWND"},
    "s3": {"s3SchemaVersion": "1.0", "configurationId": "ReplicationEventName",
           "bucket": {"name": "amzn-s3-demo-bucket1",
                      "ownerIdentity": {"principalId": "111122223333"},
                      "arn": "arn:aws:s3:::amzn-s3-demo-bucket1"},
           "object": {"key": "replication-object-put-test.png", "size": 520080,
                      "eTag": "e12345ca7e88a38428305d3ff7fcb99f",
                      "versionId": "abcdeH0Xp66ep__QDjR76LK7Gc9X4wKO",
                      "sequencer": "0066DA1CBF104C0D51"}},
    "replicationEventData": {"replicationRuleId": "notification-test-replication-rule",
                             "destinationBucket": "arn:aws:s3:::amzn-s3-demo-bucket2",
                             "s3Operation": "OBJECT_PUT",
                             "requestTime": "2024-09-05T21:03:59.168Z",
                             "failureReason": "AssumeRoleNotPermitted"},
}  # fmt: skip


def shape(value: object) -> object:
    """Keys and value types, recursively."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    return type(value).__name__


def failed_replication_record() -> dict[str, object]:
    return render_record(
        event_name="Replication:OperationFailedReplication",
        source=EventSource(
            region="us-east-1", bucket="amzn-s3-demo-bucket1", owner_id="111122223333",
            time=datetime(2024, 9, 5, 21, 4, 32, 527000, tzinfo=UTC),
        ),
        obj=ObjectInfo(
            key="replication-object-put-test.png", version_id="abcdeH0Xp66ep__QDjR76LK7Gc9X4wKO",
            sequencer=0x66DA1CBF104C0D51, size=520080, etag="e12345ca7e88a38428305d3ff7fcb99f",
        ),
        configuration_id="ReplicationEventName",
        principal_id="s3.amazonaws.com",
        replication=ReplicationData(
            rule_id="notification-test-replication-rule",
            destination_bucket="amzn-s3-demo-bucket2", s3_operation="OBJECT_PUT",
            request_time=datetime(2024, 9, 5, 21, 3, 59, 168000, tzinfo=UTC),
            failure_reason="AssumeRoleNotPermitted",
        ),
    )  # fmt: skip


def test_failed_replication_record_has_the_aws_example_shape() -> None:
    record = failed_replication_record()
    assert shape(record) == shape(AWS_EXAMPLE)
    for key in ("eventVersion", "eventSource", "awsRegion", "eventTime", "eventName",
                "userIdentity", "requestParameters", "replicationEventData"):  # fmt: skip
        assert record[key] == AWS_EXAMPLE[key], key
    assert record["s3"] == AWS_EXAMPLE["s3"]


def test_object_created_record_is_version_2_1_with_url_encoded_key() -> None:
    record = render_record(
        event_name="ObjectCreated:Put",
        source=EventSource(
            region="eu-west-1", bucket="b", owner_id="o", time=datetime(2026, 1, 1, tzinfo=UTC)
        ),
        obj=ObjectInfo(key="red flower/ä.jpg", version_id=None, sequencer=7, size=3, etag="e"),
        configuration_id="c",
        principal_id="o",
    )
    assert record["eventVersion"] == "2.1"
    assert record["eventTime"] == "2026-01-01T00:00:00.000Z"
    assert "replicationEventData" not in record
    s3 = record["s3"]
    assert isinstance(s3, dict)
    assert s3["object"] == {
        "key": "red+flower/%C3%A4.jpg",
        "size": 3,
        "eTag": "e",
        "sequencer": "000000000000000007",
    }


def test_message_wraps_one_record() -> None:
    message = json.loads(render_message(failed_replication_record()))
    assert list(message) == ["Records"]
    assert len(message["Records"]) == 1
