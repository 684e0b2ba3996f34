"""S3 Control Batch Operations responses: CreateJob, DescribeJob, ListJobs, UpdateJobStatus,
UpdateJobPriority, and s3control's error document (`<ErrorResponse><Error>…`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ferry.protocol.xml._xml import (
    XML_DECLARATION,
    element,
    escape,
    format_bool,
    format_timestamp,
    optional_element,
)
from ferry.protocol.xml.jobs import (
    CONTROL_XMLNS,
    CsvManifest,
    GeneratorFilter,
    JobReport,
    ManifestGenerator,
    ManifestLocation,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class JobProgress:
    total: int
    succeeded: int
    failed: int
    elapsed_active_s: int


@dataclass(frozen=True, slots=True, kw_only=True)
class JobView:
    """What DescribeJob and ListJobs show of a job."""

    job_id: str
    job_arn: str
    status: str
    operation: str
    priority: int
    confirmation_required: bool
    role_arn: str
    report: JobReport
    creation_time: datetime
    progress: JobProgress | None
    description: str | None = None
    status_update_reason: str | None = None
    failure_reasons: tuple[tuple[str, str], ...] = ()
    termination_date: datetime | None = None
    suspended_date: datetime | None = None
    suspended_cause: str | None = None
    manifest: CsvManifest | None = None
    generator: ManifestGenerator | None = None
    generated_manifest: ManifestLocation | None = None


def _document(root: str, body: str) -> bytes:
    return f'{XML_DECLARATION}<{root} xmlns="{CONTROL_XMLNS}">{body}</{root}>'.encode()


def _members(name: str, values: Sequence[str]) -> str:
    if not values:
        return ""
    return f"<{name}>" + "".join(element("member", v) for v in values) + f"</{name}>"


def _optional_time(name: str, moment: datetime | None) -> str:
    return "" if moment is None else element(name, format_timestamp(moment))


def render_create_job(job_id: str) -> bytes:
    return _document("CreateJobResult", element("JobId", job_id))


def render_update_job_status(job_id: str, status: str, reason: str | None) -> bytes:
    body = element("JobId", job_id) + element("Status", status)
    return _document("UpdateJobStatusResult", body + optional_element("StatusUpdateReason", reason))


def render_update_job_priority(job_id: str, priority: int) -> bytes:
    body = element("JobId", job_id) + f"<Priority>{priority}</Priority>"
    return _document("UpdateJobPriorityResult", body)


def render_describe_job(job: JobView) -> bytes:
    return _document("DescribeJobResult", f"<Job>{_descriptor(job)}</Job>")


def render_list_jobs(jobs: Sequence[JobView], next_token: str | None) -> bytes:
    members = "".join(f"<member>{_list_descriptor(j)}</member>" for j in jobs)
    return _document(
        "ListJobsResult", optional_element("NextToken", next_token) + f"<Jobs>{members}</Jobs>"
    )


def render_control_error(code: str, message: str, request_id: str) -> bytes:
    body = element("Code", code) + element("Message", message)
    return (
        f"{XML_DECLARATION}<ErrorResponse><Error>{body}</Error>"
        f"{element('RequestId', request_id)}</ErrorResponse>"
    ).encode()


def _progress(progress: JobProgress | None) -> str:
    if progress is None:
        return ""
    return (
        f"<ProgressSummary><TotalNumberOfTasks>{progress.total}</TotalNumberOfTasks>"
        f"<NumberOfTasksSucceeded>{progress.succeeded}</NumberOfTasksSucceeded>"
        f"<NumberOfTasksFailed>{progress.failed}</NumberOfTasksFailed>"
        f"<Timers><ElapsedTimeInActiveSeconds>{progress.elapsed_active_s}"
        "</ElapsedTimeInActiveSeconds></Timers></ProgressSummary>"
    )


def _list_descriptor(job: JobView) -> str:
    return (
        element("JobId", job.job_id)
        + optional_element("Description", job.description)
        + element("Operation", job.operation)
        + f"<Priority>{job.priority}</Priority>"
        + element("Status", job.status)
        + element("CreationTime", format_timestamp(job.creation_time))
        + _optional_time("TerminationDate", job.termination_date)
        + _progress(job.progress)
    )


def _descriptor(job: JobView) -> str:
    failures = "".join(
        f"<member>{element('FailureCode', code)}{element('FailureReason', reason)}</member>"
        for code, reason in job.failure_reasons
    )
    return (
        element("JobId", job.job_id)
        + element("ConfirmationRequired", format_bool(job.confirmation_required))
        + optional_element("Description", job.description)
        + element("JobArn", job.job_arn)
        + element("Status", job.status)
        + ("" if job.manifest is None else f"<Manifest>{_manifest(job.manifest)}</Manifest>")
        + f"<Operation><{escape(job.operation)}/></Operation>"
        + f"<Priority>{job.priority}</Priority>"
        + _progress(job.progress)
        + optional_element("StatusUpdateReason", job.status_update_reason)
        + (f"<FailureReasons>{failures}</FailureReasons>" if failures else "")
        + f"<Report>{_report(job.report)}</Report>"
        + element("CreationTime", format_timestamp(job.creation_time))
        + _optional_time("TerminationDate", job.termination_date)
        + element("RoleArn", job.role_arn)
        + _optional_time("SuspendedDate", job.suspended_date)
        + optional_element("SuspendedCause", job.suspended_cause)
        + ("" if job.generator is None else _generator(job.generator))
        + _generated(job.generated_manifest)
    )


def _location(location: ManifestLocation) -> str:
    return (
        element("ObjectArn", location.object_arn)
        + optional_element("ObjectVersionId", location.object_version_id)
        + element("ETag", location.etag)
    )


def _manifest(manifest: CsvManifest) -> str:
    spec = element("Format", manifest.format) + _members("Fields", manifest.fields)
    return f"<Spec>{spec}</Spec><Location>{_location(manifest.location)}</Location>"


def _report(report: JobReport) -> str:
    return (
        optional_element("Bucket", report.bucket)
        + optional_element("Format", report.format)
        + element("Enabled", format_bool(report.enabled))
        + optional_element("Prefix", report.prefix)
        + optional_element("ReportScope", report.scope)
    )


def _filter(filter_: GeneratorFilter) -> str:
    eligible = filter_.eligible_for_replication
    key_name = ""
    if filter_.key_name is not None:
        k = filter_.key_name
        key_name = (
            "<KeyNameConstraint>"
            + _members("MatchAnyPrefix", k.prefixes)
            + _members("MatchAnySuffix", k.suffixes)
            + _members("MatchAnySubstring", k.substrings)
            + "</KeyNameConstraint>"
        )
    return (
        "<Filter>"
        + ("" if eligible is None else element("EligibleForReplication", format_bool(eligible)))
        + _optional_time("CreatedAfter", filter_.created_after)
        + _optional_time("CreatedBefore", filter_.created_before)
        + _members("ObjectReplicationStatuses", filter_.statuses)
        + key_name
        + "</Filter>"
    )


def _generator(generator: ManifestGenerator) -> str:
    output = ""
    if generator.output is not None:
        o = generator.output
        output = (
            "<ManifestOutputLocation>"
            + element("Bucket", o.bucket)
            + optional_element("ManifestPrefix", o.prefix)
            + element("ManifestFormat", o.format)
            + "</ManifestOutputLocation>"
        )
    return (
        "<ManifestGenerator><S3JobManifestGenerator>"
        + element("SourceBucket", generator.source_bucket)
        + output
        + ("" if generator.filter is None else _filter(generator.filter))
        + element("EnableManifestOutput", format_bool(generator.enable_output))
        + "</S3JobManifestGenerator></ManifestGenerator>"
    )


def _generated(location: ManifestLocation | None) -> str:
    if location is None:
        return ""
    return (
        "<GeneratedManifestDescriptor>"
        + element("Format", "S3InventoryReport_CSV_20211130")
        + f"<Location>{_location(location)}</Location>"
        + "</GeneratedManifestDescriptor>"
    )
