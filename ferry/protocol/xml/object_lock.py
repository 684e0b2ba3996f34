"""Object Lock documents: ObjectLockConfiguration (Put/GetObjectLockConfiguration), Retention
(Put/GetObjectRetention) and LegalHold (Put/GetObjectLegalHold); the lock headers' values.

What does not fit the schema is MalformedXML; values out of range are InvalidArgument, as AWS
answers them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml._xml import (
    document,
    find_child,
    format_timestamp,
    malformed,
    optional_text,
    parse_document,
)

LOCK_MODES = frozenset({"GOVERNANCE", "COMPLIANCE"})
LEGAL_HOLD_STATUSES = frozenset({"ON", "OFF"})
MAX_DAYS = 36_500
MAX_YEARS = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class DefaultRetentionRule:
    mode: str  # GOVERNANCE | COMPLIANCE
    days: int | None = None
    years: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectLockConfiguration:
    rule: DefaultRetentionRule | None = None  # ObjectLockEnabled is always "Enabled"


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectRetention:
    """Both None: `<Retention/>`, which removes the retention."""

    mode: str | None = None
    retain_until: datetime | None = None


def _positive(text: str | None, name: str, maximum: int) -> int | None:
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError as exc:
        raise malformed() from exc
    if value <= 0:
        raise S3Error(
            S3ErrorCode.InvalidArgument, "Default retention period must be a positive integer value"
        )
    if value > maximum:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            f"Default retention period is too large: at most {maximum} {name}",
        )
    return value


def parse_object_lock_configuration(body: bytes) -> ObjectLockConfiguration:
    root = parse_document(body, "ObjectLockConfiguration")
    if optional_text(root, "ObjectLockEnabled") != "Enabled":
        raise malformed()
    rule = find_child(root, "Rule")
    if rule is None:
        return ObjectLockConfiguration()
    retention = find_child(rule, "DefaultRetention")
    if retention is None:
        raise malformed()
    if find_child(retention, "DefaultEventHold") is not None:
        raise _event_holds_refused("DefaultEventHold")
    mode = optional_text(retention, "Mode")
    days = _positive(optional_text(retention, "Days"), "days", MAX_DAYS)
    years = _positive(optional_text(retention, "Years"), "years", MAX_YEARS)
    if mode not in LOCK_MODES or (days is None) == (years is None):
        raise malformed()
    return ObjectLockConfiguration(rule=DefaultRetentionRule(mode=mode, days=days, years=years))


def render_object_lock_configuration(config: ObjectLockConfiguration) -> bytes:
    body = "<ObjectLockEnabled>Enabled</ObjectLockEnabled>"
    rule = config.rule
    if rule is not None:
        period = f"<Days>{rule.days}</Days>" if rule.days is not None else ""
        period += f"<Years>{rule.years}</Years>" if rule.years is not None else ""
        retention = f"<DefaultRetention><Mode>{rule.mode}</Mode>{period}</DefaultRetention>"
        body += f"<Rule>{retention}</Rule>"
    return document("ObjectLockConfiguration", body)


def parse_retain_until(text: str) -> datetime:
    """An ISO 8601 date (`x-amz-object-lock-retain-until-date`, `<RetainUntilDate>`)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise S3Error(
            S3ErrorCode.InvalidArgument, "The retain until date must be provided in ISO 8601 format"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _event_holds_refused(element: str) -> S3Error:
    """Event-based retention is newer than Ferry's Object Lock: refused, never ignored."""
    return S3Error(S3ErrorCode.NotImplemented, f"Ferry does not implement event holds ({element}).")


def parse_retention(body: bytes) -> ObjectRetention:
    root = parse_document(body, "Retention")
    for element in ("EventHold", "EventHoldDuration"):
        if find_child(root, element) is not None:
            raise _event_holds_refused(element)
    mode = optional_text(root, "Mode")
    until = optional_text(root, "RetainUntilDate")
    if mode is None and until is None:
        return ObjectRetention()
    if mode not in LOCK_MODES or until is None:
        raise malformed()
    return ObjectRetention(mode=mode, retain_until=parse_retain_until(until))


def render_retention(retention: ObjectRetention) -> bytes:
    body = ""
    if retention.mode is not None:
        body += f"<Mode>{retention.mode}</Mode>"
    if retention.retain_until is not None:
        body += f"<RetainUntilDate>{format_timestamp(retention.retain_until)}</RetainUntilDate>"
    return document("Retention", body)


def parse_legal_hold(body: bytes) -> bool:
    root = parse_document(body, "LegalHold")
    status = optional_text(root, "Status")
    if status not in LEGAL_HOLD_STATUSES:
        raise malformed()
    return status == "ON"


def render_legal_hold(on: bool) -> bytes:
    return document("LegalHold", f"<Status>{'ON' if on else 'OFF'}</Status>")
