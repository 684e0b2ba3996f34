"""ReplicationConfiguration: what botocore sends parses, and what Ferry renders botocore reads
back as exactly the dict that was put."""

from __future__ import annotations

from typing import Any

import pytest

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml import (
    DeleteMarkerReplication,
    EncryptionConfiguration,
    OwnerOverride,
    ReplicationAnd,
    ReplicationConfiguration,
    ReplicationDestination,
    ReplicationFilter,
    ReplicationMetrics,
    ReplicationRule,
    ReplicationRuleStatus,
    ReplicationTime,
    ReplicationTimeValue,
    SourceSelectionCriteria,
    Tag,
    parse_replication_configuration,
    render_replication_configuration,
)

ENABLED, DISABLED = ReplicationRuleStatus.ENABLED, ReplicationRuleStatus.DISABLED
DEST = "arn:aws:s3:::destination-bucket"

# The two configurations of the AWS Storage Blog post "Managing delete marker replication in
# Amazon S3", exactly as printed (the V1 role has its stray spaces).
SEED_V1: dict[str, Any] = {
    "Role": " IAM-role-ARN ",
    "Rules": [
        {
            "ID": "Replication V1 Rule",
            "Prefix": "",
            "Status": "Enabled",
            "Destination": {"Bucket": DEST},
        }
    ],
}
SEED_V2: dict[str, Any] = {
    "Role": "IAM-role-ARN",
    "Rules": [
        {
            "ID": "Replication V2 Rule",
            "Priority": 1,
            "Filter": {},
            "Status": "Enabled",
            "Destination": {"Bucket": DEST},
            "DeleteMarkerReplication": {"Status": "Disabled"},
        }
    ],
}
EVERYTHING: dict[str, Any] = {
    "Role": "arn:aws:iam::123456789012:role/replication",
    "Rules": [
        {
            "ID": "all-features",
            "Priority": 2147483647,
            "Filter": {
                "And": {
                    "Prefix": "logs/",
                    "Tags": [{"Key": "team", "Value": "storage"}, {"Key": "env", "Value": ""}],
                }
            },
            "Status": "Enabled",
            "SourceSelectionCriteria": {
                "SseKmsEncryptedObjects": {"Status": "Enabled"},
                "ReplicaModifications": {"Status": "Disabled"},
            },
            "Destination": {
                "Bucket": DEST,
                "Account": "123456789012",
                "StorageClass": "STANDARD_IA",
                "AccessControlTranslation": {"Owner": "Destination"},
                "EncryptionConfiguration": {
                    "ReplicaKmsKeyID": "arn:aws:kms:eu-west-1:123456789012:key/abcd"
                },
                "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
            },
            "DeleteMarkerReplication": {"Status": "Disabled"},
        },
        {
            "ID": "tag-rule",
            "Priority": 0,
            "Filter": {"Tag": {"Key": "replicate", "Value": "yes"}},
            "Status": "Disabled",
            "Destination": {"Bucket": "arn:aws:s3:::other"},
            "DeleteMarkerReplication": {"Status": "Disabled"},
        },
    ],
}


def round_trip(serialize_input, parse_output, config: dict[str, Any]) -> dict[str, Any]:
    body = serialize_input(
        "PutBucketReplication", {"Bucket": "b", "ReplicationConfiguration": config}
    )
    rendered = render_replication_configuration(parse_replication_configuration(body))
    parsed: dict[str, Any] = parse_output("GetBucketReplication", rendered)
    return parsed


@pytest.mark.parametrize("config", [SEED_V1, SEED_V2, EVERYTHING], ids=["v1", "v2", "all"])
def test_configuration_round_trips_through_botocore(
    serialize_input, parse_output, config: dict[str, Any]
) -> None:
    assert round_trip(serialize_input, parse_output, config) == {"ReplicationConfiguration": config}


@pytest.mark.parametrize(
    "filter_",
    [
        {},
        {"Prefix": ""},
        {"Prefix": "photos/2024/"},
        {"Tag": {"Key": "k", "Value": "v"}},
        {"And": {"Prefix": "p/", "Tags": [{"Key": "a", "Value": "1"}]}},
        {"And": {"Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}},
        {"And": {"Prefix": "only-prefix"}},
    ],
    ids=["empty", "empty-prefix", "prefix", "tag", "and-prefix-tag", "and-tags", "and-prefix"],
)
def test_every_filter_form_round_trips(serialize_input, parse_output, filter_) -> None:
    rule = {
        "Priority": 1,
        "Filter": filter_,
        "Status": "Enabled",
        "Destination": {"Bucket": DEST},
        "DeleteMarkerReplication": {"Status": "Enabled"},
    }
    config = {"Role": "r", "Rules": [rule]}
    assert round_trip(serialize_input, parse_output, config) == {"ReplicationConfiguration": config}


@pytest.mark.parametrize(
    ("rule_extra", "destination_extra"),
    [
        ({"SourceSelectionCriteria": {}}, {}),
        ({"DeleteMarkerReplication": {}}, {}),
        ({}, {"EncryptionConfiguration": {}}),
        ({}, {"ReplicationTime": {"Status": "Enabled", "Time": {}}}),
        ({}, {"ReplicationTime": {"Time": {"Minutes": 10}}}),
        ({}, {"Metrics": {"Status": "Disabled"}}),
        ({}, {"Metrics": {"EventThreshold": {}}}),
    ],
    ids=["empty-ssc", "dmr-no-status", "empty-encryption", "empty-time", "rtc-no-status",
         "metrics-no-threshold", "metrics-no-status"],
)  # fmt: skip
def test_empty_and_partial_containers_are_kept(
    serialize_input, parse_output, rule_extra, destination_extra
) -> None:
    """What AWS refuses with a precise message must survive the codec for the rules to see."""
    rule = {"Prefix": "", "Status": "Enabled", "Destination": {"Bucket": DEST, **destination_extra}}
    config = {"Role": "r", "Rules": [{**rule, **rule_extra}]}
    assert round_trip(serialize_input, parse_output, config) == {"ReplicationConfiguration": config}


def test_awkward_prefixes_tags_and_ids_round_trip(
    serialize_input, parse_output, request_keys
) -> None:
    rules = [
        {
            "ID": key[:255],
            "Priority": index,
            "Filter": {"And": {"Prefix": key, "Tags": [{"Key": key[:128], "Value": key}]}},
            "Status": "Enabled",
            "Destination": {"Bucket": DEST},
            "DeleteMarkerReplication": {"Status": "Disabled"},
        }
        for index, key in enumerate(request_keys)
    ]
    config = {"Role": "role & <more>", "Rules": rules}
    assert round_trip(serialize_input, parse_output, config) == {"ReplicationConfiguration": config}


def test_elements_in_any_order_parse_the_same(serialize_input) -> None:
    """The SDK writes members in the caller's dict order, not in schema order."""
    ordered = EVERYTHING["Rules"][0]
    shuffled = {name: ordered[name] for name in reversed(list(ordered))}
    shuffled["Destination"] = {
        name: ordered["Destination"][name] for name in reversed(list(ordered["Destination"]))
    }

    def body(rule: dict[str, Any]) -> bytes:
        params = {"Bucket": "b", "ReplicationConfiguration": {"Role": "r", "Rules": [rule]}}
        return serialize_input("PutBucketReplication", params)

    assert body(shuffled) != body(ordered)
    parse = parse_replication_configuration
    assert parse(body(shuffled)) == parse(body(ordered))


def test_everything_parses_into_typed_values(serialize_input) -> None:
    body = serialize_input(
        "PutBucketReplication", {"Bucket": "b", "ReplicationConfiguration": EVERYTHING}
    )
    rule = parse_replication_configuration(body).rules[0]
    assert rule == ReplicationRule(
        id="all-features",
        priority=2147483647,
        filter=ReplicationFilter(
            and_=ReplicationAnd(
                prefix="logs/", tags=(Tag(key="team", value="storage"), Tag(key="env", value=""))
            )
        ),
        status=ENABLED,
        source_selection_criteria=SourceSelectionCriteria(
            sse_kms_encrypted_objects=ENABLED, replica_modifications=DISABLED
        ),
        destination=ReplicationDestination(
            bucket=DEST,
            account="123456789012",
            storage_class="STANDARD_IA",
            owner_override=OwnerOverride.DESTINATION,
            encryption_configuration=EncryptionConfiguration(
                replica_kms_key_id="arn:aws:kms:eu-west-1:123456789012:key/abcd"
            ),
            replication_time=ReplicationTime(status=ENABLED, time=ReplicationTimeValue(minutes=15)),
            metrics=ReplicationMetrics(
                status=ENABLED, event_threshold=ReplicationTimeValue(minutes=15)
            ),
        ),
        delete_marker_replication=DeleteMarkerReplication(status=DISABLED),
    )
    assert rule.destination.replica_kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/abcd"


def test_document_without_namespace_parses_like_one_with_it() -> None:
    inner = (
        "<Role>r</Role><Rule><Status>Enabled</Status><Prefix>a</Prefix>"
        f"<Destination><Bucket>{DEST}</Bucket></Destination></Rule>"
    )
    plain = f"<ReplicationConfiguration>{inner}</ReplicationConfiguration>".encode()
    spaced = (
        '<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"{inner}</ReplicationConfiguration>"
    ).encode()
    assert parse_replication_configuration(plain) == parse_replication_configuration(spaced)


def test_render_is_schema_ordered_and_byte_exact() -> None:
    config = ReplicationConfiguration(
        role="arn:aws:iam::1:role/r",
        rules=(
            ReplicationRule(
                id="r1",
                priority=1,
                filter=ReplicationFilter(prefix="a&b"),
                status=ENABLED,
                destination=ReplicationDestination(bucket=DEST, storage_class="GLACIER"),
                delete_marker_replication=DeleteMarkerReplication(status=ENABLED),
            ),
        ),
    )
    assert render_replication_configuration(config) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Role>arn:aws:iam::1:role/r</Role><Rule><ID>r1</ID><Priority>1</Priority>"
        b"<Filter><Prefix>a&amp;b</Prefix></Filter><Status>Enabled</Status>"
        b"<Destination><Bucket>arn:aws:s3:::destination-bucket</Bucket>"
        b"<StorageClass>GLACIER</StorageClass></Destination>"
        b"<DeleteMarkerReplication><Status>Enabled</Status></DeleteMarkerReplication>"
        b"</Rule></ReplicationConfiguration>"
    )


_RULE = "<Status>Enabled</Status><Destination><Bucket>b</Bucket></Destination>"


def _doc(rules: str, role: str = "<Role>r</Role>") -> bytes:
    return f"<ReplicationConfiguration>{role}{rules}</ReplicationConfiguration>".encode()


@pytest.mark.parametrize(
    "body",
    [
        _doc(f"<Rule>{_RULE}</Rule>", role=""),
        _doc(f"<Rule>{_RULE}</Rule>", role="<Role>a</Role><Role>b</Role>"),
        _doc(""),
        _doc("<Rule><Destination><Bucket>b</Bucket></Destination></Rule>"),
        _doc("<Rule><Status>enabled</Status><Destination><Bucket>b</Bucket></Destination></Rule>"),
        _doc("<Rule><Status>Enabled</Status></Rule>"),
        _doc("<Rule><Status>Enabled</Status><Destination/></Rule>"),
        _doc(f"<Rule>{_RULE}<ExistingObjectReplication><Status>Enabled</Status>"
             "</ExistingObjectReplication></Rule>"),
        _doc(f"<Rule>{_RULE}<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>"
             "</Filter></Rule>"),
        _doc(f"<Rule>{_RULE}<Filter><Prefix>a</Prefix><Prefix>b</Prefix></Filter></Rule>"),
        _doc(f"<Rule>{_RULE}<Prefix>a</Prefix><Filter/></Rule>"),
        _doc(f"<Rule>{_RULE}<Unknown/></Rule>"),
        _doc(f"<Rule>{_RULE}</Rule><Other/>"),
        _doc(f"<Rule>{_RULE}<Priority>high</Priority></Rule>"),
        _doc(f"<Rule>{_RULE}<Priority>-1</Priority></Rule>"),
        _doc(f"<Rule>{_RULE}<Priority>2147483648</Priority></Rule>"),
        _doc(f"<Rule>{_RULE}<Filter><Tag><Key>k</Key></Tag></Filter></Rule>"),
        _doc(f"<Rule>{_RULE}<Filter><And><Tag><Value>v</Value></Tag></And></Filter></Rule>"),
        _doc(f"<Rule>{_RULE}<SourceSelectionCriteria><SseKmsEncryptedObjects/>"
             "</SourceSelectionCriteria></Rule>"),
        _doc(f"<Rule>{_RULE}<SourceSelectionCriteria><ReplicaModifications><Status>On"
             "</Status></ReplicaModifications></SourceSelectionCriteria></Rule>"),
        _doc(f"<Rule>{_RULE}<DeleteMarkerReplication><Status>Yes</Status>"
             "</DeleteMarkerReplication></Rule>"),
        _doc("<Rule><Status>Enabled</Status><Destination><Bucket>b</Bucket>"
             "<AccessControlTranslation><Owner>Source</Owner></AccessControlTranslation>"
             "</Destination></Rule>"),
        _doc("<Rule><Status>Enabled</Status><Destination><Bucket>b</Bucket>"
             "<AccessControlTranslation/></Destination></Rule>"),
        _doc("<Rule><Status>Enabled</Status><Destination><Bucket>b</Bucket>"
             "<ReplicationTime><Status>Enabled</Status><Time><Minutes>x</Minutes></Time>"
             "</ReplicationTime></Destination></Rule>"),
        _doc("<Rule><Status>Enabled</Status><Destination><Bucket>b</Bucket>"
             "<Metrics><Status>Enabled</Status><Extra/></Metrics></Destination></Rule>"),
        _doc("<Rule><Status>Enabled</Status><Destination><Bucket>b</Bucket>"
             "<EncryptionConfiguration><KeyId>k</KeyId></EncryptionConfiguration>"
             "</Destination></Rule>"),
        _doc("<Rule><Status>Enabled</Status><Destination><Bucket><Name>b</Name></Bucket>"
             "</Destination></Rule>"),
    ],
    ids=[
        "no-role", "two-roles", "no-rule", "no-status", "bad-status", "no-destination",
        "no-bucket", "existing-object-replication", "filter-prefix-and-tag",
        "filter-two-prefixes", "prefix-and-filter", "unknown-rule-child", "unknown-root-child",
        "priority-not-int", "priority-negative", "priority-over-int32", "tag-without-value",
        "tag-without-key", "sse-kms-without-status", "replica-modifications-bad-status",
        "dmr-bad-status", "owner-not-destination", "translation-without-owner",
        "minutes-not-int", "unknown-metrics-child", "unknown-encryption-child", "bucket-nested",
    ],
)  # fmt: skip
def test_schema_violation_is_malformed_xml(body: bytes) -> None:
    with pytest.raises(S3Error) as caught:
        parse_replication_configuration(body)
    assert caught.value.code is S3ErrorCode.MalformedXML
    assert caught.value.status == 400
