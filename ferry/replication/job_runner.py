"""The job runner: one loop per region that moves batch replication jobs through their
lifecycle. Preparing reads (or generates) the manifest and stores its entries; Active feeds
entries to the task queue a window at a time and counts them as their tasks end; Completing,
Failing and Cancelling wait for running entries, write the completion report, and end.

Every step is one transaction over durable state, so a region killed at any point resumes
each job where it was: nothing is skipped, nothing counted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from ferry.core.clock import Clock, epoch_ms
from ferry.core.errors import FerryError
from ferry.core.wakeup import wait_woken
from ferry.crypto.sse import ObjectEncryption
from ferry.protocol.errors import S3Error
from ferry.protocol.xml._xml import unquote_etag
from ferry.protocol.xml.jobs import bucket_of_arn, object_of_arn
from ferry.replication.job_entries import (
    EntryJudge,
    EntryStatus,
    count_entries,
    enqueue_entries,
    entry_outcomes,
    insert_entries,
    settle_entries,
)
from ferry.replication.job_report import put_bytes, write_report
from ferry.replication.jobs import (
    TERMINAL,
    Job,
    JobStatus,
    fetch_job,
    has_crossed_failure_threshold,
    set_status,
)
from ferry.replication.manifest import (
    MAX_MANIFEST_BYTES,
    ManifestEntry,
    ManifestInvalid,
    generate_manifest,
    parse_csv_manifest,
    render_csv_manifest,
)
from ferry.replication.retry import FailureReason
from ferry.replication.role_access import check_batch_entry
from ferry.replication.roles import ReplicationRoles
from ferry.store import Database, Objects, Tx

log = logging.getLogger("ferry.replication.jobs")

JOB_POLL_S = 0.2
REPORT_NOT_WRITTEN = "The job report could not be written to your report bucket"
_WORKING = ("New", "Preparing", "Ready", "Active", "Completing", "Failing", "Cancelling")
_ENDING = {
    JobStatus.COMPLETING: JobStatus.COMPLETE,
    JobStatus.FAILING: JobStatus.FAILED,
    JobStatus.CANCELLING: JobStatus.CANCELLED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Prepared:
    entries: list[ManifestEntry]
    generated: str | None  # "arn etag" of the generated manifest written out


class JobFailure(FerryError):
    """The job cannot go on."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


class BatchJobRunner:
    def __init__(
        self,
        db: Database,
        objects: Objects,
        clock: Clock,
        *,
        region: str,
        owner_id: str,
        wake_workers: Callable[[], None],
        encryption: ObjectEncryption | None = None,  # None: encrypted manifests are unreadable
        roles: ReplicationRoles | None = None,  # None: the job's role is not checked
    ) -> None:
        self._db = db
        self._objects = objects
        self._encryption = encryption
        self._roles = roles
        self._clock = clock
        self._region = region
        self._owner_id = owner_id
        self._wake_workers = wake_workers
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="batch-job-runner")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the runner's boundary: log, keep going, state is durable
                log.exception("batch job step crashed")
            await wait_woken(self._wake, JOB_POLL_S)

    async def run_once(self) -> None:
        """One step of every unfinished job, highest priority first."""
        for job_id in await self._db.read(_working_jobs):
            await self._step(
                await self._db.read(partial(fetch_job, job_id=job_id, region=self._region))
            )

    def _now_ms(self) -> int:
        return epoch_ms(self._clock.now())

    async def _step(self, job: Job) -> None:
        match job.status:
            case JobStatus.NEW:
                await self._move(job, JobStatus.NEW, JobStatus.PREPARING)
            case JobStatus.PREPARING:
                await self._prepare(job)
            case JobStatus.READY:
                await self._move(job, JobStatus.READY, JobStatus.ACTIVE)
            case JobStatus.ACTIVE:
                judge = await self._entry_judge(job)
                await self._db.write(lambda tx: self._advance(tx, job.job_id, judge))
            case JobStatus.COMPLETING | JobStatus.FAILING | JobStatus.CANCELLING:
                await self._finish(job)
            case _:
                pass

    async def _move(self, job: Job, current: JobStatus, to: JobStatus) -> None:
        now_ms = self._now_ms()

        def write(tx: Tx) -> None:
            fresh = fetch_job(tx, job.job_id, self._region)
            if fresh.status is current:
                set_status(tx, fresh, to, now_ms)

        await self._db.write(write)

    async def _prepare(self, job: Job) -> None:
        try:
            prepared = await self._read_manifest(job)
        except JobFailure as failure:
            await self._fail(job, failure.code, failure.message)
            return
        now_ms = self._now_ms()

        def write(tx: Tx) -> None:
            fresh = fetch_job(tx, job.job_id, self._region)
            if fresh.status is not JobStatus.PREPARING:
                return  # cancelled meanwhile
            insert_entries(tx, job.job_id, prepared.entries)
            counts = {"total": len(prepared.entries), "generated_manifest": prepared.generated}
            if fresh.confirmation_required:
                set_status(tx, fresh, JobStatus.SUSPENDED, now_ms, suspended_ms=now_ms, **counts)
            else:
                set_status(tx, fresh, JobStatus.READY, now_ms, **counts)

        await self._db.write(write)
        log.info("batch job prepared", extra={"job_id": job.job_id, "total": len(prepared.entries)})

    async def _read_manifest(self, job: Job) -> _Prepared:
        request = job.request
        try:
            if request.manifest is not None:
                return _Prepared(entries=await self._csv_entries(job), generated=None)
            assert request.generator is not None
            return await self._generated_entries(job)
        except JobFailure:
            raise
        except FerryError as exc:  # missing bucket or object, malformed manifest
            raise JobFailure("ManifestNotReadable", f"Reading the manifest failed: {exc}") from exc

    async def _csv_entries(self, job: Job) -> list[ManifestEntry]:
        manifest = job.request.manifest
        assert manifest is not None
        bucket, key = object_of_arn_checked(manifest.location.object_arn)
        version = await self._objects.get(bucket, key, manifest.location.object_version_id)
        if version.etag != unquote_etag(manifest.location.etag):
            raise JobFailure(
                "ManifestETagMismatch",
                f"The manifest's ETag {version.etag} does not match the ETag given in the "
                f"job request ({unquote_etag(manifest.location.etag)}).",
            )
        if version.size > MAX_MANIFEST_BYTES:
            raise JobFailure("ManifestTooLarge", "The manifest is too large.")
        # An encrypted manifest (SSE-S3/SSE-KMS, or the bucket's default) is read as plaintext;
        # an SSE-C one cannot be: CustomerKeyRequired makes it ManifestNotReadable.
        if self._encryption is not None:
            chunks = self._encryption.read_plaintext(version)
        else:
            chunks = self._objects.read_body(version)
        data = b"".join([chunk async for chunk in chunks])
        try:
            return parse_csv_manifest(data, manifest.fields)
        except ManifestInvalid as exc:
            raise JobFailure("ManifestNotReadable", exc.message) from exc

    async def _generated_entries(self, job: Job) -> _Prepared:
        generator = job.request.generator
        assert generator is not None
        source = bucket_of_arn_checked(generator.source_bucket)
        await self._objects.bucket(source)  # NoSuchBucket: not in this region
        entries = await self._db.read(lambda tx: generate_manifest(tx, source, generator))
        output = generator.output
        if not generator.enable_output or output is None:
            return _Prepared(entries=entries, generated=None)
        target = bucket_of_arn_checked(output.bucket)
        root = f"{(output.prefix or '').strip('/')}/job-{job.job_id}".lstrip("/")
        data = render_csv_manifest(entries)
        data_key = f"{root}/data/manifest.csv"
        written = await put_bytes(self._objects, target, data_key, data, owner_id=self._owner_id,
                                  content_type="text/csv")  # fmt: skip
        listing = {
            "sourceBucket": source, "destinationBucket": f"arn:aws:s3:::{target}",
            "version": "2021-11-30", "fileFormat": "CSV", "fileSchema": "Bucket, Key, VersionId",
            "files": [{"key": data_key, "size": len(data), "MD5checksum": written.etag}],
        }  # fmt: skip
        manifest = await put_bytes(
            self._objects, target, f"{root}/manifest.json", json.dumps(listing).encode(),
            owner_id=self._owner_id, content_type="application/json",
        )  # fmt: skip
        arn = f"arn:aws:s3:::{target}/{root}/manifest.json"
        return _Prepared(entries=entries, generated=f"{arn} {manifest.etag}")

    async def _fail(self, job: Job, code: str, reason: str) -> None:
        now_ms = self._now_ms()

        def write(tx: Tx) -> None:
            fresh = fetch_job(tx, job.job_id, self._region)
            if fresh.status not in TERMINAL:
                set_status(tx, fresh, JobStatus.FAILED, now_ms, failure_code=code,
                           failure_reason=reason)  # fmt: skip

        await self._db.write(write)
        log.warning("batch job failed", extra={"job_id": job.job_id, "reason": reason})

    async def _entry_judge(self, job: Job) -> EntryJudge | None:
        """What the job's role (RoleArn) lets it replicate, resolved once per step."""
        if self._roles is None:
            return None
        role_arn = job.request.role_arn
        role = await self._roles.resolve(role_arn)

        def judge(bucket: str, key: str) -> tuple[str, str] | None:
            reason = check_batch_entry(role, bucket=bucket, key=key)
            if reason is None:
                return None
            if reason is FailureReason.AssumeRoleNotPermitted:
                return reason.value, f"S3 Batch Operations cannot assume the role {role_arn}."
            return reason.value, (
                f"The role {role_arn} is not allowed s3:InitiateReplication on {bucket}/{key}."
            )

        return judge

    def _advance(self, tx: Tx, job_id: str, judge: EntryJudge | None = None) -> None:
        """Active: count finished entries, judge the failure threshold, start more."""
        now_ms = self._now_ms()
        settle_entries(tx, job_id)
        job = fetch_job(tx, job_id, self._region)
        if job.status is not JobStatus.ACTIVE:
            return
        if has_crossed_failure_threshold(succeeded=job.succeeded, failed=job.failed):
            set_status(tx, job, JobStatus.FAILING, now_ms, failure_code="FailureThresholdExceeded",
                       failure_reason="More than 50% of the job's tasks failed.")  # fmt: skip
            return
        started, failed_at_once = enqueue_entries(tx, job_id, now_ms=now_ms, judge=judge)
        if started > failed_at_once:
            self._wake_workers()
        if not count_entries(tx, job_id, EntryStatus.QUEUED) and not count_entries(
            tx, job_id, EntryStatus.RUNNING
        ):
            set_status(tx, job, JobStatus.COMPLETING, now_ms)

    async def _finish(self, job: Job) -> None:
        def settle(tx: Tx) -> int:
            settle_entries(tx, job.job_id)
            return count_entries(tx, job.job_id, EntryStatus.RUNNING)

        if await self._db.write(settle):
            return  # tasks still under way
        fresh = await self._db.read(lambda tx: fetch_job(tx, job.job_id, self._region))
        ending = _ENDING[fresh.status]
        failure: tuple[str, str] | None = None
        try:
            await self._report(fresh)
        except FerryError as exc:
            failure = ("ReportNotWritten", f"{REPORT_NOT_WRITTEN}: {exc}")
        now_ms = self._now_ms()

        def write(tx: Tx) -> None:
            current = fetch_job(tx, job.job_id, self._region)
            if current.status is not fresh.status:
                return
            if failure is None:
                set_status(tx, current, ending, now_ms)
            else:
                set_status(tx, current, JobStatus.FAILED, now_ms, failure_code=failure[0],
                           failure_reason=failure[1])  # fmt: skip

        await self._db.write(write)
        log.info("batch job ended", extra={"job_id": job.job_id, "status": ending.value})

    async def _report(self, job: Job) -> None:
        report = job.request.report
        if not report.enabled or report.bucket is None or job.succeeded + job.failed == 0:
            return
        failed_only = report.scope == "FailedTasksOnly"
        outcomes = await self._db.read(
            lambda tx: entry_outcomes(tx, job.job_id, failed_only=failed_only)
        )
        await write_report(
            self._objects, bucket=bucket_of_arn_checked(report.bucket), prefix=report.prefix,
            job_id=job.job_id, outcomes=outcomes, owner_id=self._owner_id, now=self._clock.now(),
        )  # fmt: skip


def _working_jobs(tx: Tx) -> list[str]:
    rows = tx.execute(
        f"SELECT job_id FROM batch_jobs WHERE status IN ({', '.join('?' * len(_WORKING))}) "
        "ORDER BY priority DESC, created_ms",
        _WORKING,
    ).fetchall()
    return [str(r[0]) for r in rows]


def bucket_of_arn_checked(arn: str) -> str:
    try:
        return bucket_of_arn(arn)
    except S3Error as exc:  # the codec rejects an ARN the job cannot use
        raise JobFailure("InvalidArn", f"Invalid bucket ARN {arn}.") from exc


def object_of_arn_checked(arn: str) -> tuple[str, str]:
    try:
        return object_of_arn(arn)
    except S3Error as exc:
        raise JobFailure("InvalidArn", f"Invalid object ARN {arn}.") from exc
