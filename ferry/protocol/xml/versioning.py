"""VersioningConfiguration, for PutBucketVersioning and GetBucketVersioning."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ferry.protocol.xml._xml import document, malformed, optional_text, parse_document


class VersioningStatus(StrEnum):
    ENABLED = "Enabled"
    SUSPENDED = "Suspended"


class MfaDeleteStatus(StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"


@dataclass(frozen=True, slots=True, kw_only=True)
class VersioningConfiguration:
    """A status of None is a bucket that was never versioned (or a request that sets none)."""

    status: VersioningStatus | None = None
    mfa_delete: MfaDeleteStatus | None = None


def parse_versioning_configuration(body: bytes) -> VersioningConfiguration:
    """Any value other than the enums' is `MalformedXML`, which is what AWS answers."""
    root = parse_document(body, "VersioningConfiguration")
    status = optional_text(root, "Status")
    mfa_delete = optional_text(root, "MfaDelete")
    try:
        return VersioningConfiguration(
            status=None if status is None else VersioningStatus(status),
            mfa_delete=None if mfa_delete is None else MfaDeleteStatus(mfa_delete),
        )
    except ValueError as exc:
        raise malformed() from exc


def render_versioning_configuration(config: VersioningConfiguration) -> bytes:
    """An empty `<VersioningConfiguration/>` for a bucket that was never versioned."""
    body = ""
    if config.status is not None:
        body += f"<Status>{config.status.value}</Status>"
    if config.mfa_delete is not None:
        body += f"<MfaDelete>{config.mfa_delete.value}</MfaDelete>"
    return document("VersioningConfiguration", body)
