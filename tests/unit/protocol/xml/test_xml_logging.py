"""BucketLoggingStatus as botocore sends it, and as botocore parses what Ferry renders."""

from __future__ import annotations

import pytest

from ferry.protocol.errors import S3Error
from ferry.protocol.xml.acl import CanonicalUserGrantee, GroupGrantee
from ferry.protocol.xml.logging import (
    LoggingEnabled,
    LogsPermission,
    PartitionDateSource,
    TargetGrant,
    parse_bucket_logging_status,
    render_bucket_logging_status,
)

BOTO_ENABLED = {
    "TargetBucket": "logs",
    "TargetGrants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": "abc"}, "Permission": "READ"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
         "Permission": "WRITE"},
    ],
    "TargetPrefix": "access/",
    "TargetObjectKeyFormat": {"PartitionedPrefix": {"PartitionDateSource": "DeliveryTime"}},
}  # fmt: skip
EXPECTED = LoggingEnabled(
    target_bucket="logs",
    target_prefix="access/",
    target_grants=(
        TargetGrant(grantee=CanonicalUserGrantee(id="abc"), permission=LogsPermission.READ),
        TargetGrant(
            grantee=GroupGrantee(uri="http://acs.amazonaws.com/groups/s3/LogDelivery"),
            permission=LogsPermission.WRITE,
        ),
    ),
    partitioned=PartitionDateSource.DELIVERY_TIME,
)


def test_logging_status_as_botocore_sends_it(serialize_input) -> None:
    body = serialize_input(
        "PutBucketLogging",
        {"Bucket": "b", "BucketLoggingStatus": {"LoggingEnabled": BOTO_ENABLED}},
    )
    assert parse_bucket_logging_status(body) == EXPECTED


def test_rendered_status_parses_in_botocore_as_it_was_sent(parse_output) -> None:
    parsed = parse_output("GetBucketLogging", render_bucket_logging_status(EXPECTED))
    assert parsed == {"LoggingEnabled": BOTO_ENABLED}


def test_empty_status_is_logging_off(serialize_input, parse_output) -> None:
    body = serialize_input("PutBucketLogging", {"Bucket": "b", "BucketLoggingStatus": {}})
    assert parse_bucket_logging_status(body) is None
    assert parse_output("GetBucketLogging", render_bucket_logging_status(None)) == {}


def test_simple_prefix_is_the_default_key_format() -> None:
    body = (
        b"<BucketLoggingStatus><LoggingEnabled><TargetBucket>t</TargetBucket>"
        b"<TargetPrefix>p</TargetPrefix></LoggingEnabled></BucketLoggingStatus>"
    )
    assert parse_bucket_logging_status(body) == LoggingEnabled(target_bucket="t", target_prefix="p")


@pytest.mark.parametrize(
    "inner",
    [
        b"<TargetPrefix>p</TargetPrefix>",  # no TargetBucket
        b"<TargetBucket>t</TargetBucket>",  # no TargetPrefix
        b"<TargetBucket>t</TargetBucket><TargetPrefix>p</TargetPrefix><TargetObjectKeyFormat>"
        b"<SimplePrefix/><PartitionedPrefix/></TargetObjectKeyFormat>",
        b"<TargetBucket>t</TargetBucket><TargetPrefix>p</TargetPrefix><TargetGrants><Grant>"
        b"<Permission>READ_ACP</Permission></Grant></TargetGrants>",
    ],
)
def test_malformed_statuses_are_malformed_xml(inner: bytes) -> None:
    body = (
        b"<BucketLoggingStatus><LoggingEnabled>"
        + inner
        + b"</LoggingEnabled></BucketLoggingStatus>"
    )
    with pytest.raises(S3Error) as caught:
        parse_bucket_logging_status(body)
    assert caught.value.code == "MalformedXML"
