"""A `ferry doctor` finding: what will make replication fail (or fall short), and its fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "ERROR"  # replication fails (or does not happen) until fixed
    WARNING = "WARNING"  # replication works, but not as far as the configuration suggests


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    severity: Severity
    check: str  # a stable name: source-versioning, role-trust, kms-key-region, loop …
    subject: str  # the bucket, rule or role it is about
    message: str
    fix: str


def has_errors(findings: Sequence[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def error_finding(check: str, subject: str, message: str, fix: str) -> Finding:
    return Finding(severity=Severity.ERROR, check=check, subject=subject, message=message, fix=fix)


def warning_finding(check: str, subject: str, message: str, fix: str) -> Finding:
    return Finding(
        severity=Severity.WARNING, check=check, subject=subject, message=message, fix=fix
    )


def unique(findings: Sequence[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def enable_versioning_fix(bucket: str, *, region: str = "") -> str:
    where = f" --region {region}" if region else ""
    return (
        f"aws s3api put-bucket-versioning --bucket {bucket}{where} "
        "--versioning-configuration Status=Enabled"
    )
