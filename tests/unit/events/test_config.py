from __future__ import annotations

import pytest

from ferry.events import InvalidNotificationArgument, validate_notification_configuration
from ferry.events.config import event_matches, matching_targets
from ferry.protocol.xml.notification import (
    FilterRule,
    FilterRuleName,
    NotificationConfiguration,
    TargetConfiguration,
    TargetKind,
)

ARN = "arn:ferry:webhook:::hooks"


def configuration(
    *events: str, rules: tuple[FilterRule, ...] = (), arn: str = ARN
) -> NotificationConfiguration:
    target = TargetConfiguration(
        kind=TargetKind.QUEUE, id=None, arn=arn, events=events, filter_rules=rules
    )
    return NotificationConfiguration(configurations=(target,))


def test_unknown_event_is_invalid_argument() -> None:
    with pytest.raises(InvalidNotificationArgument) as raised:
        validate_notification_configuration(configuration("s3:ObjectCreated:Paste"), [ARN])
    assert raised.value.message == "The event is not supported for notifications"
    assert raised.value.argument_name == "s3:ObjectCreated:Paste"


def test_undeclared_target_cannot_be_validated() -> None:
    with pytest.raises(InvalidNotificationArgument) as raised:
        validate_notification_configuration(configuration("s3:ObjectCreated:*"), ["arn:other"])
    assert raised.value.message == "Unable to validate the following destination configurations"
    assert raised.value.argument_name == ARN


def test_two_prefix_rules_are_invalid() -> None:
    rules = (
        FilterRule(name=FilterRuleName.PREFIX, value="a"),
        FilterRule(name=FilterRuleName.PREFIX, value="b"),
    )
    with pytest.raises(InvalidNotificationArgument):
        validate_notification_configuration(configuration("s3:ObjectCreated:*", rules=rules), [ARN])


@pytest.mark.parametrize(
    "event",
    [
        "s3:Replication:*",
        "s3:Replication:OperationFailedReplication",
        "s3:Replication:OperationMissedThreshold",
        "s3:Replication:OperationReplicatedAfterThreshold",
        "s3:Replication:OperationNotTracked",
        "s3:ObjectCreated:*",
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectRemoved:*",
        "s3:ObjectRemoved:Delete",
        "s3:ObjectRemoved:DeleteMarkerCreated",
    ],
)
def test_supported_events_are_accepted_and_ids_generated(event: str) -> None:
    valid = validate_notification_configuration(configuration(event), [ARN])
    assert valid.configurations[0].id


def test_generated_ids_are_stable() -> None:
    one = validate_notification_configuration(configuration("s3:ObjectCreated:*"), [ARN])
    two = validate_notification_configuration(configuration("s3:ObjectCreated:*"), [ARN])
    assert one == two


@pytest.mark.parametrize(
    ("pattern", "event", "matches"),
    [
        ("s3:ObjectCreated:*", "s3:ObjectCreated:Put", True),
        ("s3:ObjectCreated:*", "s3:ObjectRemoved:Delete", False),
        ("s3:ObjectRemoved:*", "s3:ObjectRemoved:DeleteMarkerCreated", True),
        ("s3:Replication:*", "s3:Replication:OperationFailedReplication", True),
        ("s3:ObjectCreated:Put", "s3:ObjectCreated:Copy", False),
        ("s3:ObjectCreated:Put", "s3:ObjectCreated:Put", True),
    ],
)
def test_event_patterns(pattern: str, event: str, matches: bool) -> None:
    assert event_matches(pattern, event) is matches


@pytest.mark.parametrize(
    ("key", "matches"),
    [("images/cat.jpg", True), ("images/cat.png", False), ("docs/cat.jpg", False)],
)
def test_prefix_and_suffix_filters_both_apply(key: str, matches: bool) -> None:
    rules = (
        FilterRule(name=FilterRuleName.PREFIX, value="images/"),
        FilterRule(name=FilterRuleName.SUFFIX, value=".jpg"),
    )
    config = validate_notification_configuration(
        configuration("s3:ObjectCreated:*", rules=rules), [ARN]
    )
    found = matching_targets(config, "s3:ObjectCreated:Put", key)
    assert [m.arn for m in found] == ([ARN] if matches else [])
