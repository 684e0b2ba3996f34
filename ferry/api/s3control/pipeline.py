"""S3 Control's one pipeline: authenticate (SigV4 service `s3`) → the caller's own account
only → the jobs or the account's Block Public Access → encode, every error through
`errors.error_response`.

A caller acts in its own account only (`x-amz-account-id` must name it, as AWS asks) and sees
only that account's jobs."""

from __future__ import annotations

from ferry.api.access import principal_access
from ferry.api.auth import Principal, authenticate
from ferry.api.context import ApiCall
from ferry.api.http import ClientDisconnected, Request, Response
from ferry.api.s3control.errors import ControlError, error_response
from ferry.api.s3control.jobs import is_jobs_path, serve_jobs
from ferry.api.s3control.public_access import (
    is_public_access_block_path,
    serve_public_access_block,
)
from ferry.protocol.errors import S3Error, S3ErrorCode


def is_control_request(request: Request) -> bool:
    return is_jobs_path(request.path) or is_public_access_block_path(request.path)


async def handle_control(call: ApiCall) -> Response:
    try:
        return await _serve(call)
    except ClientDisconnected:
        raise  # nobody to answer: the app's pipeline drops the request
    except Exception as exc:  # the S3 Control pipeline's boundary: its XML, never S3's
        return error_response(exc, call.request_id)


async def _serve(call: ApiCall) -> Response:
    request, services = call.request, call.services
    principal = _authenticate(call)
    call.note.principal = principal
    if is_public_access_block_path(request.path):
        if services.account_settings is None:
            raise ControlError("NotImplemented", "Account settings are not served here.", 501)
        access = await principal_access(principal, request, services)
        return await serve_public_access_block(
            request, services.account_settings, access, principal.account_id
        )
    jobs = services.jobs
    if jobs is None:
        raise ControlError("NotImplemented", "Batch jobs are not served here.", 501)
    access = await principal_access(principal, request, services)
    return await serve_jobs(request, jobs, access, principal.account_id, services.region.name)


def _authenticate(call: ApiCall) -> Principal:
    request, services = call.request, call.services
    auth = authenticate(request, call.keys, services.clock, services.region.name)
    principal = auth.principal
    if principal.is_anonymous:
        raise S3Error(S3ErrorCode.AccessDenied)
    account = principal.account_id
    if request.headers.get("x-amz-account-id", account) != account:
        raise S3Error(S3ErrorCode.AccessDenied, "The account ID is not the caller's account.")
    return principal
