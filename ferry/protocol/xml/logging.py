"""BucketLoggingStatus, for PutBucketLogging and GetBucketLogging (botocore's model: a
LoggingEnabled with TargetBucket, TargetPrefix, TargetGrants and TargetObjectKeyFormat;
an empty document disables logging)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from xml.etree.ElementTree import Element

from ferry.protocol.xml._xml import (
    children,
    document,
    escape,
    find_child,
    malformed,
    optional_text,
    parse_document,
    required_text,
)
from ferry.protocol.xml.acl import Grantee, parse_grantee, render_grantee


class LogsPermission(StrEnum):
    FULL_CONTROL = "FULL_CONTROL"
    READ = "READ"
    WRITE = "WRITE"


class PartitionDateSource(StrEnum):
    EVENT_TIME = "EventTime"
    DELIVERY_TIME = "DeliveryTime"


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetGrant:
    grantee: Grantee
    permission: LogsPermission


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggingEnabled:
    target_bucket: str
    target_prefix: str
    target_grants: tuple[TargetGrant, ...] = ()
    # None: SimplePrefix (AWS's default); otherwise PartitionedPrefix with this date source
    partitioned: PartitionDateSource | None = None


def parse_bucket_logging_status(body: bytes) -> LoggingEnabled | None:
    """None: `<BucketLoggingStatus/>`, logging off."""
    root = parse_document(body, "BucketLoggingStatus")
    enabled = find_child(root, "LoggingEnabled")
    if enabled is None:
        return None
    grants: list[TargetGrant] = []
    grants_element = find_child(enabled, "TargetGrants")
    if grants_element is not None:
        for grant in children(grants_element, "Grant"):
            grantee = find_child(grant, "Grantee")
            if grantee is None:
                raise malformed()
            try:
                permission = LogsPermission(required_text(grant, "Permission"))
            except ValueError as exc:
                raise malformed() from exc
            grants.append(TargetGrant(grantee=parse_grantee(grantee), permission=permission))
    return LoggingEnabled(
        target_bucket=required_text(enabled, "TargetBucket"),
        target_prefix=required_text(enabled, "TargetPrefix"),
        target_grants=tuple(grants),
        partitioned=_key_format(enabled),
    )


def _key_format(enabled: Element) -> PartitionDateSource | None:
    key_format = find_child(enabled, "TargetObjectKeyFormat")
    if key_format is None:
        return None
    simple = find_child(key_format, "SimplePrefix")
    partitioned = find_child(key_format, "PartitionedPrefix")
    if (simple is None) == (partitioned is None):
        raise malformed("Only one format, PartitionedPrefix or SimplePrefix, is allowed.")
    if partitioned is None:
        return None
    source = optional_text(partitioned, "PartitionDateSource")
    try:
        return PartitionDateSource(source) if source else PartitionDateSource.EVENT_TIME
    except ValueError as exc:
        raise malformed() from exc


def render_bucket_logging_status(enabled: LoggingEnabled | None) -> bytes:
    if enabled is None:
        return document("BucketLoggingStatus", "")
    grants = "".join(
        f"<Grant>{render_grantee(g.grantee)}<Permission>{g.permission.value}</Permission></Grant>"
        for g in enabled.target_grants
    )
    body = f"<TargetBucket>{escape(enabled.target_bucket)}</TargetBucket>"
    if grants:
        body += f"<TargetGrants>{grants}</TargetGrants>"
    body += f"<TargetPrefix>{escape(enabled.target_prefix)}</TargetPrefix>"
    if enabled.partitioned is None:
        body += "<TargetObjectKeyFormat><SimplePrefix/></TargetObjectKeyFormat>"
    else:
        body += (
            "<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>"
            f"{enabled.partitioned.value}</PartitionDateSource></PartitionedPrefix>"
            "</TargetObjectKeyFormat>"
        )
    return document("BucketLoggingStatus", f"<LoggingEnabled>{body}</LoggingEnabled>")
