"""S3 Control's batch jobs under `/v20180820/jobs`: CreateJob, ListJobs, DescribeJob,
UpdateJobStatus, UpdateJobPriority, each authorised as AWS does it: `s3:CreateJob` (and
`iam:PassRole` on the job's RoleArn), `s3:DescribeJob`, `s3:ListJobs`, `s3:UpdateJobStatus`
or `s3:UpdateJobPriority` from the caller's identity policies, on
`arn:aws:s3:<region>:<account>:job/<id>` (`*` to create and list)."""

from __future__ import annotations

import re

from ferry.api.access import RequestAccess
from ferry.api.http import Request, Response, xml_response
from ferry.api.s3control.errors import ControlError
from ferry.protocol.xml.job_render import (
    render_create_job,
    render_describe_job,
    render_list_jobs,
    render_update_job_priority,
    render_update_job_status,
)
from ferry.replication.jobs import BatchJobs

JOBS_PATH = "/v20180820/jobs"
_JOB = re.compile(r"^/v20180820/jobs/([A-Za-z0-9_-]{5,36})(/status|/priority)?$")
DEFAULT_MAX_RESULTS = 1000


def is_jobs_path(path: str) -> bool:
    return path == JOBS_PATH or path.startswith(JOBS_PATH + "/")


async def serve_jobs(
    request: Request, jobs: BatchJobs, access: RequestAccess, account: str, region: str
) -> Response:
    if request.path == JOBS_PATH:
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
        await _require_on_job(access, "s3:DescribeJob", region, account, job_id)
        return xml_response(render_describe_job(await jobs.describe(job_id, account_id=account)))
    if action == "/status" and request.method == "POST":
        await _require_on_job(access, "s3:UpdateJobStatus", region, account, job_id)
        requested = _required_param(request, "requestedJobStatus")
        reason = request.params.get("statusUpdateReason")
        status = await jobs.update_status(job_id, requested, reason, account_id=account)
        return xml_response(render_update_job_status(job_id, status.value, reason))
    if action == "/priority" and request.method == "POST":
        await _require_on_job(access, "s3:UpdateJobPriority", region, account, job_id)
        priority = _int_param(_required_param(request, "priority"), "priority")
        await jobs.update_priority(job_id, priority, account_id=account)
        return xml_response(render_update_job_priority(job_id, priority))
    raise ControlError("NotImplemented", "This S3 Control operation is not implemented.", 501)


async def _require_on_job(
    access: RequestAccess, action: str, region: str, account: str, job_id: str
) -> None:
    job_arn = f"arn:aws:s3:{region}:{account}:job/{job_id}"
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
