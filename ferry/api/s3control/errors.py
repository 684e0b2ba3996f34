"""S3 Control's errors, and the one place any exception becomes its error document
(`<ErrorResponse><Error><Code>…`, not S3's `<Error>`) with its codes (`NotFoundException`,
`JobStatusException`…)."""

from __future__ import annotations

import logging

from ferry.api.errors import to_s3_error
from ferry.api.http import Response, xml_response
from ferry.control.errors import AccessDenied
from ferry.core.errors import FerryError
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.job_render import render_control_error
from ferry.replication.jobs import (
    IdempotencyConflict,
    JobNotFound,
    JobOperationNotImplemented,
    JobRequestInvalid,
    JobStatusConflict,
)

log = logging.getLogger("ferry.api.s3control")


class ControlError(Exception):
    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def to_control_error(exc: Exception, request_id: str) -> ControlError:
    """Jobs' domain errors in S3 Control's codes; S3 errors (authentication's) and other
    domain errors keep S3's code and status; anything unexpected is logged once, a 500."""
    match exc:
        case ControlError():
            return exc
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
        case JobRequestInvalid():
            return ControlError("BadRequestException", exc.message, 400)
        case AccessDenied():
            return ControlError("AccessDenied", "Access Denied", 403)
        case S3Error():
            return ControlError(exc.code.value, exc.message, exc.status)
        case FerryError():
            try:
                return to_control_error(to_s3_error(exc), request_id)
            except FerryError:
                pass  # no S3 code for it: a 500 below
    log.error("unhandled S3 Control error", exc_info=exc, extra={"request_id": request_id})
    return to_control_error(S3Error(S3ErrorCode.InternalError), request_id)


def error_response(exc: Exception, request_id: str) -> Response:
    error = to_control_error(exc, request_id)
    body = render_control_error(error.code, error.message, request_id)
    return xml_response(body, status=error.status)
