"""LifecycleConfiguration, for Put/GetBucketLifecycleConfiguration (docs/lifecycle.md).

Parsing validates as AWS does: the document's shape (MalformedXML) and AWS's limits and
combinations (InvalidArgument, InvalidRequest), with AWS's wording where it is known. A rule
without an ID gets a generated one, as AWS gives it, so that GetBucketLifecycleConfiguration
returns what PutBucketLifecycleConfiguration stored. Rendering writes back the form the rule
was given in: the legacy top-level `Prefix`, or a `Filter` with one condition or an `And`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from xml.etree.ElementTree import Element

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml._xml import (
    children,
    document,
    element,
    find_child,
    format_bool,
    local_name,
    malformed,
    optional_text,
    parse_bool,
    parse_document,
    parse_int,
    required_text,
)

MAX_RULES = 1000
MAX_ID_CHARS = 255
MAX_FILTER_TAGS = 10
MAX_NEWER_NONCURRENT_VERSIONS = 100
TRANSITION_STORAGE_CLASSES = frozenset(
    {"GLACIER", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"}
)
# Storage classes AWS will not take a transition to before this many days.
MIN_TRANSITION_DAYS = {"STANDARD_IA": 30, "ONEZONE_IA": 30}
DEFAULT_MIN_SIZE = "all_storage_classes_128K"
MIN_SIZE_VALUES = frozenset({DEFAULT_MIN_SIZE, "varies_by_storage_class"})
_RULE_ELEMENTS = frozenset(
    {
        "ID", "Prefix", "Filter", "Status", "Expiration", "Transition",
        "NoncurrentVersionTransition", "NoncurrentVersionExpiration",
        "AbortIncompleteMultipartUpload",
    }
)  # fmt: skip


class FilterForm(StrEnum):
    """How a rule said which objects it applies to (rendered back the same way)."""

    NONE = "none"  # neither Filter nor Prefix: every object
    LEGACY_PREFIX = "legacy-prefix"  # <Prefix> directly in the rule
    FILTER = "filter"  # <Filter> with at most one condition, or both sizes
    AND = "and"  # <Filter><And>…</And></Filter>


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleFilter:
    form: FilterForm = FilterForm.NONE
    prefix: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    size_greater_than: int | None = None
    size_less_than: int | None = None

    @property
    def key_prefix(self) -> str:
        return self.prefix or ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    storage_class: str
    days: int | None = None  # days after creation (0 allowed), or…
    date: datetime | None = None  # …a midnight UTC


@dataclass(frozen=True, slots=True, kw_only=True)
class NoncurrentTransition:
    storage_class: str
    noncurrent_days: int
    newer_noncurrent_versions: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NoncurrentExpiration:
    noncurrent_days: int
    newer_noncurrent_versions: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleRule:
    rule_id: str
    enabled: bool
    filter: LifecycleFilter = LifecycleFilter()
    expiration_days: int | None = None
    expiration_date: datetime | None = None
    expired_object_delete_marker: bool | None = None
    transitions: tuple[Transition, ...] = ()
    noncurrent_transitions: tuple[NoncurrentTransition, ...] = ()
    noncurrent_expiration: NoncurrentExpiration | None = None
    abort_days: int | None = None  # AbortIncompleteMultipartUpload DaysAfterInitiation


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleConfiguration:
    rules: tuple[LifecycleRule, ...]
    # x-amz-transition-default-minimum-object-size
    transition_min_size: str = DEFAULT_MIN_SIZE


def invalid(message: str, code: S3ErrorCode = S3ErrorCode.InvalidArgument) -> S3Error:
    return S3Error(code, message)


def parse_transition_min_size(header: str | None) -> str:
    if header is None or header == "":
        return DEFAULT_MIN_SIZE
    if header not in MIN_SIZE_VALUES:
        raise invalid(f"Invalid value for x-amz-transition-default-minimum-object-size: {header}")
    return header


def parse_lifecycle_configuration(
    body: bytes, transition_min_size: str = DEFAULT_MIN_SIZE
) -> LifecycleConfiguration:
    root = parse_document(body, "LifecycleConfiguration")
    for child in root:
        if local_name(child) != "Rule":
            raise malformed()
    raw_rules = children(root, "Rule")
    if not raw_rules:
        raise malformed()
    if len(raw_rules) > MAX_RULES:
        raise invalid(f"Configuration has more than {MAX_RULES} rules", S3ErrorCode.InvalidRequest)
    rules = tuple(_rule(raw) for raw in raw_rules)
    seen: set[str] = set()
    for rule in rules:
        if rule.rule_id in seen:
            raise invalid("Rule ID must be unique. Found same ID for more than one rule")
        seen.add(rule.rule_id)
    return LifecycleConfiguration(rules=rules, transition_min_size=transition_min_size)


def _rule(raw: Element) -> LifecycleRule:
    for child in raw:
        if local_name(child) not in _RULE_ELEMENTS:
            raise malformed()
    rule_id = optional_text(raw, "ID")
    if rule_id is None or rule_id == "":
        rule_id = secrets.token_hex(24)  # AWS names an unnamed rule itself
    if len(rule_id) > MAX_ID_CHARS:
        raise invalid(f"ID length should not exceed allowed limit of {MAX_ID_CHARS}")
    status = required_text(raw, "Status")
    if status not in ("Enabled", "Disabled"):
        raise malformed()
    legacy = optional_text(raw, "Prefix")
    filter_element = find_child(raw, "Filter")
    if legacy is not None and filter_element is not None:
        raise malformed()
    if filter_element is not None:
        rule_filter = _filter(filter_element)
    elif legacy is not None:
        rule_filter = LifecycleFilter(form=FilterForm.LEGACY_PREFIX, prefix=legacy)
    else:
        rule_filter = LifecycleFilter()
    days, date, marker = _expiration(find_child(raw, "Expiration"))
    rule = LifecycleRule(
        rule_id=rule_id,
        enabled=status == "Enabled",
        filter=rule_filter,
        transitions=tuple(_transition(t) for t in children(raw, "Transition")),
        noncurrent_transitions=tuple(
            _noncurrent_transition(t) for t in children(raw, "NoncurrentVersionTransition")
        ),
        noncurrent_expiration=_noncurrent_expiration(
            find_child(raw, "NoncurrentVersionExpiration")
        ),
        abort_days=_abort_days(find_child(raw, "AbortIncompleteMultipartUpload")),
        expiration_days=days,
        expiration_date=date,
        expired_object_delete_marker=marker,
    )
    _check_rule(rule)
    return rule


def _filter(raw: Element) -> LifecycleFilter:
    names = [local_name(c) for c in raw]
    allowed = {"Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan", "And"}
    if any(n not in allowed for n in names) or len(names) != len(set(names)):
        raise malformed()
    if "And" in names:
        if len(names) != 1:
            raise malformed()
        return _and(raw[0])
    sizes = {"ObjectSizeGreaterThan", "ObjectSizeLessThan"}
    if len(names) > 1 and not set(names) <= sizes:
        raise malformed()  # one condition only, unless inside And (both sizes excepted)
    tag = find_child(raw, "Tag")
    found = LifecycleFilter(
        form=FilterForm.FILTER,
        prefix=optional_text(raw, "Prefix"),
        tags=(_tag(tag),) if tag is not None else (),
        size_greater_than=_size(raw, "ObjectSizeGreaterThan"),
        size_less_than=_size(raw, "ObjectSizeLessThan"),
    )
    _check_sizes(found)
    return found


def _and(raw: Element) -> LifecycleFilter:
    allowed = {"Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan"}
    if any(local_name(c) not in allowed for c in raw):
        raise malformed()
    tags = tuple(_tag(t) for t in children(raw, "Tag"))
    if len(tags) > MAX_FILTER_TAGS:
        raise invalid(f"A Filter may contain at most {MAX_FILTER_TAGS} Tags")
    if len({k for k, _ in tags}) != len(tags):
        raise invalid("Duplicate Tag Keys are not allowed.")
    found = LifecycleFilter(
        form=FilterForm.AND,
        prefix=optional_text(raw, "Prefix"),
        tags=tags,
        size_greater_than=_size(raw, "ObjectSizeGreaterThan"),
        size_less_than=_size(raw, "ObjectSizeLessThan"),
    )
    _check_sizes(found)
    return found


def _tag(raw: Element) -> tuple[str, str]:
    key = required_text(raw, "Key")
    value = required_text(raw, "Value")
    if not key or len(key) > 128 or len(value) > 256:
        raise S3Error(S3ErrorCode.InvalidTag, "The TagKey you have provided is invalid")
    return key, value


def _size(raw: Element, name: str) -> int | None:
    text = optional_text(raw, name)
    if text is None:
        return None
    value = parse_int(text)
    if value < 0:
        raise invalid(f"{name} must be a non-negative integer")
    return value


def _check_sizes(found: LifecycleFilter) -> None:
    low, high = found.size_greater_than, found.size_less_than
    if low is not None and high is not None and low >= high:
        raise invalid("ObjectSizeLessThan must be greater than ObjectSizeGreaterThan")


def _positive_days(text: str, message: str) -> int:
    value = parse_int(text)
    if value <= 0:
        raise invalid(message)
    return value


def _date(text: str) -> datetime:
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid("Invalid date: the date must be in ISO 8601 format") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        raise invalid("'Date' must be at midnight GMT")
    return moment


_Expiration = tuple[int | None, datetime | None, bool | None]


def _expiration(raw: Element | None) -> _Expiration:
    """(Days, Date, ExpiredObjectDeleteMarker): at most one of them given."""
    if raw is None:
        return None, None, None
    if any(local_name(c) not in ("Days", "Date", "ExpiredObjectDeleteMarker") for c in raw):
        raise malformed()
    days_text = optional_text(raw, "Days")
    date_text = optional_text(raw, "Date")
    marker_text = optional_text(raw, "ExpiredObjectDeleteMarker")
    given = [t for t in (days_text, date_text, marker_text) if t is not None]
    if len(given) != 1:
        raise malformed()  # exactly one of Days, Date, ExpiredObjectDeleteMarker
    if days_text is not None:
        message = "'Days' for Expiration action must be a positive integer"
        return _positive_days(days_text, message), None, None
    if date_text is not None:
        return None, _date(date_text), None
    assert marker_text is not None
    return None, None, parse_bool(marker_text)


def _transition(raw: Element) -> Transition:
    if any(local_name(c) not in ("Days", "Date", "StorageClass") for c in raw):
        raise malformed()
    storage_class = required_text(raw, "StorageClass")
    if storage_class not in TRANSITION_STORAGE_CLASSES:
        raise malformed()
    days_text, date_text = optional_text(raw, "Days"), optional_text(raw, "Date")
    if (days_text is None) == (date_text is None):
        raise malformed()  # exactly one of Days and Date
    if date_text is not None:
        return Transition(storage_class=storage_class, date=_date(date_text))
    assert days_text is not None
    days = parse_int(days_text)
    if days < 0:
        raise invalid("'Days' in Transition action must be a non-negative integer")
    minimum = MIN_TRANSITION_DAYS.get(storage_class, 0)
    if days < minimum:
        raise invalid(
            f"'Days' in Transition action must be greater than or equal to {minimum} for "
            f"storageClass '{storage_class}'"
        )
    return Transition(storage_class=storage_class, days=days)


def _newer_versions(raw: Element) -> int | None:
    text = optional_text(raw, "NewerNoncurrentVersions")
    if text is None:
        return None
    value = parse_int(text)
    if not 1 <= value <= MAX_NEWER_NONCURRENT_VERSIONS:
        raise invalid(
            f"NewerNoncurrentVersions must be between 1 and {MAX_NEWER_NONCURRENT_VERSIONS}"
        )
    return value


def _noncurrent_transition(raw: Element) -> NoncurrentTransition:
    allowed = ("NoncurrentDays", "StorageClass", "NewerNoncurrentVersions")
    if any(local_name(c) not in allowed for c in raw):
        raise malformed()
    storage_class = required_text(raw, "StorageClass")
    if storage_class not in TRANSITION_STORAGE_CLASSES:
        raise malformed()
    days = parse_int(required_text(raw, "NoncurrentDays"))
    if days < 0:
        raise invalid("'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative")
    minimum = MIN_TRANSITION_DAYS.get(storage_class, 0)
    if days < minimum:
        raise invalid(
            f"'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or "
            f"equal to {minimum} for storageClass '{storage_class}'"
        )
    return NoncurrentTransition(
        storage_class=storage_class, noncurrent_days=days,
        newer_noncurrent_versions=_newer_versions(raw),
    )  # fmt: skip


def _noncurrent_expiration(raw: Element | None) -> NoncurrentExpiration | None:
    if raw is None:
        return None
    if any(local_name(c) not in ("NoncurrentDays", "NewerNoncurrentVersions") for c in raw):
        raise malformed()
    days = _positive_days(
        required_text(raw, "NoncurrentDays"),
        "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
    )
    return NoncurrentExpiration(
        noncurrent_days=days, newer_noncurrent_versions=_newer_versions(raw)
    )


def _abort_days(raw: Element | None) -> int | None:
    if raw is None:
        return None
    if any(local_name(c) != "DaysAfterInitiation" for c in raw):
        raise malformed()
    return _positive_days(
        required_text(raw, "DaysAfterInitiation"),
        "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive "
        "integer",
    )


def _check_rule(rule: LifecycleRule) -> None:
    has_action = (
        rule.expiration_days is not None or rule.expiration_date is not None
        or rule.expired_object_delete_marker is not None or rule.transitions
        or rule.noncurrent_transitions or rule.noncurrent_expiration is not None
        or rule.abort_days is not None
    )  # fmt: skip
    if not has_action:
        raise invalid("At least one action needs to be specified in a rule")
    f = rule.filter
    has_size = f.size_greater_than is not None or f.size_less_than is not None
    if rule.abort_days is not None and f.tags:
        raise invalid("AbortIncompleteMultipartUpload cannot be specified with Tags.")
    if rule.abort_days is not None and has_size:
        raise invalid(
            "AbortIncompleteMultipartUpload cannot be specified with an object size filter."
        )
    if rule.expired_object_delete_marker is not None and f.tags:
        raise invalid("ExpiredObjectDeleteMarker cannot be specified with Tags.")
    if len({t.storage_class for t in rule.transitions}) != len(rule.transitions):
        raise invalid("'StorageClass' must be different for 'Transition' actions in same 'Rule'")
    if len({t.days is None for t in rule.transitions}) > 1:
        raise invalid("Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule")
    classes = [t.storage_class for t in rule.noncurrent_transitions]
    if len(set(classes)) != len(classes):
        raise invalid(
            "'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same "
            "'Rule'"
        )
    if rule.expiration_days is not None:
        for transition in rule.transitions:
            if transition.days is not None and transition.days >= rule.expiration_days:
                raise invalid(
                    "'Days' in the Expiration action for filter must be greater than 'Days' in "
                    "the Transition action"
                )
    if rule.expiration_date is not None:
        for transition in rule.transitions:
            if transition.date is not None and transition.date >= rule.expiration_date:
                raise invalid(
                    "'Date' in the Expiration action for filter must be later than 'Date' in the "
                    "Transition action"
                )
    if rule.noncurrent_expiration is not None:
        for noncurrent in rule.noncurrent_transitions:
            if noncurrent.noncurrent_days >= rule.noncurrent_expiration.noncurrent_days:
                raise invalid(
                    "'NoncurrentDays' in the NoncurrentVersionExpiration action must be greater "
                    "than 'NoncurrentDays' in the NoncurrentVersionTransition action"
                )


# ------------------------------------------------------------------------------- rendering


def _format_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _render_tag(tag: tuple[str, str]) -> str:
    return f"<Tag>{element('Key', tag[0])}{element('Value', tag[1])}</Tag>"


def _render_conditions(f: LifecycleFilter) -> str:
    out = element("Prefix", f.prefix) if f.prefix is not None else ""
    out += "".join(_render_tag(t) for t in f.tags)
    if f.size_greater_than is not None:
        out += f"<ObjectSizeGreaterThan>{f.size_greater_than}</ObjectSizeGreaterThan>"
    if f.size_less_than is not None:
        out += f"<ObjectSizeLessThan>{f.size_less_than}</ObjectSizeLessThan>"
    return out


def _render_filter(f: LifecycleFilter) -> str:
    match f.form:
        case FilterForm.NONE:
            return ""
        case FilterForm.LEGACY_PREFIX:
            return element("Prefix", f.key_prefix)
        case FilterForm.FILTER:
            return f"<Filter>{_render_conditions(f)}</Filter>"
        case FilterForm.AND:
            return f"<Filter><And>{_render_conditions(f)}</And></Filter>"


def _render_rule(rule: LifecycleRule) -> str:
    out = element("ID", rule.rule_id) + _render_filter(rule.filter)
    out += element("Status", "Enabled" if rule.enabled else "Disabled")
    for t in rule.transitions:
        when = f"<Days>{t.days}</Days>" if t.date is None else element("Date", _format_date(t.date))
        out += f"<Transition>{when}{element('StorageClass', t.storage_class)}</Transition>"
    if rule.expiration_days is not None:
        out += f"<Expiration><Days>{rule.expiration_days}</Days></Expiration>"
    elif rule.expiration_date is not None:
        out += f"<Expiration>{element('Date', _format_date(rule.expiration_date))}</Expiration>"
    elif rule.expired_object_delete_marker is not None:
        flag = format_bool(rule.expired_object_delete_marker)
        marker = f"<ExpiredObjectDeleteMarker>{flag}</ExpiredObjectDeleteMarker>"
        out += f"<Expiration>{marker}</Expiration>"
    for n in rule.noncurrent_transitions:
        out += (
            f"<NoncurrentVersionTransition><NoncurrentDays>{n.noncurrent_days}</NoncurrentDays>"
            f"{element('StorageClass', n.storage_class)}"
            f"{_render_newer(n.newer_noncurrent_versions)}"
            "</NoncurrentVersionTransition>"
        )
    if rule.noncurrent_expiration is not None:
        e = rule.noncurrent_expiration
        out += (
            f"<NoncurrentVersionExpiration><NoncurrentDays>{e.noncurrent_days}</NoncurrentDays>"
            f"{_render_newer(e.newer_noncurrent_versions)}</NoncurrentVersionExpiration>"
        )
    if rule.abort_days is not None:
        out += (
            "<AbortIncompleteMultipartUpload><DaysAfterInitiation>"
            f"{rule.abort_days}</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
        )
    return f"<Rule>{out}</Rule>"


def _render_newer(value: int | None) -> str:
    return "" if value is None else f"<NewerNoncurrentVersions>{value}</NewerNoncurrentVersions>"


def render_lifecycle_configuration(config: LifecycleConfiguration) -> bytes:
    return document("LifecycleConfiguration", "".join(_render_rule(r) for r in config.rules))
