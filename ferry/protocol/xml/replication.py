"""ReplicationConfiguration, for PutBucketReplication and GetBucketReplication.

The parser checks the document against the published schema (required elements, enums, one
predicate per `Filter`, no unknown elements) and answers `MalformedXML` otherwise, as S3
does; `ExistingObjectReplication`, which S3 no longer accepts, is malformed too. Everything
the schema allows is kept, including what AWS rejects with a more precise error (a missing
`ReplicationTime/Status`, an empty `Account`…): those checks belong to
`ferry.replication.rules`, which knows AWS's codes and messages.

The renderer writes back exactly what was parsed, in schema order, so that botocore reads
the document GetBucketReplication returns as the dict the client put: a V1 rule keeps its
`Prefix` (even empty), a V2 rule its `Filter` (even empty), `Priority` and
`DeleteMarkerReplication`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from xml.etree.ElementTree import Element

from ferry.protocol.xml._xml import (
    children,
    document,
    escape,
    find_child,
    local_name,
    malformed,
    optional_element,
    optional_int_element,
    optional_text,
    parse_document,
    parse_int,
    required_text,
)
from ferry.protocol.xml.tagging import Tag

MAX_PRIORITY = 2**31 - 1


class ReplicationRuleStatus(StrEnum):
    """`Enabled` | `Disabled`: the status of a rule, and of each of its optional features."""

    ENABLED = "Enabled"
    DISABLED = "Disabled"


class OwnerOverride(StrEnum):
    DESTINATION = "Destination"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationAnd:
    """`<And>`: a prefix and/or tags, all of which must match."""

    prefix: str | None = None
    tags: tuple[Tag, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationFilter:
    """A V2 `<Filter>`: at most one of prefix, tag, and_; none of them matches every object."""

    prefix: str | None = None
    tag: Tag | None = None
    and_: ReplicationAnd | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSelectionCriteria:
    sse_kms_encrypted_objects: ReplicationRuleStatus | None = None
    replica_modifications: ReplicationRuleStatus | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationTimeValue:
    """`<Time>` / `<EventThreshold>`: a number of minutes (AWS accepts only 15)."""

    minutes: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationTime:
    """S3 Replication Time Control. Both members are required by AWS, checked by the rules."""

    status: ReplicationRuleStatus | None = None
    time: ReplicationTimeValue | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationMetrics:
    status: ReplicationRuleStatus | None = None
    event_threshold: ReplicationTimeValue | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EncryptionConfiguration:
    replica_kms_key_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationDestination:
    bucket: str  # an ARN, `arn:aws:s3:::name`
    account: str | None = None
    storage_class: str | None = None
    owner_override: OwnerOverride | None = None  # AccessControlTranslation/Owner
    encryption_configuration: EncryptionConfiguration | None = None
    replication_time: ReplicationTime | None = None
    metrics: ReplicationMetrics | None = None

    @property
    def replica_kms_key_id(self) -> str | None:
        encryption = self.encryption_configuration
        return None if encryption is None else encryption.replica_kms_key_id


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteMarkerReplication:
    status: ReplicationRuleStatus | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationRule:
    """One rule. A V1 rule has `prefix` (the deprecated `Rule/Prefix`), a V2 rule `filter`."""

    id: str | None = None
    priority: int | None = None
    prefix: str | None = None
    filter: ReplicationFilter | None = None
    status: ReplicationRuleStatus
    source_selection_criteria: SourceSelectionCriteria | None = None
    destination: ReplicationDestination
    delete_marker_replication: DeleteMarkerReplication | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationConfiguration:
    role: str
    rules: tuple[ReplicationRule, ...]


# ----------------------------------------------------------------------------------- parsing


def _only(element: Element, allowed: frozenset[str]) -> Element:
    """`element`, after checking it has no child the schema does not define."""
    for child in element:
        if local_name(child) not in allowed:
            raise malformed()
    return element


def _status(text: str | None) -> ReplicationRuleStatus | None:
    if text is None:
        return None
    try:
        return ReplicationRuleStatus(text)
    except ValueError as exc:
        raise malformed() from exc


def _required_status(container: Element) -> ReplicationRuleStatus:
    """A container whose only child, `Status`, is required."""
    status = _status(required_text(_only(container, frozenset({"Status"})), "Status"))
    assert status is not None
    return status


def _tag(element: Element) -> Tag:
    _only(element, frozenset({"Key", "Value"}))
    return Tag(key=required_text(element, "Key"), value=required_text(element, "Value"))


def _filter(element: Element) -> ReplicationFilter:
    _only(element, frozenset({"Prefix", "Tag", "And"}))
    if len(element) > 1:
        raise malformed()  # exactly one predicate; more than one needs <And>
    tag = find_child(element, "Tag")
    and_ = find_child(element, "And")
    return ReplicationFilter(
        prefix=optional_text(element, "Prefix"),
        tag=None if tag is None else _tag(tag),
        and_=None if and_ is None else _and(and_),
    )


def _and(element: Element) -> ReplicationAnd:
    _only(element, frozenset({"Prefix", "Tag"}))
    return ReplicationAnd(
        prefix=optional_text(element, "Prefix"),
        tags=tuple(_tag(tag) for tag in children(element, "Tag")),
    )


def _time_value(element: Element | None) -> ReplicationTimeValue | None:
    if element is None:
        return None
    minutes = optional_text(_only(element, frozenset({"Minutes"})), "Minutes")
    return ReplicationTimeValue(minutes=None if minutes is None else parse_int(minutes))


def _replication_time(element: Element) -> ReplicationTime:
    _only(element, frozenset({"Status", "Time"}))
    return ReplicationTime(
        status=_status(optional_text(element, "Status")),
        time=_time_value(find_child(element, "Time")),
    )


def _metrics(element: Element) -> ReplicationMetrics:
    _only(element, frozenset({"Status", "EventThreshold"}))
    return ReplicationMetrics(
        status=_status(optional_text(element, "Status")),
        event_threshold=_time_value(find_child(element, "EventThreshold")),
    )


_DESTINATION_CHILDREN = frozenset(
    {
        "Bucket", "Account", "StorageClass", "AccessControlTranslation",
        "EncryptionConfiguration", "ReplicationTime", "Metrics",
    }
)  # fmt: skip


def _destination(element: Element) -> ReplicationDestination:
    _only(element, _DESTINATION_CHILDREN)
    translation = find_child(element, "AccessControlTranslation")
    owner = None
    if translation is not None:
        text = required_text(_only(translation, frozenset({"Owner"})), "Owner")
        try:
            owner = OwnerOverride(text)
        except ValueError as exc:
            raise malformed() from exc
    encryption = find_child(element, "EncryptionConfiguration")
    if encryption is not None:
        _only(encryption, frozenset({"ReplicaKmsKeyID"}))
    time = find_child(element, "ReplicationTime")
    metrics = find_child(element, "Metrics")
    return ReplicationDestination(
        bucket=required_text(element, "Bucket"),
        account=optional_text(element, "Account"),
        storage_class=optional_text(element, "StorageClass"),
        owner_override=owner,
        encryption_configuration=None
        if encryption is None
        else EncryptionConfiguration(
            replica_kms_key_id=optional_text(encryption, "ReplicaKmsKeyID")
        ),
        replication_time=None if time is None else _replication_time(time),
        metrics=None if metrics is None else _metrics(metrics),
    )


def _source_selection(element: Element) -> SourceSelectionCriteria:
    _only(element, frozenset({"SseKmsEncryptedObjects", "ReplicaModifications"}))
    sse_kms = find_child(element, "SseKmsEncryptedObjects")
    replica = find_child(element, "ReplicaModifications")
    return SourceSelectionCriteria(
        sse_kms_encrypted_objects=None if sse_kms is None else _required_status(sse_kms),
        replica_modifications=None if replica is None else _required_status(replica),
    )


_RULE_CHILDREN = frozenset(
    {
        "ID", "Priority", "Prefix", "Filter", "Status", "SourceSelectionCriteria",
        "Destination", "DeleteMarkerReplication",
    }
)  # fmt: skip


def _priority(text: str | None) -> int | None:
    if text is None:
        return None
    value = parse_int(text)
    if not 0 <= value <= MAX_PRIORITY:
        raise malformed()
    return value


def _rule(element: Element) -> ReplicationRule:
    _only(element, _RULE_CHILDREN)  # ExistingObjectReplication is refused here, as S3 does
    prefix = optional_text(element, "Prefix")
    filter_ = find_child(element, "Filter")
    if prefix is not None and filter_ is not None:
        raise malformed()
    destination = find_child(element, "Destination")
    if destination is None:
        raise malformed()
    criteria = find_child(element, "SourceSelectionCriteria")
    dmr = find_child(element, "DeleteMarkerReplication")
    status = _status(required_text(element, "Status"))
    assert status is not None
    return ReplicationRule(
        id=optional_text(element, "ID"),
        priority=_priority(optional_text(element, "Priority")),
        prefix=prefix,
        filter=None if filter_ is None else _filter(filter_),
        status=status,
        source_selection_criteria=None if criteria is None else _source_selection(criteria),
        destination=_destination(destination),
        delete_marker_replication=None
        if dmr is None
        else DeleteMarkerReplication(
            status=_status(optional_text(_only(dmr, frozenset({"Status"})), "Status"))
        ),
    )


def parse_replication_configuration(body: bytes) -> ReplicationConfiguration:
    """The document a client PUTs; any schema violation is `MalformedXML`."""
    root = _only(parse_document(body, "ReplicationConfiguration"), frozenset({"Role", "Rule"}))
    rules = tuple(_rule(rule) for rule in children(root, "Rule"))
    if not rules:
        raise malformed()
    return ReplicationConfiguration(role=required_text(root, "Role"), rules=rules)


# --------------------------------------------------------------------------------- rendering


def _render_status(name: str, status: ReplicationRuleStatus | None) -> str:
    inner = "" if status is None else f"<Status>{status.value}</Status>"
    return f"<{name}>{inner}</{name}>"


def _render_tag(tag: Tag) -> str:
    return f"<Tag><Key>{escape(tag.key)}</Key><Value>{escape(tag.value)}</Value></Tag>"


def _render_filter(filter_: ReplicationFilter) -> str:
    body = optional_element("Prefix", filter_.prefix)
    if filter_.tag is not None:
        body += _render_tag(filter_.tag)
    if filter_.and_ is not None:
        tags = "".join(_render_tag(tag) for tag in filter_.and_.tags)
        body += f"<And>{optional_element('Prefix', filter_.and_.prefix)}{tags}</And>"
    return f"<Filter>{body}</Filter>"


def _render_time_value(name: str, value: ReplicationTimeValue | None) -> str:
    if value is None:
        return ""
    return f"<{name}>{optional_int_element('Minutes', value.minutes)}</{name}>"


def _render_destination(destination: ReplicationDestination) -> str:
    body = f"<Bucket>{escape(destination.bucket)}</Bucket>"
    body += optional_element("Account", destination.account)
    body += optional_element("StorageClass", destination.storage_class)
    if destination.owner_override is not None:
        owner = destination.owner_override.value
        body += f"<AccessControlTranslation><Owner>{owner}</Owner></AccessControlTranslation>"
    if destination.encryption_configuration is not None:
        key = optional_element("ReplicaKmsKeyID", destination.replica_kms_key_id)
        body += f"<EncryptionConfiguration>{key}</EncryptionConfiguration>"
    time = destination.replication_time
    if time is not None:
        status = "" if time.status is None else f"<Status>{time.status.value}</Status>"
        body += f"<ReplicationTime>{status}{_render_time_value('Time', time.time)}"
        body += "</ReplicationTime>"
    metrics = destination.metrics
    if metrics is not None:
        status = "" if metrics.status is None else f"<Status>{metrics.status.value}</Status>"
        threshold = _render_time_value("EventThreshold", metrics.event_threshold)
        body += f"<Metrics>{status}{threshold}</Metrics>"
    return f"<Destination>{body}</Destination>"


def _render_rule(rule: ReplicationRule) -> str:
    body = optional_element("ID", rule.id)
    body += optional_int_element("Priority", rule.priority)
    body += optional_element("Prefix", rule.prefix)
    if rule.filter is not None:
        body += _render_filter(rule.filter)
    body += f"<Status>{rule.status.value}</Status>"
    criteria = rule.source_selection_criteria
    if criteria is not None:
        inner = ""
        if criteria.sse_kms_encrypted_objects is not None:
            inner += _render_status("SseKmsEncryptedObjects", criteria.sse_kms_encrypted_objects)
        if criteria.replica_modifications is not None:
            inner += _render_status("ReplicaModifications", criteria.replica_modifications)
        body += f"<SourceSelectionCriteria>{inner}</SourceSelectionCriteria>"
    body += _render_destination(rule.destination)
    if rule.delete_marker_replication is not None:
        body += _render_status("DeleteMarkerReplication", rule.delete_marker_replication.status)
    return f"<Rule>{body}</Rule>"


def render_replication_configuration(config: ReplicationConfiguration) -> bytes:
    rules = "".join(_render_rule(rule) for rule in config.rules)
    return document("ReplicationConfiguration", f"<Role>{escape(config.role)}</Role>{rules}")
