"""The admin API's own errors, and the one place any exception becomes its JSON error document
`{"error": code, "message": ..., <extra fields>}`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ferry.api.admin.encoding import json_response
from ferry.api.errors import to_s3_error
from ferry.api.http import Response
from ferry.core.errors import FerryError
from ferry.protocol.errors import S3Error, S3ErrorCode

log = logging.getLogger("ferry.api.admin")


class AdminError(Exception):
    """An error in the admin API's terms: HTTP status, code, message, and `fields` shown
    beside them (a redirect's region and endpoint)."""

    def __init__(
        self, status: int, code: str, message: str, *, fields: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields: Mapping[str, Any] = fields or {}


def to_admin_error(exc: Exception, request_id: str) -> AdminError:
    """S3 errors (authentication's) keep their code and status, domain errors get S3's, and
    anything unexpected is logged once and becomes a 500."""
    if isinstance(exc, AdminError):
        return exc
    if isinstance(exc, FerryError):
        try:
            exc = to_s3_error(exc)
        except FerryError:
            pass  # no S3 code for it: a 500 below
    if not isinstance(exc, S3Error):
        log.error("unhandled admin error", exc_info=exc, extra={"request_id": request_id})
        exc = S3Error(S3ErrorCode.InternalError)
    return AdminError(exc.status, exc.code.value, exc.message)


def error_response(exc: Exception, request_id: str) -> Response:
    error = to_admin_error(exc, request_id)
    return json_response(
        {"error": error.code, "message": error.message, **error.fields}, status=error.status
    )


def no_such_resource(path: str) -> AdminError:
    return AdminError(404, "NotFound", f"No admin resource {path}.")


def method_not_allowed(method: str) -> AdminError:
    return AdminError(405, "MethodNotAllowed", f"{method} is not allowed here.")
