"""Replication rules: AWS's validation of a configuration, and which destinations a version
must reach. Pure: no I/O.

`validate_configuration` applies every check of PutBucketReplication that needs nothing but
the document and the source bucket's name (reference §1.5), raising AWS's code and message;
the checks that need other buckets (versioning, existence, owner of each destination) are
the caller's.
`destinations_for` is the runtime evaluation (§1.4): for each destination bucket, the
highest-priority Enabled rule whose filter matches the version decides whether and how it is
replicated.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from ferry.protocol.xml import (
    ReplicationConfiguration,
    ReplicationDestination,
    ReplicationRule,
    ReplicationRuleStatus,
)
from ferry.replication.errors import (
    InvalidReplicationConfiguration,
    InvalidReplicationStorageClass,
    MalformedReplicationConfiguration,
    ReplicationConfigurationArgumentError,
)

MAX_RULES = 1000
MAX_RULE_ID_CHARS = 255
MAX_PREFIX_CHARS = 1024
RTC_MINUTES = 15

# Destination/StorageClass values of the S3 model; FSX_OPENZFS is not accepted there.
STORAGE_CLASSES = frozenset(
    {
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
        "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
        "FSX_OPENZFS", "FSX_ONTAP", "AWS_BACKUP_WARM", "AWS_BACKUP_LOW_COST_WARM",
    }
)  # fmt: skip
REFUSED_STORAGE_CLASSES = frozenset({"FSX_OPENZFS"})
# Source objects in these classes are never replicated (reference §3.1).
UNREPLICATED_STORAGE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})

_BUCKET_ARN = re.compile(r"arn:aws[a-z-]*:s3:::([^/:]+)")
_ENABLED = ReplicationRuleStatus.ENABLED
_SCHEMA_GUIDE = (
    "for this version of Cross Region Replication configuration schema. "
    "Please refer to S3 Developer Guide for more information."
)


class SchemaVersion(StrEnum):
    V1 = "V1"  # Rule/Prefix (or no filter at all): the deprecated schema
    V2 = "V2"  # Rule/Filter


def rule_schema(rule: ReplicationRule) -> SchemaVersion:
    return SchemaVersion.V2 if rule.filter is not None else SchemaVersion.V1


def schema_version(config: ReplicationConfiguration) -> SchemaVersion:
    """The schema of a configuration `validate_configuration` accepted (its rules all share one)."""
    return rule_schema(config.rules[0])


def destination_bucket_name(arn: str) -> str:
    """`arn:aws:s3:::name` → `name`."""
    match = _BUCKET_ARN.fullmatch(arn)
    if match is None:
        raise ReplicationConfigurationArgumentError(
            "The destination bucket must be specified as a valid Amazon S3 bucket ARN.",
            argument_name="Bucket",
            argument_value=arn,
        )
    return match.group(1)


def new_rule_id() -> str:
    """An opaque ID for a rule sent without one, in the style S3 generates."""
    return base64.b64encode(str(uuid.uuid4()).encode()).decode("ascii")


def with_rule_ids(
    config: ReplicationConfiguration, *, new_id: Callable[[], str] = new_rule_id
) -> ReplicationConfiguration:
    """`config` with an ID for every rule that has none, so that GET shows what runs."""
    rules = tuple(rule if rule.id else replace(rule, id=new_id()) for rule in config.rules)
    return replace(config, rules=rules)


# -------------------------------------------------------------------------------- validation


def validate_configuration(config: ReplicationConfiguration, *, source_bucket: str) -> None:
    """Every document-only check of PutBucketReplication, with AWS's code and message."""
    if not config.rules:
        raise MalformedReplicationConfiguration()
    if len(config.rules) > MAX_RULES:
        raise InvalidReplicationConfiguration(
            f"The number of rules in a replication configuration cannot exceed {MAX_RULES}."
        )
    schemas = {rule_schema(rule) for rule in config.rules}
    if len(schemas) > 1:
        raise InvalidReplicationConfiguration(
            "A replication configuration cannot mix rules with a Filter and rules with the "
            "deprecated Prefix element."
        )
    for rule in config.rules:
        _validate_schema(rule)
        _validate_rule(rule)
        _validate_destination(rule.destination)
    _validate_uniqueness(config)
    for rule in config.rules:
        if destination_bucket_name(rule.destination.bucket) == source_bucket:
            raise InvalidReplicationConfiguration(
                "Destination bucket cannot be the same as the source bucket."
            )


def _validate_schema(rule: ReplicationRule) -> None:
    destination = rule.destination
    criteria = rule.source_selection_criteria
    if rule_schema(rule) is SchemaVersion.V2:
        if rule.priority is None:
            raise InvalidReplicationConfiguration(  # sic: AWS omits the space after "schema."
                "Priority must be specified for this version of Cross Region Replication "
                "configuration schema.Please refer to S3 Developer Guide for more information."
            )
        if rule.delete_marker_replication is None:
            raise InvalidReplicationConfiguration(
                f"DeleteMarkerReplication must be specified {_SCHEMA_GUIDE}"
            )
        return
    forbidden_in_v1: dict[str, object] = {
        "DeleteMarkerReplication": rule.delete_marker_replication,
        "ReplicaModifications": criteria.replica_modifications if criteria else None,
        "ReplicationTime": destination.replication_time,
        "Metrics": destination.metrics,
    }
    for name, value in forbidden_in_v1.items():
        if value is not None:
            raise InvalidReplicationConfiguration(f"{name} cannot be used {_SCHEMA_GUIDE}")


def _prefixes(rule: ReplicationRule) -> list[str]:
    found = [rule.prefix]
    if rule.filter is not None:
        found.append(rule.filter.prefix)
        if rule.filter.and_ is not None:
            found.append(rule.filter.and_.prefix)
    return [prefix for prefix in found if prefix is not None]


def _validate_rule(rule: ReplicationRule) -> None:
    if rule.id is not None:
        if not rule.id.isascii():
            raise ReplicationConfigurationArgumentError(
                "Rule ID must not contain non-ASCII characters"
            )
        if len(rule.id) > MAX_RULE_ID_CHARS:
            raise ReplicationConfigurationArgumentError(
                f"ID length should not exceed allowed limit of {MAX_RULE_ID_CHARS}"
            )
    if any(len(prefix) > MAX_PREFIX_CHARS for prefix in _prefixes(rule)):
        raise ReplicationConfigurationArgumentError(
            f"Prefix length should not exceed allowed limit of {MAX_PREFIX_CHARS}"
        )
    dmr = rule.delete_marker_replication
    if dmr is not None and dmr.status is _ENABLED and has_tag_filter(rule):
        raise InvalidReplicationConfiguration(
            "Delete marker replication is not supported if any Tag filter is specified. "
            "Please refer to S3 Developer Guide for more information."
        )
    criteria = rule.source_selection_criteria
    sse_kms = criteria.sse_kms_encrypted_objects if criteria is not None else None
    if sse_kms is _ENABLED and rule.destination.replica_kms_key_id is None:
        raise InvalidReplicationConfiguration(
            "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present."
        )
    if rule.destination.encryption_configuration is not None and sse_kms is None:
        raise InvalidReplicationConfiguration(
            "SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present."
        )


def _validate_destination(destination: ReplicationDestination) -> None:
    destination_bucket_name(destination.bucket)
    storage_class = destination.storage_class
    if storage_class is not None and storage_class not in STORAGE_CLASSES:
        raise MalformedReplicationConfiguration()
    if storage_class in REFUSED_STORAGE_CLASSES:
        raise InvalidReplicationStorageClass(
            f"{storage_class} is not an accepted value when replicating objects."
        )
    if destination.account == "":
        raise ReplicationConfigurationArgumentError(
            "The <Account> element is empty. It must contain a valid account ID."
        )
    if destination.owner_override is not None and destination.account is None:
        raise InvalidReplicationConfiguration(
            "The <Owner> in <AccessControlTranslation> has a value, so the <Account> element "
            "must be specified."
        )
    _validate_time_control(destination)


def _validate_time_control(destination: ReplicationDestination) -> None:
    """The ReplicationTime and Metrics matrix (reference §1.5 #21 to #28)."""
    time, metrics = destination.replication_time, destination.metrics
    if time is not None:
        if time.status is None:
            raise ReplicationConfigurationArgumentError(
                "ReplicationTime-Status must contain a value"
            )
        if time.time is None:
            raise ReplicationConfigurationArgumentError(
                "ReplicationTime-ReplicationTimeValue must contain a value"
            )
        if time.time.minutes != RTC_MINUTES:
            raise ReplicationConfigurationArgumentError(
                f"Replication-ReplicationTimeValue-Minutes value must be {RTC_MINUTES}"
            )
    if metrics is None:
        if time is not None:
            raise InvalidReplicationConfiguration(
                "The replication destination must contain both ReplicationTime and Metrics, "
                "or neither."
            )
        return
    if metrics.status is None:
        raise ReplicationConfigurationArgumentError("ReplicationMetrics must contain a Status")
    if time is not None and time.status is not metrics.status:
        raise InvalidReplicationConfiguration(
            "ReplicationTime and ReplicationMetrics must have the same status."
        )
    rtc_enabled = time is not None and time.status is _ENABLED
    threshold = metrics.event_threshold
    if threshold is None:
        if rtc_enabled:
            raise ReplicationConfigurationArgumentError(
                "ReplicationMetrics must contain an EventThreshold"
            )
        return
    if not rtc_enabled:
        raise ReplicationConfigurationArgumentError(
            "Metrics cannot contain an event threshold when ReplicationTime is not specified "
            "or Disabled"
        )
    if threshold.minutes != RTC_MINUTES:
        raise ReplicationConfigurationArgumentError(
            f"EventThreshold-ReplicationTimeValue-Minutes value must be {RTC_MINUTES}"
        )


def _validate_uniqueness(config: ReplicationConfiguration) -> None:
    ids: set[str] = set()
    priorities: set[int] = set()
    for rule in config.rules:
        if rule.id:
            if rule.id in ids:
                raise ReplicationConfigurationArgumentError("Rule Id must be unique")
            ids.add(rule.id)
        if rule_schema(rule) is SchemaVersion.V2 and rule.priority is not None:
            if rule.priority in priorities:
                raise InvalidReplicationConfiguration(f"Found duplicate priority {rule.priority}.")
            priorities.add(rule.priority)
    if schema_version(config) is SchemaVersion.V1:
        destinations = {rule.destination.bucket for rule in config.rules}
        if len(destinations) > 1:
            raise InvalidReplicationConfiguration(
                "Number of distinct destination bucket ARNs cannot exceed 1"
            )


# -------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationTarget:
    """One destination a version must reach, with the settings of the rule that won it."""

    rule_id: str
    bucket: str  # destination bucket name
    account: str | None
    storage_class: str | None  # None: keep the source's
    replica_kms_key_id: str | None
    owner_override: bool  # AccessControlTranslation: the destination owner owns the replica
    replica_modifications: bool  # replica metadata changes flow back (V2 only)
    replication_time: bool  # S3 RTC enabled
    metrics: bool


def has_tag_filter(rule: ReplicationRule) -> bool:
    found = rule.filter
    return found is not None and (
        found.tag is not None or (found.and_ is not None and bool(found.and_.tags))
    )


def rule_prefix(rule: ReplicationRule) -> str:
    """The prefix every key the rule selects starts with ("" when any key)."""
    found = rule.filter
    if found is None:
        return rule.prefix or ""
    if found.and_ is not None:
        return found.and_.prefix or ""
    return found.prefix or ""


def matches(rule: ReplicationRule, *, key: str, tags: Mapping[str, str]) -> bool:
    """Whether the rule's filter selects a version with this key and these tags."""
    found = rule.filter
    if found is None:
        return key.startswith(rule.prefix or "")
    if found.prefix is not None and not key.startswith(found.prefix):
        return False
    if found.tag is not None and tags.get(found.tag.key) != found.tag.value:
        return False
    if found.and_ is not None:
        if not key.startswith(found.and_.prefix or ""):
            return False
        return all(tags.get(tag.key) == tag.value for tag in found.and_.tags)
    return True


def replicates_delete_markers(rule: ReplicationRule) -> bool:
    if rule_schema(rule) is SchemaVersion.V1:
        return True  # V1 always replicates (user-created) delete markers
    dmr = rule.delete_marker_replication
    return dmr is not None and dmr.status is _ENABLED and not has_tag_filter(rule)


def _is_candidate(
    rule: ReplicationRule, *, key: str, tags: Mapping[str, str], delete_marker: bool, sse_kms: bool
) -> bool:
    if rule.status is not _ENABLED or not matches(rule, key=key, tags=tags):
        return False
    if delete_marker:
        return not has_tag_filter(rule)
    criteria = rule.source_selection_criteria
    return not sse_kms or (criteria is not None and criteria.sse_kms_encrypted_objects is _ENABLED)


def destinations_for(
    config: ReplicationConfiguration,
    *,
    key: str,
    tags: Mapping[str, str],
    is_delete_marker: bool,
    storage_class: str,
    sse_kms: bool,
) -> list[ReplicationTarget]:
    """The destinations a newly written version (object or user-created delete marker) must
    reach, in the order the configuration first names them; empty when it is not eligible.
    `sse_kms`: the source is encrypted with SSE-KMS or DSSE-KMS."""
    if not is_delete_marker and storage_class in UNREPLICATED_STORAGE_CLASSES:
        return []
    winners: dict[str, ReplicationRule] = {}
    for rule in config.rules:
        if not _is_candidate(
            rule, key=key, tags=tags, delete_marker=is_delete_marker, sse_kms=sse_kms
        ):
            continue
        bucket = destination_bucket_name(rule.destination.bucket)
        best = winners.get(bucket)
        if best is None or (rule.priority or 0) > (best.priority or 0):
            winners[bucket] = rule
    return [
        _target(bucket, rule)
        for bucket, rule in winners.items()
        if not is_delete_marker or replicates_delete_markers(rule)
    ]


def _target(bucket: str, rule: ReplicationRule) -> ReplicationTarget:
    destination = rule.destination
    criteria = rule.source_selection_criteria
    time, metrics = destination.replication_time, destination.metrics
    return ReplicationTarget(
        rule_id=rule.id or "",
        bucket=bucket,
        account=destination.account,
        storage_class=destination.storage_class,
        replica_kms_key_id=destination.replica_kms_key_id,
        owner_override=destination.owner_override is not None,
        replica_modifications=criteria is not None and criteria.replica_modifications is _ENABLED,
        replication_time=time is not None and time.status is _ENABLED,
        metrics=metrics is not None and metrics.status is _ENABLED,
    )


def replica_modifications_enabled(config: ReplicationConfiguration) -> bool:
    """Whether an Enabled rule asks for replica modification sync (metadata changes made on
    replicas in this bucket are sent back to their source)."""
    return any(
        rule.status is _ENABLED
        and rule.source_selection_criteria is not None
        and rule.source_selection_criteria.replica_modifications is _ENABLED
        for rule in config.rules
    )
