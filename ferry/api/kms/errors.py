"""KMS's errors, and the one place any exception becomes KMS's JSON error: HTTP 4xx/5xx with
`{"__type": "...Exception", "message": "..."}`, the shape botocore parses."""

from __future__ import annotations

import logging

from ferry.api.http import Response
from ferry.api.kms.encoding import json_response
from ferry.crypto import (
    CryptoError,
    KmsAccessDenied,
    KmsAlreadyExists,
    KmsIncorrectKey,
    KmsInvalidAliasName,
    KmsInvalidCiphertext,
    KmsKeyDisabled,
    KmsKeyInvalidState,
    KmsKeyNotFound,
    KmsKeyUnavailable,
    KmsValidation,
)
from ferry.protocol.errors import S3Error, S3ErrorCode

log = logging.getLogger("ferry.api.kms")


class KmsApiError(Exception):
    """An error KMS reports itself (not a domain error): its `__type`, status and message."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        self.error_type = error_type
        self.message = message
        self.status = status
        super().__init__(f"{error_type}: {message}")


def serialization_error(message: str) -> KmsApiError:
    return KmsApiError("SerializationException", message)


def validation_error(message: str) -> KmsApiError:
    return KmsApiError("ValidationException", f"1 validation error detected: {message}")


# Domain exception → (KMS error type, HTTP status); the first matching class in the MRO wins.
_ERRORS: dict[type[CryptoError], tuple[str, int]] = {
    KmsKeyNotFound: ("NotFoundException", 400),
    KmsKeyDisabled: ("DisabledException", 400),
    KmsKeyInvalidState: ("KMSInvalidStateException", 400),
    KmsAlreadyExists: ("AlreadyExistsException", 400),
    KmsAccessDenied: ("AccessDeniedException", 400),
    KmsInvalidCiphertext: ("InvalidCiphertextException", 400),
    KmsIncorrectKey: ("IncorrectKeyException", 400),
    KmsInvalidAliasName: ("InvalidAliasNameException", 400),
    KmsValidation: ("ValidationException", 400),
    KmsKeyUnavailable: ("KeyUnavailableException", 500),
}

# Authentication failures (raised as S3 errors by api/auth.py) in KMS's words.
_AUTH_ERRORS: dict[S3ErrorCode, tuple[str, str | None]] = {
    S3ErrorCode.InvalidAccessKeyId: (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    ),
    S3ErrorCode.SignatureDoesNotMatch: (
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details.",
    ),
}  # anything else (wrong scope, clock skew, malformed header): InvalidSignatureException


def to_kms_error(exc: Exception, request_id: str) -> KmsApiError:
    """Unexpected exceptions are logged once and become a 500 in KMS's shape."""
    if isinstance(exc, KmsApiError):
        return exc
    if isinstance(exc, CryptoError):
        error_type, status = _error_type(exc)
        return KmsApiError(error_type, exc.message, status)
    if isinstance(exc, S3Error):  # from authentication
        error_type, message = _AUTH_ERRORS.get(exc.code, ("InvalidSignatureException", None))
        return KmsApiError(error_type, message or exc.message)
    log.error("kms request failed", exc_info=exc, extra={"request_id": request_id})
    return KmsApiError("KMSInternalException", "An internal error occurred.", 500)


def error_response(exc: Exception, request_id: str) -> Response:
    error = to_kms_error(exc, request_id)
    body = {"__type": error.error_type}
    if error.message:
        body["message"] = error.message
    return json_response(error.status, body, request_id)


def _error_type(exc: CryptoError) -> tuple[str, int]:
    for cls in type(exc).__mro__:
        if cls in _ERRORS:
            return _ERRORS[cls]
    return "KMSInternalException", 500
