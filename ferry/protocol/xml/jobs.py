"""S3 Control Batch Operations: the CreateJob request (`<CreateJobRequest>`) as typed values.

Only what S3ReplicateObject jobs use is kept; an operation other than `S3ReplicateObject` is
parsed as its name so the caller can answer NotImplemented. s3control lists use `<member>`
elements. Timestamps arrive as ISO 8601 (botocore's rest-xml default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from ferry.protocol.xml._xml import (
    children,
    find_child,
    leaf_text,
    local_name,
    malformed,
    optional_text,
    parse_bool,
    parse_document,
    parse_int,
    required_text,
)

CONTROL_XMLNS = "http://awss3control.amazonaws.com/doc/2018-08-20/"
CSV_MANIFEST_FORMAT = "S3BatchOperations_CSV_20180820"
GENERATED_MANIFEST_FORMAT = "S3InventoryReport_CSV_20211130"
REPORT_FORMAT = "Report_CSV_20180820"
REPLICATE_OPERATION = "S3ReplicateObject"
REPLICATION_STATUS_FILTERS = frozenset({"NONE", "FAILED", "COMPLETED", "REPLICA"})
MANIFEST_FIELDS = frozenset({"Ignore", "Bucket", "Key", "VersionId"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestLocation:
    object_arn: str
    etag: str
    object_version_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CsvManifest:
    format: str
    fields: tuple[str, ...]
    location: ManifestLocation


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyNameConstraint:
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    substrings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class GeneratorFilter:
    eligible_for_replication: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    statuses: tuple[str, ...] = ()
    key_name: KeyNameConstraint | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestOutput:
    bucket: str  # bucket ARN
    format: str
    prefix: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestGenerator:
    source_bucket: str  # bucket ARN
    enable_output: bool
    output: ManifestOutput | None = None
    filter: GeneratorFilter | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobReport:
    enabled: bool
    bucket: str | None = None  # bucket ARN
    format: str | None = None
    prefix: str | None = None
    scope: str | None = None  # AllTasks | FailedTasksOnly


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateJobRequest:
    operation: str
    report: JobReport
    client_request_token: str
    priority: int
    role_arn: str
    confirmation_required: bool | None = None
    description: str | None = None
    manifest: CsvManifest | None = None
    generator: ManifestGenerator | None = None


def bucket_of_arn(arn: str) -> str:
    """`arn:aws:s3:::bucket` → `bucket`."""
    prefix, _, name = arn.partition(":::")
    if not prefix.startswith("arn:") or not name or "/" in name:
        raise malformed(f"Invalid bucket ARN: {arn}")
    return name


def object_of_arn(arn: str) -> tuple[str, str]:
    """`arn:aws:s3:::bucket/key` → (bucket, key)."""
    prefix, _, rest = arn.partition(":::")
    bucket, _, key = rest.partition("/")
    if not prefix.startswith("arn:") or not bucket or not key:
        raise malformed(f"Invalid object ARN: {arn}")
    return bucket, key


def parse_create_job(body: bytes) -> CreateJobRequest:
    root = parse_document(body, "CreateJobRequest")
    operation = _operation(_required(root, "Operation"))
    manifest = find_child(root, "Manifest")
    generator = find_child(root, "ManifestGenerator")
    if (manifest is None) == (generator is None):
        raise malformed("Exactly one of Manifest and ManifestGenerator is required.")
    confirmation = optional_text(root, "ConfirmationRequired")
    return CreateJobRequest(
        operation=operation,
        report=_report(_required(root, "Report")),
        client_request_token=required_text(root, "ClientRequestToken"),
        priority=parse_int(required_text(root, "Priority")),
        role_arn=required_text(root, "RoleArn"),
        confirmation_required=None if confirmation is None else parse_bool(confirmation),
        description=optional_text(root, "Description"),
        manifest=None if manifest is None else _manifest(manifest),
        generator=None if generator is None else _generator(generator),
    )


def _required(parent: Element, name: str) -> Element:
    child = find_child(parent, name)
    if child is None:
        raise malformed(f"Missing required element {name}.")
    return child


def _members(parent: Element | None) -> tuple[str, ...]:
    if parent is None:
        return ()
    return tuple(leaf_text(m) for m in children(parent, "member"))


def _operation(element: Element) -> str:
    names = [local_name(child) for child in element]
    if len(names) != 1:
        raise malformed("Operation names exactly one operation.")
    return names[0]


def _report(element: Element) -> JobReport:
    return JobReport(
        enabled=parse_bool(required_text(element, "Enabled")),
        bucket=optional_text(element, "Bucket"),
        format=optional_text(element, "Format"),
        prefix=optional_text(element, "Prefix"),
        scope=optional_text(element, "ReportScope"),
    )


def _manifest(element: Element) -> CsvManifest:
    spec = _required(element, "Spec")
    location = _required(element, "Location")
    fields = _members(find_child(spec, "Fields"))
    if any(f not in MANIFEST_FIELDS for f in fields):
        raise malformed("Unknown manifest field.")
    return CsvManifest(
        format=required_text(spec, "Format"),
        fields=fields,
        location=ManifestLocation(
            object_arn=required_text(location, "ObjectArn"),
            etag=required_text(location, "ETag"),
            object_version_id=optional_text(location, "ObjectVersionId"),
        ),
    )


def _generator(element: Element) -> ManifestGenerator:
    s3 = _required(element, "S3JobManifestGenerator")
    output = find_child(s3, "ManifestOutputLocation")
    filter_ = find_child(s3, "Filter")
    return ManifestGenerator(
        source_bucket=required_text(s3, "SourceBucket"),
        enable_output=parse_bool(required_text(s3, "EnableManifestOutput")),
        output=None
        if output is None
        else ManifestOutput(
            bucket=required_text(output, "Bucket"),
            format=required_text(output, "ManifestFormat"),
            prefix=optional_text(output, "ManifestPrefix"),
        ),
        filter=None if filter_ is None else _filter(filter_),
    )


def _filter(element: Element) -> GeneratorFilter:
    eligible = optional_text(element, "EligibleForReplication")
    statuses = _members(find_child(element, "ObjectReplicationStatuses"))
    if any(s not in REPLICATION_STATUS_FILTERS for s in statuses):
        raise malformed("Unknown ObjectReplicationStatuses value.")
    constraint = find_child(element, "KeyNameConstraint")
    return GeneratorFilter(
        eligible_for_replication=None if eligible is None else parse_bool(eligible),
        created_after=_timestamp(optional_text(element, "CreatedAfter")),
        created_before=_timestamp(optional_text(element, "CreatedBefore")),
        statuses=statuses,
        key_name=None
        if constraint is None
        else KeyNameConstraint(
            prefixes=_members(find_child(constraint, "MatchAnyPrefix")),
            suffixes=_members(find_child(constraint, "MatchAnySuffix")),
            substrings=_members(find_child(constraint, "MatchAnySubstring")),
        ),
    )


def _timestamp(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = text.strip()
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise malformed(f"Invalid timestamp: {text}") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
