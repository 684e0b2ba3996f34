"""The batch job state machine, failure threshold and request validation (pure)."""

from __future__ import annotations

import pytest

from ferry.protocol.xml.jobs import CreateJobRequest, JobReport
from ferry.replication.jobs import (
    JobOperationNotImplemented,
    JobRequestInvalid,
    JobStatus,
    JobStatusConflict,
    has_crossed_failure_threshold,
    requested_transition,
    validate_request,
)

S = JobStatus


def test_ready_confirms_only_a_suspended_job() -> None:
    assert requested_transition(S.SUSPENDED, "Ready") is S.READY
    for status in S:
        if status is not S.SUSPENDED:
            with pytest.raises(JobStatusConflict):
                requested_transition(status, "Ready")


@pytest.mark.parametrize("status", [S.NEW, S.PREPARING, S.SUSPENDED, S.READY])
def test_cancel_before_any_task_ends_at_once(status: JobStatus) -> None:
    assert requested_transition(status, "Cancelled") is S.CANCELLED


def test_cancel_an_active_job_goes_through_cancelling() -> None:
    assert requested_transition(S.ACTIVE, "Cancelled") is S.CANCELLING


@pytest.mark.parametrize(
    "status", [S.COMPLETE, S.FAILED, S.CANCELLED, S.CANCELLING, S.FAILING, S.COMPLETING]
)
def test_finished_or_finishing_jobs_cannot_be_cancelled(status: JobStatus) -> None:
    with pytest.raises(JobStatusConflict):
        requested_transition(status, "Cancelled")


def test_unknown_requested_status_is_refused() -> None:
    with pytest.raises(JobStatusConflict):
        requested_transition(S.ACTIVE, "Paused")


@pytest.mark.parametrize(
    ("succeeded", "failed", "crossed"),
    [(0, 999, False), (499, 501, True), (500, 500, False), (0, 0, False), (100, 2000, True)],
)
def test_failure_threshold(succeeded: int, failed: int, crossed: bool) -> None:
    assert has_crossed_failure_threshold(succeeded=succeeded, failed=failed) is crossed


def _request(**extra: object) -> CreateJobRequest:
    fields: dict[str, object] = {
        "operation": "S3ReplicateObject", "report": JobReport(enabled=False),
        "client_request_token": "t", "priority": 1, "role_arn": "arn:aws:iam::1:role/r",
    }  # fmt: skip
    return CreateJobRequest(**{**fields, **extra})  # type: ignore[arg-type]  # test data


def test_validate_request() -> None:
    validate_request(_request())
    with pytest.raises(JobOperationNotImplemented):
        validate_request(_request(operation="LambdaInvoke"))
    with pytest.raises(JobRequestInvalid):
        validate_request(_request(priority=-1))
    with pytest.raises(JobRequestInvalid):
        validate_request(_request(report=JobReport(enabled=True)))
    with pytest.raises(JobRequestInvalid):
        validate_request(_request(report=JobReport(enabled=False, scope="Some")))
    with pytest.raises(JobRequestInvalid):
        validate_request(_request(client_request_token="x" * 65))
