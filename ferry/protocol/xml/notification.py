"""NotificationConfiguration, for PutBucketNotificationConfiguration and its Get.

Three list kinds (`TopicConfiguration`, `QueueConfiguration`, `CloudFunctionConfiguration`)
name a target by ARN, the events that reach it and an optional key filter; an empty
`<EventBridgeConfiguration/>` turns EventBridge on. The codec checks the shape only; which
events and targets are acceptable is decided by `ferry.events`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from xml.etree.ElementTree import Element

from ferry.protocol.xml._xml import (
    children,
    document,
    element,
    find_child,
    leaf_text,
    malformed,
    optional_element,
    parse_document,
)


class TargetKind(StrEnum):
    """The list a configuration came in, with its element and ARN element names."""

    TOPIC = "TopicConfiguration"
    QUEUE = "QueueConfiguration"
    LAMBDA = "CloudFunctionConfiguration"

    @property
    def arn_element(self) -> str:
        return _ARN_ELEMENTS[self]


_ARN_ELEMENTS = {
    TargetKind.TOPIC: "Topic",
    TargetKind.QUEUE: "Queue",
    TargetKind.LAMBDA: "CloudFunction",
}


class FilterRuleName(StrEnum):
    PREFIX = "Prefix"
    SUFFIX = "Suffix"


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterRule:
    name: FilterRuleName
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetConfiguration:
    kind: TargetKind
    id: str | None
    arn: str
    events: tuple[str, ...]
    filter_rules: tuple[FilterRule, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationConfiguration:
    """An empty configuration turns notifications off."""

    configurations: tuple[TargetConfiguration, ...] = ()
    event_bridge: bool = False


def parse_notification_configuration(body: bytes) -> NotificationConfiguration:
    root = parse_document(body, "NotificationConfiguration")
    configurations: list[TargetConfiguration] = []
    event_bridge = False
    for child in root:
        name = child.tag.rsplit("}", 1)[-1]
        if name == "EventBridgeConfiguration":
            event_bridge = True
            continue
        try:
            kind = TargetKind(name)
        except ValueError as exc:
            raise malformed() from exc
        configurations.append(_parse_target(child, kind))
    return NotificationConfiguration(
        configurations=tuple(configurations), event_bridge=event_bridge
    )


def _parse_target(node: Element, kind: TargetKind) -> TargetConfiguration:
    arn_nodes = children(node, kind.arn_element)
    events = tuple(leaf_text(e).strip() for e in children(node, "Event"))
    if len(arn_nodes) != 1 or not events:
        raise malformed()
    ids = children(node, "Id")
    if len(ids) > 1:
        raise malformed()
    return TargetConfiguration(
        kind=kind,
        id=leaf_text(ids[0]) if ids else None,
        arn=leaf_text(arn_nodes[0]).strip(),
        events=events,
        filter_rules=_parse_filter(find_child(node, "Filter")),
    )


def _parse_filter(node: Element | None) -> tuple[FilterRule, ...]:
    if node is None:
        return ()
    key = find_child(node, "S3Key")
    if key is None:
        return ()
    rules = []
    for rule in children(key, "FilterRule"):
        name_node, value_node = find_child(rule, "Name"), find_child(rule, "Value")
        if name_node is None or value_node is None:
            raise malformed()
        name = leaf_text(name_node).strip().capitalize()
        try:
            rules.append(FilterRule(name=FilterRuleName(name), value=leaf_text(value_node)))
        except ValueError as exc:
            raise malformed() from exc
    return tuple(rules)


def render_notification_configuration(config: NotificationConfiguration) -> bytes:
    body = "".join(_render_target(c) for c in config.configurations)
    if config.event_bridge:
        body += "<EventBridgeConfiguration></EventBridgeConfiguration>"
    return document("NotificationConfiguration", body)


def _render_target(config: TargetConfiguration) -> str:
    parts = [optional_element("Id", config.id), element(config.kind.arn_element, config.arn)]
    parts.extend(element("Event", e) for e in config.events)
    if config.filter_rules:
        rules = "".join(
            f"<FilterRule>{element('Name', r.name.value)}{element('Value', r.value)}</FilterRule>"
            for r in config.filter_rules
        )
        parts.append(f"<Filter><S3Key>{rules}</S3Key></Filter>")
    tag = config.kind.value
    return f"<{tag}>{''.join(parts)}</{tag}>"
