"""Replication rules: PutBucketReplication's validation (reference §1.5, one case per row) and
the runtime evaluation of a configuration (§1.4, §3)."""

from __future__ import annotations

import base64
import itertools
import uuid
from dataclasses import replace
from typing import Any

import pytest

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
)
from ferry.replication import (
    InvalidReplicationConfiguration,
    InvalidReplicationStorageClass,
    MalformedReplicationConfiguration,
    ReplicationConfigurationArgumentError,
    ReplicationTarget,
    SchemaVersion,
    destination_bucket_name,
    destinations_for,
    replica_modifications_enabled,
    schema_version,
    validate_configuration,
    with_rule_ids,
)
from ferry.replication.rules import matches, new_rule_id

ENABLED, DISABLED = ReplicationRuleStatus.ENABLED, ReplicationRuleStatus.DISABLED
SOURCE = "source"
DEST = "arn:aws:s3:::dest"
OTHER = "arn:aws:s3:::other"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/replica"
FIFTEEN = ReplicationTimeValue(minutes=15)
REQUEST = InvalidReplicationConfiguration  # answered as InvalidRequest
ARGUMENT = ReplicationConfigurationArgumentError  # answered as InvalidArgument
GUIDE = "Please refer to S3 Developer Guide for more information."
V2_SCHEMA = f"for this version of Cross Region Replication configuration schema. {GUIDE}"


def dest(bucket: str = DEST, **fields: Any) -> ReplicationDestination:
    return ReplicationDestination(bucket=bucket, **fields)


def v1(prefix: str | None = "", **fields: Any) -> ReplicationRule:
    fields.setdefault("destination", dest())
    return ReplicationRule(prefix=prefix, status=fields.pop("status", ENABLED), **fields)


def v2(priority: int | None = 1, **fields: Any) -> ReplicationRule:
    fields.setdefault("destination", dest())
    fields.setdefault("filter", ReplicationFilter())
    fields.setdefault("delete_marker_replication", DeleteMarkerReplication(status=DISABLED))
    return ReplicationRule(priority=priority, status=fields.pop("status", ENABLED), **fields)


def config(*rules: ReplicationRule) -> ReplicationConfiguration:
    return ReplicationConfiguration(role="arn:aws:iam::123456789012:role/r", rules=rules)


def rtc(
    time: ReplicationTime | None = None, metrics: ReplicationMetrics | None = None
) -> ReplicationConfiguration:
    return config(v2(destination=dest(replication_time=time, metrics=metrics)))


def tag(key: str = "k", value: str = "v") -> Tag:
    return Tag(key=key, value=value)


def sse_kms(status: ReplicationRuleStatus | None) -> SourceSelectionCriteria:
    return SourceSelectionCriteria(sse_kms_encrypted_objects=status)


DMR_ENABLED = DeleteMarkerReplication(status=ENABLED)
RTC_ON = ReplicationTime(status=ENABLED, time=FIFTEEN)
RTC_OFF = ReplicationTime(status=DISABLED, time=FIFTEEN)
METRICS_ON = ReplicationMetrics(status=ENABLED, event_threshold=FIFTEEN)

# ------------------------------------------------------------------------- validation: §1.5

# (row, configuration, error type, AWS's message)
INVALID: list[tuple[str, ReplicationConfiguration, type[Exception], str]] = [
    ("7-destination-is-source", config(v2(destination=dest(f"arn:aws:s3:::{SOURCE}"))),
     REQUEST, "Destination bucket cannot be the same as the source bucket."),
    ("8-v2-without-priority", config(v2(priority=None)), REQUEST,
     "Priority must be specified for this version of Cross Region Replication configuration "
     f"schema.{GUIDE}"),
    ("9-v2-without-dmr", config(v2(delete_marker_replication=None)), REQUEST,
     f"DeleteMarkerReplication must be specified {V2_SCHEMA}"),
    ("10-v1-with-dmr", config(v1(delete_marker_replication=DMR_ENABLED)), REQUEST,
     f"DeleteMarkerReplication cannot be used {V2_SCHEMA}"),
    ("10-rule-without-filter-is-v1", config(v1(prefix=None, priority=1,
     delete_marker_replication=DeleteMarkerReplication(status=DISABLED))), REQUEST,
     f"DeleteMarkerReplication cannot be used {V2_SCHEMA}"),
    ("11-v1-two-destinations", config(v1("a"), v1("b", destination=dest(OTHER))), REQUEST,
     "Number of distinct destination bucket ARNs cannot exceed 1"),
    ("12-tag-filter-and-dmr", config(v2(filter=ReplicationFilter(tag=tag()),
     delete_marker_replication=DMR_ENABLED)), REQUEST,
     f"Delete marker replication is not supported if any Tag filter is specified. {GUIDE}"),
    ("12-and-tags-and-dmr", config(v2(filter=ReplicationFilter(and_=ReplicationAnd(
     prefix="p", tags=(tag(),))), delete_marker_replication=DMR_ENABLED)), REQUEST,
     f"Delete marker replication is not supported if any Tag filter is specified. {GUIDE}"),
    ("13-duplicate-priority", config(v2(7), v2(7, destination=dest(OTHER))), REQUEST,
     "Found duplicate priority 7."),
    ("14-duplicate-id", config(v2(1, id="a"), v2(2, id="a")), ARGUMENT,
     "Rule Id must be unique"),
    ("15-non-ascii-id", config(v2(id="règle")), ARGUMENT,
     "Rule ID must not contain non-ASCII characters"),
    ("16-id-too-long", config(v2(id="i" * 256)), ARGUMENT,
     "ID length should not exceed allowed limit of 255"),
    ("16-v1-prefix-too-long", config(v1("p" * 1025)), ARGUMENT,
     "Prefix length should not exceed allowed limit of 1024"),
    ("16-filter-prefix-too-long", config(v2(filter=ReplicationFilter(prefix="p" * 1025))),
     ARGUMENT, "Prefix length should not exceed allowed limit of 1024"),
    ("16-and-prefix-too-long", config(v2(filter=ReplicationFilter(
     and_=ReplicationAnd(prefix="p" * 1025)))), ARGUMENT,
     "Prefix length should not exceed allowed limit of 1024"),
    ("17-too-many-rules", config(*(v2(i, id=str(i)) for i in range(1001))), REQUEST,
     "The number of rules in a replication configuration cannot exceed 1000."),
    ("18-owner-override-without-account", config(v2(destination=dest(
     owner_override=OwnerOverride.DESTINATION))), REQUEST,
     "The <Owner> in <AccessControlTranslation> has a value, so the <Account> element must "
     "be specified."),
    ("19-empty-account", config(v2(destination=dest(account=""))), ARGUMENT,
     "The <Account> element is empty. It must contain a valid account ID."),
    ("21-rtc-without-metrics", rtc(RTC_ON), REQUEST,
     "The replication destination must contain both ReplicationTime and Metrics, or neither."),
    ("22-different-statuses", rtc(RTC_OFF, ReplicationMetrics(status=ENABLED)), REQUEST,
     "ReplicationTime and ReplicationMetrics must have the same status."),
    ("23-rtc-without-status", rtc(ReplicationTime(time=FIFTEEN), METRICS_ON), ARGUMENT,
     "ReplicationTime-Status must contain a value"),
    ("23-rtc-without-time", rtc(ReplicationTime(status=ENABLED), METRICS_ON), ARGUMENT,
     "ReplicationTime-ReplicationTimeValue must contain a value"),
    ("24-rtc-minutes-not-15", rtc(replace(RTC_ON, time=ReplicationTimeValue(minutes=10)),
     METRICS_ON), ARGUMENT, "Replication-ReplicationTimeValue-Minutes value must be 15"),
    ("24-rtc-minutes-missing", rtc(replace(RTC_ON, time=ReplicationTimeValue()), METRICS_ON),
     ARGUMENT, "Replication-ReplicationTimeValue-Minutes value must be 15"),
    ("25-metrics-without-status", rtc(None, ReplicationMetrics()), ARGUMENT,
     "ReplicationMetrics must contain a Status"),
    ("26-rtc-metrics-without-threshold", rtc(RTC_ON, ReplicationMetrics(status=ENABLED)),
     ARGUMENT, "ReplicationMetrics must contain an EventThreshold"),
    ("27-threshold-not-15", rtc(RTC_ON, replace(METRICS_ON,
     event_threshold=ReplicationTimeValue(minutes=30))), ARGUMENT,
     "EventThreshold-ReplicationTimeValue-Minutes value must be 15"),
    ("28-threshold-without-rtc", rtc(None, METRICS_ON), ARGUMENT,
     "Metrics cannot contain an event threshold when ReplicationTime is not specified or "
     "Disabled"),
    ("28-threshold-with-rtc-disabled", rtc(RTC_OFF, replace(METRICS_ON, status=DISABLED)),
     ARGUMENT, "Metrics cannot contain an event threshold when ReplicationTime is not "
     "specified or Disabled"),
    ("30-sse-kms-without-replica-key", config(v2(source_selection_criteria=sse_kms(ENABLED))),
     REQUEST, "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present."),
    ("30-sse-kms-with-empty-encryption", config(v2(source_selection_criteria=sse_kms(ENABLED),
     destination=dest(encryption_configuration=EncryptionConfiguration()))), REQUEST,
     "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present."),
    ("30-replica-key-without-sse-kms", config(v2(destination=dest(
     encryption_configuration=EncryptionConfiguration(replica_kms_key_id=KMS_KEY)))),
     REQUEST, "SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present."),
    ("31-v1-replica-modifications", config(v1(source_selection_criteria=SourceSelectionCriteria(
     replica_modifications=ENABLED))), REQUEST, f"ReplicaModifications cannot be used {V2_SCHEMA}"),
    ("v1-replication-time", config(v1(destination=dest(replication_time=RTC_ON))), REQUEST,
     f"ReplicationTime cannot be used {V2_SCHEMA}"),
    ("v1-metrics", config(v1(destination=dest(metrics=ReplicationMetrics(status=ENABLED)))),
     REQUEST, f"Metrics cannot be used {V2_SCHEMA}"),
    ("mixed-v1-and-v2", config(v1(), v2()), REQUEST,
     "A replication configuration cannot mix rules with a Filter and rules with the "
     "deprecated Prefix element."),
    ("destination-not-an-arn", config(v2(destination=dest("dest"))), ARGUMENT,
     "The destination bucket must be specified as a valid Amazon S3 bucket ARN."),
    ("storage-class-fsx-openzfs", config(v2(destination=dest(storage_class="FSX_OPENZFS"))),
     InvalidReplicationStorageClass,
     "FSX_OPENZFS is not an accepted value when replicating objects."),
    ("3-storage-class-unknown", config(v2(destination=dest(storage_class="COLD"))),
     MalformedReplicationConfiguration, "The XML you provided was not well-formed or did not "
     "validate against our published schema"),
    ("3-no-rules", config(), MalformedReplicationConfiguration, "The XML you provided was not "
     "well-formed or did not validate against our published schema"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("configuration", "error", "message"),
    [case[1:] for case in INVALID],
    ids=[c[0] for c in INVALID],
)
def test_invalid_configuration_is_refused_with_aws_code_and_message(
    configuration: ReplicationConfiguration, error: type[Exception], message: str
) -> None:
    with pytest.raises(InvalidReplicationConfiguration) as caught:
        validate_configuration(configuration, source_bucket=SOURCE)
    assert type(caught.value) is error
    assert caught.value.message == message


VALID: list[tuple[str, ReplicationConfiguration]] = [
    ("v1-whole-bucket", config(v1())),
    ("v1-several-rules-one-destination", config(v1("a/", id="a"), v1("b/", id="b"))),
    ("v1-rule-without-prefix", config(v1(prefix=None))),
    ("v2-empty-filter", config(v2())),
    ("v2-several-destinations", config(v2(1), v2(2, destination=dest(OTHER)))),
    ("v2-same-destination-other-priorities", config(v2(1, id="x"), v2(2, id="y"))),
    ("v2-tag-filter-dmr-disabled", config(v2(filter=ReplicationFilter(tag=tag())))),
    ("v2-prefix-filter-dmr-enabled", config(v2(filter=ReplicationFilter(prefix="p/"),
     delete_marker_replication=DMR_ENABLED))),
    ("v2-and-without-tags-dmr-enabled", config(v2(filter=ReplicationFilter(
     and_=ReplicationAnd(prefix="p/")), delete_marker_replication=DMR_ENABLED))),
    ("v2-dmr-without-status", config(v2(delete_marker_replication=DeleteMarkerReplication()))),
    ("metrics-alone", rtc(None, ReplicationMetrics(status=ENABLED))),
    ("rtc-and-metrics-enabled", rtc(RTC_ON, METRICS_ON)),
    ("rtc-and-metrics-disabled", rtc(RTC_OFF, ReplicationMetrics(status=DISABLED))),
    ("owner-override-with-account", config(v2(destination=dest(account="123456789012",
     owner_override=OwnerOverride.DESTINATION)))),
    ("sse-kms-with-replica-key", config(v2(source_selection_criteria=sse_kms(ENABLED),
     destination=dest(encryption_configuration=EncryptionConfiguration(
     replica_kms_key_id=KMS_KEY))))),
    ("sse-kms-disabled-with-replica-key", config(v2(source_selection_criteria=sse_kms(DISABLED),
     destination=dest(encryption_configuration=EncryptionConfiguration(
     replica_kms_key_id=KMS_KEY))))),
    ("glacier-destination", config(v2(destination=dest(storage_class="DEEP_ARCHIVE")))),
    ("v2-replica-modifications", config(v2(source_selection_criteria=SourceSelectionCriteria(
     replica_modifications=ENABLED)))),
    ("1000-rules", config(*(v2(i, id=str(i)) for i in range(1000)))),
    ("limits-exactly", config(v2(id="i" * 255, filter=ReplicationFilter(prefix="p" * 1024)))),
    ("other-partition", config(v2(destination=dest("arn:aws-cn:s3:::dest")))),
]  # fmt: skip


@pytest.mark.parametrize("configuration", [c[1] for c in VALID], ids=[c[0] for c in VALID])
def test_valid_configuration_is_accepted(configuration: ReplicationConfiguration) -> None:
    validate_configuration(configuration, source_bucket=SOURCE)


def test_schema_version_follows_the_filter() -> None:
    assert schema_version(config(v1())) is SchemaVersion.V1
    assert schema_version(config(v1(prefix=None))) is SchemaVersion.V1
    assert schema_version(config(v2())) is SchemaVersion.V2


@pytest.mark.parametrize(
    ("arn", "name"),
    [("arn:aws:s3:::dest", "dest"), ("arn:aws-us-gov:s3:::a.b-c", "a.b-c")],
)
def test_destination_bucket_name_comes_from_the_arn(arn: str, name: str) -> None:
    assert destination_bucket_name(arn) == name


@pytest.mark.parametrize(
    "arn",
    ["dest", "arn:aws:s3:::", "arn:aws:s3:::dest/key", "arn:aws:s3:us-east-1:1:accesspoint/x",
     "arn:aws:iam:::dest", " arn:aws:s3:::dest"],
)  # fmt: skip
def test_destination_that_is_not_a_bucket_arn_is_invalid_argument(arn: str) -> None:
    with pytest.raises(ReplicationConfigurationArgumentError) as caught:
        destination_bucket_name(arn)
    assert caught.value.fields == {"argument_name": "Bucket", "argument_value": arn}


def test_rules_without_id_get_a_generated_one_and_others_keep_theirs() -> None:
    ids = (f"generated-{n}" for n in itertools.count())
    named = with_rule_ids(config(v2(1, id="mine"), v2(2), v2(3, id="")), new_id=lambda: next(ids))
    assert [rule.id for rule in named.rules] == ["mine", "generated-0", "generated-1"]


def test_generated_rule_ids_are_opaque_unique_and_valid() -> None:
    first, second = new_rule_id(), new_rule_id()
    assert first != second
    assert uuid.UUID(base64.b64decode(first).decode())
    named = with_rule_ids(config(v2(1), v2(2)))
    validate_configuration(named, source_bucket=SOURCE)


# ----------------------------------------------------------------------- evaluation: §1.4


def targets(
    configuration: ReplicationConfiguration,
    key: str = "photos/cat.jpg",
    tags: dict[str, str] | None = None,
    *,
    delete_marker: bool = False,
    storage_class: str = "STANDARD",
    kms: bool = False,
) -> list[tuple[str, str]]:
    """(rule ID, destination bucket) of each target."""
    found = destinations_for(
        configuration,
        key=key,
        tags=tags or {},
        is_delete_marker=delete_marker,
        storage_class=storage_class,
        sse_kms=kms,
    )
    return [(target.rule_id, target.bucket) for target in found]


AND = ReplicationFilter(and_=ReplicationAnd(prefix="photos/", tags=(tag("a", "1"), tag("b", "2"))))
TAGS_ONLY = ReplicationFilter(and_=ReplicationAnd(tags=(tag("a", "1"),)))
MARKERS = DMR_ENABLED

# (case, configuration, key, tags, expected (rule ID, bucket) pairs)
MATCHING: list[tuple[str, ReplicationConfiguration, str, dict[str, str], list[tuple[str, str]]]] = [
    ("v1-prefix-matches", config(v1("photos/", id="r")), "photos/a", {}, [("r", "dest")]),
    ("v1-prefix-misses", config(v1("videos/", id="r")), "photos/a", {}, []),
    ("v1-empty-prefix-is-whole-bucket", config(v1("", id="r")), "x", {}, [("r", "dest")]),
    ("v1-no-prefix-is-whole-bucket", config(v1(None, id="r")), "x", {}, [("r", "dest")]),
    ("v2-empty-filter", config(v2(id="r")), "any", {}, [("r", "dest")]),
    ("v2-prefix", config(v2(id="r", filter=ReplicationFilter(prefix="a/"))), "a/b", {},
     [("r", "dest")]),
    ("v2-prefix-misses", config(v2(id="r", filter=ReplicationFilter(prefix="a/"))), "b/a", {},
     []),
    ("v2-tag", config(v2(id="r", filter=ReplicationFilter(tag=tag()))), "x", {"k": "v"},
     [("r", "dest")]),
    ("v2-tag-other-value", config(v2(id="r", filter=ReplicationFilter(tag=tag()))), "x",
     {"k": "w"}, []),
    ("v2-tag-absent", config(v2(id="r", filter=ReplicationFilter(tag=tag()))), "x", {}, []),
    ("and-all-match", config(v2(id="r", filter=AND)), "photos/x", {"a": "1", "b": "2", "c": "3"},
     [("r", "dest")]),
    ("and-one-tag-missing", config(v2(id="r", filter=AND)), "photos/x", {"a": "1"}, []),
    ("and-prefix-misses", config(v2(id="r", filter=AND)), "videos/x", {"a": "1", "b": "2"}, []),
    ("and-tags-only", config(v2(id="r", filter=TAGS_ONLY)), "any", {"a": "1"}, [("r", "dest")]),
    ("disabled-rule-ignored", config(v2(id="r", status=DISABLED)), "x", {}, []),
    ("highest-priority-wins", config(v2(1, id="low"), v2(9, id="high"), v2(5, id="mid")), "x",
     {}, [("high", "dest")]),
    ("non-matching-high-priority-does-not-win", config(v2(1, id="low"), v2(9, id="high",
     filter=ReplicationFilter(prefix="z"))), "x", {}, [("low", "dest")]),
    ("priority-tie-first-rule-wins", config(v2(3, id="first"), v2(3, id="second")), "x", {},
     [("first", "dest")]),
    ("v1-first-rule-wins", config(v1("", id="first"), v1("x", id="second")), "x", {},
     [("first", "dest")]),
    ("every-destination-gets-a-copy", config(v2(1, id="a", destination=dest(OTHER)),
     v2(2, id="b"), v2(3, id="c", destination=dest(OTHER))), "x", {},
     [("c", "other"), ("b", "dest")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("configuration", "key", "tags", "expected"),
    [case[1:] for case in MATCHING],
    ids=[case[0] for case in MATCHING],
)
def test_object_is_replicated_by_the_winning_rule_of_each_destination(
    configuration: ReplicationConfiguration,
    key: str,
    tags: dict[str, str],
    expected: list[tuple[str, str]],
) -> None:
    assert targets(configuration, key, tags) == expected


# (case, configuration, expected (rule ID, bucket) pairs for a delete marker on "x")
DELETE_MARKERS: list[tuple[str, ReplicationConfiguration, list[tuple[str, str]]]] = [
    ("v1-always", config(v1("", id="r")), [("r", "dest")]),
    ("v1-outside-prefix", config(v1("y", id="r")), []),
    ("v2-dmr-disabled", config(v2(id="r")), []),
    ("v2-dmr-enabled", config(v2(id="r", delete_marker_replication=MARKERS)), [("r", "dest")]),
    ("v2-dmr-without-status", config(v2(id="r",
     delete_marker_replication=DeleteMarkerReplication())), []),
    ("winner-dmr-disabled-hides-lower-rule", config(v2(1, id="low",
     delete_marker_replication=MARKERS), v2(2, id="high")), []),
    ("tag-rule-never-applies-to-markers", config(v2(1, id="prefix",
     delete_marker_replication=MARKERS), v2(2, id="tags", filter=TAGS_ONLY)),
     [("prefix", "dest")]),
    ("disabled-rule-ignored", config(v2(id="r", status=DISABLED,
     delete_marker_replication=MARKERS)), []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [case[1:] for case in DELETE_MARKERS],
    ids=[case[0] for case in DELETE_MARKERS],
)
def test_delete_marker_is_replicated_only_where_the_winning_rule_says(
    configuration: ReplicationConfiguration, expected: list[tuple[str, str]]
) -> None:
    assert targets(configuration, "x", {"a": "1"}, delete_marker=True) == expected


@pytest.mark.parametrize(
    ("storage_class", "replicated"),
    [("GLACIER", False), ("DEEP_ARCHIVE", False), ("GLACIER_IR", True), ("STANDARD_IA", True)],
)
def test_archived_sources_are_not_replicated(storage_class: str, replicated: bool) -> None:
    found = targets(config(v2(id="r")), storage_class=storage_class)
    assert found == ([("r", "dest")] if replicated else [])


def test_storage_class_does_not_stop_a_delete_marker() -> None:
    found = targets(config(v1(id="r")), delete_marker=True, storage_class="GLACIER")
    assert found == [("r", "dest")]


KMS_RULE = {"destination": dest(encryption_configuration=EncryptionConfiguration(
    replica_kms_key_id=KMS_KEY))}  # fmt: skip


@pytest.mark.parametrize(
    ("criteria", "kms", "replicated"),
    [
        (None, False, True),
        (None, True, False),
        (sse_kms(DISABLED), True, False),
        (sse_kms(ENABLED), True, True),
        (sse_kms(ENABLED), False, True),
        (SourceSelectionCriteria(replica_modifications=ENABLED), True, False),
    ],
    ids=["plain", "kms-no-criteria", "kms-opt-in-disabled", "kms-opt-in", "plain-opt-in",
         "kms-other-criteria"],
)  # fmt: skip
def test_sse_kms_sources_need_the_rule_opt_in(
    criteria: SourceSelectionCriteria | None, kms: bool, replicated: bool
) -> None:
    rule = v2(id="r", source_selection_criteria=criteria, **KMS_RULE)
    assert targets(config(rule), kms=kms) == ([("r", "dest")] if replicated else [])


def test_kms_object_goes_by_the_best_rule_that_opted_in() -> None:
    plain = v2(9, id="plain")
    opted = v2(1, id="kms", source_selection_criteria=sse_kms(ENABLED), **KMS_RULE)
    assert targets(config(plain, opted), kms=True) == [("kms", "dest")]
    assert targets(config(plain, opted), kms=False) == [("plain", "dest")]


def test_target_carries_the_winning_rule_settings() -> None:
    rule = v2(
        id="full",
        source_selection_criteria=SourceSelectionCriteria(
            sse_kms_encrypted_objects=ENABLED, replica_modifications=ENABLED
        ),
        destination=dest(
            account="123456789012",
            storage_class="ONEZONE_IA",
            owner_override=OwnerOverride.DESTINATION,
            encryption_configuration=EncryptionConfiguration(replica_kms_key_id=KMS_KEY),
            replication_time=RTC_ON,
            metrics=METRICS_ON,
        ),
    )
    found = destinations_for(
        config(rule), key="k", tags={}, is_delete_marker=False, storage_class="STANDARD",
        sse_kms=True,
    )  # fmt: skip
    assert found == [
        ReplicationTarget(
            rule_id="full",
            bucket="dest",
            account="123456789012",
            storage_class="ONEZONE_IA",
            replica_kms_key_id=KMS_KEY,
            owner_override=True,
            replica_modifications=True,
            replication_time=True,
            metrics=True,
        )
    ]


def test_target_of_a_minimal_rule_has_every_option_off() -> None:
    found = destinations_for(
        config(v1(None)), key="k", tags={}, is_delete_marker=False, storage_class="STANDARD",
        sse_kms=False,
    )  # fmt: skip
    assert found == [
        ReplicationTarget(
            rule_id="",
            bucket="dest",
            account=None,
            storage_class=None,
            replica_kms_key_id=None,
            owner_override=False,
            replica_modifications=False,
            replication_time=False,
            metrics=False,
        )
    ]


def test_disabled_time_control_and_metrics_are_off() -> None:
    rule = v2(destination=dest(replication_time=RTC_OFF, metrics=ReplicationMetrics(
        status=DISABLED)))  # fmt: skip
    [target] = destinations_for(
        config(rule), key="k", tags={}, is_delete_marker=False, storage_class="STANDARD",
        sse_kms=False,
    )  # fmt: skip
    assert (target.replication_time, target.metrics) == (False, False)


@pytest.mark.parametrize(
    ("rules", "enabled"),
    [
        ((v2(source_selection_criteria=SourceSelectionCriteria(replica_modifications=ENABLED)),),
         True),
        ((v2(source_selection_criteria=SourceSelectionCriteria(replica_modifications=DISABLED)),),
         False),
        ((v2(status=DISABLED, source_selection_criteria=SourceSelectionCriteria(
          replica_modifications=ENABLED)),), False),
        ((v2(source_selection_criteria=sse_kms(ENABLED)),), False),
        ((v2(),), False),
        ((v2(1), v2(2, source_selection_criteria=SourceSelectionCriteria(
          replica_modifications=ENABLED))), True),
    ],
    ids=["enabled", "disabled", "rule-disabled", "other-criteria", "no-criteria", "any-rule"],
)  # fmt: skip
def test_replica_modifications_enabled_by_any_enabled_rule(
    rules: tuple[ReplicationRule, ...], enabled: bool
) -> None:
    assert replica_modifications_enabled(config(*rules)) is enabled


def test_matches_reads_key_and_tags_only() -> None:
    rule = v2(filter=AND)
    assert matches(rule, key="photos/1", tags={"a": "1", "b": "2"})
    assert not matches(rule, key="photos/1", tags={"a": "1", "b": "3"})
