from __future__ import annotations

from typing import Any

import pytest

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.notification import (
    FilterRule,
    FilterRuleName,
    NotificationConfiguration,
    TargetConfiguration,
    TargetKind,
    parse_notification_configuration,
    render_notification_configuration,
)

BOTO_CONFIG: dict[str, Any] = {
    "TopicConfigurations": [
        {
            "Id": "t1",
            "TopicArn": "arn:aws:sns:us-east-1:000000000042:hooks",
            "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
            "Filter": {
                "Key": {
                    "FilterRules": [
                        {"Name": "Prefix", "Value": "images/"},
                        {"Name": "Suffix", "Value": ".jpg"},
                    ]
                }
            },
        }
    ],
    "QueueConfigurations": [
        {
            "Id": "q1",
            "QueueArn": "arn:aws:sqs:us-east-1:000000000042:q",
            "Events": ["s3:Replication:OperationFailedReplication"],
        }
    ],
    "LambdaFunctionConfigurations": [
        {
            "Id": "l1",
            "LambdaFunctionArn": "arn:aws:lambda:us-east-1:000000000042:function:f",
            "Events": ["s3:Replication:*"],
        }
    ],
    "EventBridgeConfiguration": {},
}

EXPECTED = NotificationConfiguration(
    configurations=(
        TargetConfiguration(
            kind=TargetKind.TOPIC,
            id="t1",
            arn="arn:aws:sns:us-east-1:000000000042:hooks",
            events=("s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"),
            filter_rules=(
                FilterRule(name=FilterRuleName.PREFIX, value="images/"),
                FilterRule(name=FilterRuleName.SUFFIX, value=".jpg"),
            ),
        ),
        TargetConfiguration(
            kind=TargetKind.QUEUE,
            id="q1",
            arn="arn:aws:sqs:us-east-1:000000000042:q",
            events=("s3:Replication:OperationFailedReplication",),
        ),
        TargetConfiguration(
            kind=TargetKind.LAMBDA,
            id="l1",
            arn="arn:aws:lambda:us-east-1:000000000042:function:f",
            events=("s3:Replication:*",),
        ),
    ),
    event_bridge=True,
)


def test_notification_configuration_as_botocore_sends_it(serialize_input) -> None:
    body = serialize_input(
        "PutBucketNotificationConfiguration",
        {"Bucket": "b", "NotificationConfiguration": BOTO_CONFIG},
    )
    assert parse_notification_configuration(body) == EXPECTED


def test_rendered_configuration_parses_in_botocore_as_it_was_sent(parse_output) -> None:
    parsed = parse_output(
        "GetBucketNotificationConfiguration", render_notification_configuration(EXPECTED)
    )
    assert parsed == BOTO_CONFIG


def test_empty_configuration_renders_an_empty_document(parse_output) -> None:
    body = render_notification_configuration(NotificationConfiguration())
    assert body.endswith(
        b'<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    )
    assert parse_output("GetBucketNotificationConfiguration", body) == {}


def test_filter_rule_names_are_case_insensitive_and_rendered_as_aws() -> None:
    body = (
        b"<NotificationConfiguration><QueueConfiguration><Queue>arn:q</Queue>"
        b"<Event>s3:ObjectCreated:Put</Event><Filter><S3Key><FilterRule><Name>prefix</Name>"
        b"<Value>a/</Value></FilterRule></S3Key></Filter></QueueConfiguration>"
        b"</NotificationConfiguration>"
    )
    config = parse_notification_configuration(body)
    assert config.configurations[0].filter_rules == (
        FilterRule(name=FilterRuleName.PREFIX, value="a/"),
    )
    assert config.configurations[0].id is None
    assert b"<Name>Prefix</Name>" in render_notification_configuration(config)


@pytest.mark.parametrize(
    "body",
    [
        b"<NotificationConfiguration><Bogus/></NotificationConfiguration>",
        b"<NotificationConfiguration><QueueConfiguration><Queue>arn:q</Queue>"
        b"</QueueConfiguration></NotificationConfiguration>",
        b"<NotificationConfiguration><QueueConfiguration><Event>s3:ObjectCreated:Put</Event>"
        b"</QueueConfiguration></NotificationConfiguration>",
        b"<NotificationConfiguration><QueueConfiguration><Queue>arn:q</Queue>"
        b"<Event>s3:ObjectCreated:Put</Event><Filter><S3Key><FilterRule><Name>middle</Name>"
        b"<Value>x</Value></FilterRule></S3Key></Filter></QueueConfiguration>"
        b"</NotificationConfiguration>",
        b"<Other/>",
        b"not xml",
    ],
)
def test_malformed_configurations_are_malformed_xml(body: bytes) -> None:
    with pytest.raises(S3Error) as raised:
        parse_notification_configuration(body)
    assert raised.value.code is S3ErrorCode.MalformedXML
