"""Batch replication jobs (S3 Control `S3ReplicateObject`): the job record, its state machine
(AWS's New → Preparing → Suspended/Ready → Active → Complete/Failed/Cancelled) and the
`BatchJobs` facade the S3 Control API calls. Jobs are durable in the region's database; the
job runner (`job_runner.py`) moves them along."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ferry.core.clock import Clock, epoch_ms, from_epoch_ms
from ferry.core.errors import Conflict, Invalid, NotFound
from ferry.protocol.xml.job_render import JobProgress, JobView
from ferry.protocol.xml.jobs import (
    CSV_MANIFEST_FORMAT,
    REPLICATE_OPERATION,
    CreateJobRequest,
    ManifestLocation,
    parse_create_job,
)
from ferry.store import Database, Tx

MAX_PRIORITY = 2**31 - 1
MAX_LIST_RESULTS = 1000
FAILURE_THRESHOLD_TASKS = 1000  # AWS: judged once this many tasks have run


class JobStatus(StrEnum):
    NEW = "New"
    PREPARING = "Preparing"
    SUSPENDED = "Suspended"
    READY = "Ready"
    ACTIVE = "Active"
    COMPLETING = "Completing"
    COMPLETE = "Complete"
    FAILING = "Failing"
    FAILED = "Failed"
    CANCELLING = "Cancelling"
    CANCELLED = "Cancelled"


TERMINAL = frozenset({JobStatus.COMPLETE, JobStatus.FAILED, JobStatus.CANCELLED})
# Statuses a cancellation ends at once: no task has been enqueued yet.
CANCEL_AT_ONCE = frozenset(
    {JobStatus.NEW, JobStatus.PREPARING, JobStatus.SUSPENDED, JobStatus.READY}
)


class JobNotFound(NotFound):
    """The specified job does not exist."""


class JobStatusConflict(Conflict):
    """The requested job status transition is not allowed."""


class IdempotencyConflict(Conflict):
    """A job with this ClientRequestToken already exists with different parameters."""


class JobRequestInvalid(Invalid):
    """The job request is invalid."""


class JobOperationNotImplemented(Invalid):
    """Ferry runs S3ReplicateObject jobs only."""


def requested_transition(current: JobStatus, requested: str) -> JobStatus:
    """UpdateJobStatus: the status a job moves to, or JobStatusConflict (pure)."""
    if requested == "Ready" and current is JobStatus.SUSPENDED:
        return JobStatus.READY
    if requested == "Cancelled":
        if current in CANCEL_AT_ONCE:
            return JobStatus.CANCELLED
        if current is JobStatus.ACTIVE:
            return JobStatus.CANCELLING
    raise JobStatusConflict(
        f"Job status {current.value} cannot be changed to {requested}.",
        current=current.value,
        requested=requested,
    )


def has_crossed_failure_threshold(*, succeeded: int, failed: int) -> bool:
    """AWS fails a job once at least 1,000 tasks ran and more than half of them failed."""
    ran = succeeded + failed
    return ran >= FAILURE_THRESHOLD_TASKS and failed * 2 > ran


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    job_id: str
    request: CreateJobRequest
    status: JobStatus
    priority: int
    confirmation_required: bool
    account_id: str
    region: str
    status_update_reason: str | None
    failure: tuple[str, str] | None
    total: int
    succeeded: int
    failed: int
    generated_manifest: ManifestLocation | None
    created_ms: int
    suspended_ms: int | None
    active_since_ms: int | None
    active_ms: int
    terminated_ms: int | None

    def view(self, now_ms: int) -> JobView:
        active = self.active_ms
        if self.active_since_ms is not None and self.terminated_ms is None:
            active += max(0, now_ms - self.active_since_ms)
        prepared = self.status not in (JobStatus.NEW, JobStatus.PREPARING)
        return JobView(
            job_id=self.job_id,
            job_arn=f"arn:aws:s3:{self.region}:{self.account_id}:job/{self.job_id}",
            status=self.status.value,
            operation=self.request.operation,
            priority=self.priority,
            confirmation_required=self.confirmation_required,
            role_arn=self.request.role_arn,
            report=self.request.report,
            creation_time=from_epoch_ms(self.created_ms),
            progress=JobProgress(
                total=self.total, succeeded=self.succeeded, failed=self.failed,
                elapsed_active_s=active // 1000,
            ) if prepared else None,
            description=self.request.description,
            status_update_reason=self.status_update_reason,
            failure_reasons=() if self.failure is None else (self.failure,),
            termination_date=_moment(self.terminated_ms),
            suspended_date=_moment(self.suspended_ms),
            suspended_cause="AwaitingConfirmation" if self.suspended_ms is not None else None,
            manifest=self.request.manifest,
            generator=self.request.generator,
            generated_manifest=self.generated_manifest,
        )  # fmt: skip


def _moment(ms: int | None) -> Any:
    return None if ms is None else from_epoch_ms(ms)


JOB_COLUMNS = (
    "job_id, request_xml, status, priority, confirmation_required, account_id, "
    "status_update_reason, failure_code, failure_reason, total, succeeded, failed, "
    "generated_manifest, created_ms, suspended_ms, active_since_ms, active_ms, terminated_ms"
)


def job_from_row(row: Any, region: str) -> Job:
    generated = row[12]
    location = None
    if generated:
        arn, _, etag = str(generated).rpartition(" ")
        location = ManifestLocation(object_arn=arn, etag=etag)
    return Job(
        job_id=row[0], request=parse_create_job(bytes(row[1])), status=JobStatus(row[2]),
        priority=row[3], confirmation_required=bool(row[4]), account_id=row[5],
        region=region, status_update_reason=row[6],
        failure=None if row[7] is None else (row[7], row[8] or ""),
        total=row[9], succeeded=row[10], failed=row[11], generated_manifest=location,
        created_ms=row[13], suspended_ms=row[14], active_since_ms=row[15], active_ms=row[16],
        terminated_ms=row[17],
    )  # fmt: skip


def fetch_job(tx: Tx, job_id: str, region: str) -> Job:
    row = tx.execute(f"SELECT {JOB_COLUMNS} FROM batch_jobs WHERE job_id = ?", (job_id,))
    found = row.fetchone()
    if found is None:
        raise JobNotFound(f"The job {job_id} does not exist.", job_id=job_id)
    return job_from_row(found, region)


def _fetch_own_job(tx: Tx, job_id: str, region: str, account_id: str) -> Job:
    """Another account's job does not exist for the caller (AWS answers NotFound)."""
    job = fetch_job(tx, job_id, region)
    if job.account_id != account_id:
        raise JobNotFound(f"The job {job_id} does not exist.", job_id=job_id)
    return job


def set_status(tx: Tx, job: Job, status: JobStatus, now_ms: int, **columns: Any) -> None:
    """Move `job` to `status`, keeping the Active-time counters and termination date."""
    values: dict[str, Any] = {"status": status.value, **columns}
    if status is JobStatus.ACTIVE and job.active_since_ms is None:
        values["active_since_ms"] = now_ms
    if status in TERMINAL:
        values["terminated_ms"] = now_ms
        if job.active_since_ms is not None:
            values["active_ms"] = job.active_ms + max(0, now_ms - job.active_since_ms)
            values["active_since_ms"] = None
    names = ", ".join(f"{name} = ?" for name in values)
    tx.execute(f"UPDATE batch_jobs SET {names} WHERE job_id = ?", (*values.values(), job.job_id))


def validate_request(request: CreateJobRequest) -> None:
    if request.operation != REPLICATE_OPERATION:
        raise JobOperationNotImplemented(
            f"Operation {request.operation} is not implemented; Ferry runs S3ReplicateObject."
        )
    if not 0 <= request.priority <= MAX_PRIORITY:
        raise JobRequestInvalid("Priority must be between 0 and 2147483647.")
    if request.manifest is not None and request.manifest.format != CSV_MANIFEST_FORMAT:
        raise JobRequestInvalid(f"Unsupported manifest format {request.manifest.format}.")
    report = request.report
    if report.enabled and report.bucket is None:
        raise JobRequestInvalid("Report.Bucket is required when the report is enabled.")
    if report.scope not in (None, "AllTasks", "FailedTasksOnly"):
        raise JobRequestInvalid(f"Invalid ReportScope {report.scope}.")
    if not 1 <= len(request.client_request_token) <= 64:
        raise JobRequestInvalid("ClientRequestToken must be 1 to 64 characters long.")


# Raises unless the caller may hand S3 Batch Operations the role (iam:PassRole).
RoleCheck = Callable[[str], Awaitable[None]]


class BatchJobs:
    """The S3 Control job API's service: create, describe, list, change status or priority."""

    def __init__(
        self, db: Database, clock: Clock, region: str, on_change: Callable[[], None]
    ) -> None:
        self._db = db
        self._clock = clock
        self._region = region
        self._on_change = on_change

    def _now_ms(self) -> int:
        return epoch_ms(self._clock.now())

    async def create(
        self, body: bytes, *, account_id: str, pass_role: RoleCheck | None = None
    ) -> str:
        """A new job (status New) or, for a repeated ClientRequestToken, the same job.
        `pass_role` judges whether the caller may hand the job its RoleArn (iam:PassRole)."""
        request = parse_create_job(body)
        validate_request(request)
        if pass_role is not None:
            await pass_role(request.role_arn)
        job_id, now_ms = str(uuid.uuid4()), self._now_ms()
        # Tokens are the account's own: the column holds "<account>:<token>" (unique).
        token = f"{account_id}:{request.client_request_token}"

        def write(tx: Tx) -> str:
            found = tx.execute(
                "SELECT job_id, request_xml FROM batch_jobs WHERE client_request_token = ?",
                (token,),
            ).fetchone()
            if found is not None:
                if parse_create_job(bytes(found[1])) != request:
                    raise IdempotencyConflict(token=request.client_request_token)
                return str(found[0])
            confirm = (
                True if request.confirmation_required is None else request.confirmation_required
            )
            tx.execute(
                "INSERT INTO batch_jobs (job_id, client_request_token, request_xml, status, "
                "priority, confirmation_required, description, role_arn, account_id, "
                "created_ms) VALUES (?, ?, ?, 'New', ?, ?, ?, ?, ?, ?)",
                (job_id, token, body, request.priority, int(confirm),
                 request.description, request.role_arn, account_id, now_ms),
            )  # fmt: skip
            return job_id

        created = await self._db.write(write)
        self._on_change()
        return created

    async def describe(self, job_id: str, *, account_id: str) -> JobView:
        job = await self._db.read(lambda tx: _fetch_own_job(tx, job_id, self._region, account_id))
        return job.view(self._now_ms())

    async def list(
        self,
        statuses: Sequence[str],
        *,
        account_id: str,
        max_results: int,
        next_token: str | None,
    ) -> tuple[list[JobView], str | None]:
        """The account's jobs, newest first; `next_token` is the offset of the next page."""
        offset = _parse_token(next_token)
        wanted = [JobStatus(s) for s in statuses]  # ValueError: the caller's bad input
        limit = max(0, min(max_results, MAX_LIST_RESULTS))
        where = f"AND status IN ({', '.join('?' * len(wanted))})" if wanted else ""

        def read(tx: Tx) -> list[Job]:
            rows = tx.execute(
                f"SELECT {JOB_COLUMNS} FROM batch_jobs WHERE account_id = ? {where} "
                "ORDER BY created_ms DESC, job_id LIMIT ? OFFSET ?",
                (account_id, *[s.value for s in wanted], limit + 1, offset),
            ).fetchall()
            return [job_from_row(r, self._region) for r in rows]

        jobs = await self._db.read(read)
        now_ms = self._now_ms()
        token = str(offset + limit) if len(jobs) > limit else None
        return [j.view(now_ms) for j in jobs[:limit]], token

    async def update_status(
        self, job_id: str, requested: str, reason: str | None, *, account_id: str
    ) -> JobStatus:
        now_ms = self._now_ms()

        def write(tx: Tx) -> JobStatus:
            job = _fetch_own_job(tx, job_id, self._region, account_id)
            status = requested_transition(job.status, requested)
            set_status(tx, job, status, now_ms, status_update_reason=reason)
            return status

        status = await self._db.write(write)
        self._on_change()
        return status

    async def update_priority(self, job_id: str, priority: int, *, account_id: str) -> None:
        if not 0 <= priority <= MAX_PRIORITY:
            raise JobRequestInvalid("Priority must be between 0 and 2147483647.")

        def write(tx: Tx) -> None:
            _fetch_own_job(tx, job_id, self._region, account_id)
            tx.execute("UPDATE batch_jobs SET priority = ? WHERE job_id = ?", (priority, job_id))

        await self._db.write(write)


def _parse_token(token: str | None) -> int:
    if token is None or token == "":
        return 0
    if not token.isdigit():
        raise JobRequestInvalid("Invalid nextToken.", invalid_token=True)
    return int(token)
