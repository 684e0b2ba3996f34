"""The JSON of `ferry doctor`'s admin API: findings, and what the source's rules ask of a
destination (sent by the CLI to the destination's region)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ferry.protocol.xml.replication import (
    ReplicationRuleStatus,
    parse_replication_configuration,
)
from ferry.replication.doctor import DestinationNeeds
from ferry.replication.findings import Finding, Severity
from ferry.replication.rules import destination_bucket_name

# The admin API's doctor resources (root-signed; `ferry doctor` and the console's Doctor tab).
SOURCE_PATH = "/_ferry/replication/doctor/source"
DESTINATION_PATH = "/_ferry/replication/doctor/destination"
CONFIGURATION_PATH = "/_ferry/replication/configuration"


def render_finding(finding: Finding) -> dict[str, str]:
    return {
        "severity": finding.severity.value,
        "check": finding.check,
        "subject": finding.subject,
        "message": finding.message,
        "fix": finding.fix,
    }


def parse_finding(document: Mapping[str, Any]) -> Finding:
    return Finding(
        severity=Severity(document["severity"]),
        check=str(document["check"]),
        subject=str(document["subject"]),
        message=str(document["message"]),
        fix=str(document["fix"]),
    )


def render_needs(needs: DestinationNeeds) -> dict[str, Any]:
    return {
        "bucket": needs.bucket,
        "role_arn": needs.role_arn,
        "actions": list(needs.actions),
        "kms_key_ids": list(needs.kms_key_ids),
        "key_prefixes": list(needs.key_prefixes),
        "object_lock": needs.object_lock,
    }


def parse_needs(text: str) -> DestinationNeeds:
    """ValueError when `text` is not what `render_needs` wrote."""
    try:
        document = json.loads(text)
        return DestinationNeeds(
            bucket=str(document["bucket"]),
            role_arn=str(document["role_arn"]),
            actions=tuple(str(a) for a in document["actions"]),
            kms_key_ids=tuple(str(k) for k in document.get("kms_key_ids", ())),
            key_prefixes=tuple(str(p) for p in document.get("key_prefixes", ("",))) or ("",),
            object_lock=bool(document.get("object_lock", False)),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError("not a destination's needs") from exc


def next_hops(document: str | None) -> list[str]:
    """A replication configuration's enabled destinations (the doctor's loop search)."""
    if not document:
        return []
    configuration = parse_replication_configuration(document.encode())
    names = [
        destination_bucket_name(rule.destination.bucket)
        for rule in configuration.rules
        if rule.status is ReplicationRuleStatus.ENABLED
    ]
    return list(dict.fromkeys(names))
