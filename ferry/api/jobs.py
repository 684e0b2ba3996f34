"""S3 Control Batch Operations on the region's endpoint: CreateJob, DescribeJob, ListJobs,
UpdateJobStatus, UpdateJobPriority under `/v20180820/jobs` (rest-xml, SigV4 service `s3`).

S3 Control has its own error document (`<ErrorResponse><Error>…`) and codes
(`NotFoundException`, `JobStatusException`…), so its requests do not go through the S3 route
table. They are authenticated the same way and authorised as AWS authorises them: a caller
acts in its own account only (`x-amz-account-id` must name it), sees only that account's jobs,
needs `s3:CreateJob` (and `iam:PassRole` on the job's RoleArn), `s3:DescribeJob`,
`s3:ListJobs`, `s3:UpdateJobStatus` or `s3:UpdateJobPriority` from its identity policies (on
`arn:aws:s3:<region>:<account>:job/<id>`, or `*` to create and list)."""

from __future__ import annotations

import logging
import re

from ferry.api.access import RequestAccess, principal_access
from ferry.api.auth import KeyLookup, authenticate
from ferry.api.context import ApiCall, Services
from ferry.api.http import Request, Response, xml_response
from ferry.control.errors import AccessDenied
from ferry.core.errors import FerryError
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.job_render import (
    render_control_error,
    render_create_job,
    render_describe_job,
    render_list_jobs,
    render_update_job_priority,
    render_update_job_status,
)
from ferry.replication.jobs import (
    BatchJobs,
    IdempotencyConflict,
    JobNotFound,
    JobOperationNotImplemented,
    JobRequestInvalid,
    JobStatusConflict,
)

log = logging.getLogger("ferry.api")

CONTROL_PREFIX = "/v20180820/"
_JOBS = "/v20180820/jobs"
_JOB = re.compile(r"^/v20180820/jobs/([A-Za-z0-9_-]{5,36})(/status|/priority)?$")
DEFAULT_MAX_RESULTS = 1000


class ControlError(Exception):
    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def is_control_request(request: Request) -> bool:
    return request.path == _JOBS or request.path.startswith(_JOBS + "/")


async def handle_control(call: ApiCall) -> Response:
    try:
        return await _dispatch(call.request, call.services, call.keys)
    except ControlError as exc:
        error = exc
    except (JobNotFound, JobStatusConflict, IdempotencyConflict, JobRequestInvalid,
            JobOperationNotImplemented) as exc:  # fmt: skip
        error = _mapped(exc)
    except S3Error as exc:
        error = ControlError(exc.code.value, exc.message, exc.status)
    except AccessDenied:
        error = ControlError("AccessDenied", "Access Denied", 403)
    body = render_control_error(error.code, error.message, call.request_id)
    return xml_response(body, status=error.status)


def _mapped(exc: FerryError) -> ControlError:
    match exc:
        case JobNotFound():
            return ControlError("NotFoundException", exc.message, 404)
        case JobStatusConflict():
            return ControlError("JobStatusException", exc.message, 400)
        case IdempotencyConflict():
            return ControlError("IdempotencyException", exc.message, 400)
        case JobOperationNotImplemented():
            return ControlError("NotImplemented", exc.message, 501)
        case JobRequestInvalid() if exc.fields.get("invalid_token"):
            return ControlError("InvalidNextTokenException", exc.message, 400)
        case _:
            return ControlError("BadRequestException", exc.message, 400)


async def _dispatch(request: Request, services: Services, keys: KeyLookup) -> Response:
    auth = authenticate(request, keys, services.clock, services.region.name, virtual_bucket=None)
    principal = auth.principal
    if principal.is_anonymous:
        raise S3Error(S3ErrorCode.AccessDenied)
    account = principal.account_id
    if request.headers.get("x-amz-account-id", account) != account:
        raise S3Error(S3ErrorCode.AccessDenied, "The account ID is not the caller's account.")
    jobs = services.jobs
    if jobs is None:
        raise ControlError("NotImplemented", "Batch jobs are not served here.", 501)
    access = await principal_access(principal, request, services)
    if request.path == _JOBS:
        if request.method == "POST":
            await access.require_action("s3:CreateJob", "*", resource_account=None)
            body = await request.read_body()
            job_id = await jobs.create(body, account_id=account, pass_role=access.require_pass_role)
            return xml_response(render_create_job(job_id))
        if request.method == "GET":
            await access.require_action("s3:ListJobs", "*", resource_account=None)
            return await _list_jobs(request, jobs, account)
    match = _JOB.match(request.path)
    if match is None:
        raise ControlError("NotImplemented", "This S3 Control operation is not implemented.", 501)
    job_id, action = match.group(1), match.group(2)
    if action is None and request.method == "GET":
        await _require_on_job(access, "s3:DescribeJob", services, account, job_id)
        return xml_response(render_describe_job(await jobs.describe(job_id, account_id=account)))
    if action == "/status" and request.method == "POST":
        await _require_on_job(access, "s3:UpdateJobStatus", services, account, job_id)
        requested = _required_param(request, "requestedJobStatus")
        reason = request.params.get("statusUpdateReason")
        status = await jobs.update_status(job_id, requested, reason, account_id=account)
        return xml_response(render_update_job_status(job_id, status.value, reason))
    if action == "/priority" and request.method == "POST":
        await _require_on_job(access, "s3:UpdateJobPriority", services, account, job_id)
        priority = _int_param(_required_param(request, "priority"), "priority")
        await jobs.update_priority(job_id, priority, account_id=account)
        return xml_response(render_update_job_priority(job_id, priority))
    raise ControlError("NotImplemented", "This S3 Control operation is not implemented.", 501)


async def _require_on_job(
    access: RequestAccess, action: str, services: Services, account: str, job_id: str
) -> None:
    job_arn = f"arn:aws:s3:{services.region.name}:{account}:job/{job_id}"
    await access.require_action(action, job_arn, resource_account=account)


async def _list_jobs(request: Request, jobs: BatchJobs, account: str) -> Response:
    statuses = [value for name, value in request.query if name == "jobStatuses"]
    max_results = _int_param(request.params.get("maxResults", str(DEFAULT_MAX_RESULTS)),
                             "maxResults")  # fmt: skip
    if not 0 <= max_results <= DEFAULT_MAX_RESULTS:
        raise ControlError("InvalidRequestException", "maxResults must be 0 to 1000.", 400)
    try:
        views, token = await jobs.list(
            statuses, account_id=account, max_results=max_results,
            next_token=request.params.get("nextToken"),
        )  # fmt: skip
    except ValueError as exc:
        raise ControlError("InvalidRequestException", "Unknown job status.", 400) from exc
    return xml_response(render_list_jobs(views, token))


def _required_param(request: Request, name: str) -> str:
    value = request.params.get(name)
    if value is None:
        raise ControlError("BadRequestException", f"Missing query parameter {name}.", 400)
    return value


def _int_param(value: str, name: str) -> int:
    if not value.strip().lstrip("-").isdigit():
        raise ControlError("BadRequestException", f"{name} must be an integer.", 400)
    return int(value)
