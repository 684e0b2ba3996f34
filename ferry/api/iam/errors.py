"""The query protocol's errors, and the one place any exception becomes its `ErrorResponse`
XML (IAM's or STS's namespace). No error carries a secret."""

from __future__ import annotations

import logging

from ferry.api.http import Response
from ferry.control.iam_errors import (
    DeleteConflict,
    EntityAlreadyExists,
    IamAccessDenied,
    IamValidationError,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
)
from ferry.core.errors import FerryError
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.iam import render_error

log = logging.getLogger("ferry.api.iam")


class QueryError(Exception):
    """An error in the query protocol's terms: code, HTTP status, message."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


# Domain error → (IAM code, HTTP status); the first matching class in the MRO wins.
_IAM_CODES: dict[type[FerryError], tuple[str, int]] = {
    NoSuchEntity: ("NoSuchEntity", 404),
    EntityAlreadyExists: ("EntityAlreadyExists", 409),
    DeleteConflict: ("DeleteConflict", 409),
    LimitExceeded: ("LimitExceeded", 409),
    IamValidationError: ("ValidationError", 400),
    InvalidInput: ("InvalidInput", 400),
    MalformedPolicyDocument: ("MalformedPolicyDocument", 400),
    IamAccessDenied: ("AccessDenied", 403),
}

_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


def to_query_error(exc: Exception) -> QueryError | None:
    """The query-protocol error for `exc`; None: an unexpected failure (a 500)."""
    if isinstance(exc, QueryError):
        return exc
    if isinstance(exc, FerryError):
        for cls in type(exc).__mro__:
            if cls in _IAM_CODES:
                code, status = _IAM_CODES[cls]
                return QueryError(code, status, exc.message)
        return None
    if isinstance(exc, S3Error):  # from authentication
        if exc.code is S3ErrorCode.InvalidAccessKeyId:
            return QueryError(
                "InvalidClientTokenId",
                403,
                "The security token included in the request is invalid.",
            )
        if exc.code is S3ErrorCode.SignatureDoesNotMatch:
            return QueryError("SignatureDoesNotMatch", 403, _SIGNATURE_MISMATCH)
        return QueryError(exc.code.value, exc.status, exc.message)
    return None


def error_response(exc: Exception, namespace: str, request_id: str) -> Response:
    error = to_query_error(exc)
    if error is None:
        log.error("unhandled IAM error", exc_info=exc, extra={"request_id": request_id})
        error = QueryError("ServiceFailure", 500, "An internal error occurred.")
    rendered = render_error(
        namespace,
        code=error.code,
        message=error.message,
        request_id=request_id,
        sender=error.status < 500,
    )
    return Response(status=error.status, headers=[("content-type", "text/xml")], body=rendered)
