"""The regional key service's API: AWS KMS's JSON protocol on every region's endpoint.

`POST /` with `X-Amz-Target: TrentService.<Operation>`, a JSON body
(`application/x-amz-json-1.1`), signed with SigV4 for service `kms` in this region. Every
answer, authentication failures included, is KMS's shape: JSON, and for errors HTTP 4xx/5xx
with `{"__type": "...Exception", "message": "..."}` — the shape botocore parses.
Who may use a key: principals of the key's account, users and roles as their identity
policies allow (`api/kms_access.py`, docs/encryption.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from ferry.api.auth import KeyLookup, authenticate
from ferry.api.context import Services
from ferry.api.http import ClientDisconnected, Request, Response
from ferry.api.kms_access import authorize_kms_call
from ferry.api.kms_operations import OPERATIONS
from ferry.api.kms_params import KmsApiError, Params, serialization_error
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

SERVICE = "kms"
TARGET_PREFIX = "TrentService."
CONTENT_TYPE = "application/x-amz-json-1.1"
MAX_BODY_BYTES = 64 * 1024  # the largest request: 4 KiB plaintext (base64) + context

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


async def handle_kms(
    request: Request, request_id: str, services: Services, keys: KeyLookup
) -> Response:
    try:
        return _json_response(200, await _serve(request, services, keys), request_id)
    except KmsApiError as exc:
        return _error(exc.error_type, exc.message, exc.status, request_id)
    except CryptoError as exc:
        error_type, status = _error_type(exc)
        return _error(error_type, exc.message, status, request_id)
    except S3Error as exc:
        error_type, message = _AUTH_ERRORS.get(exc.code, ("InvalidSignatureException", None))
        return _error(error_type, message or exc.message, 400, request_id)
    except ClientDisconnected:
        raise  # nobody to answer: the app's pipeline drops the request
    except Exception:  # the KMS pipeline boundary: a 500 in KMS's shape, never a traceback
        log.exception("kms request failed", extra={"request_id": request_id})
        return _error("KMSInternalException", "An internal error occurred.", 500, request_id)


def is_kms_request(request: Request) -> bool:
    """A KMS call by its target, even unsigned (it then gets KMS's error, not S3's)."""
    return request.headers.get("x-amz-target", "").startswith(TARGET_PREFIX)


async def _serve(request: Request, services: Services, keys: KeyLookup) -> dict[str, Any]:
    body = await _read_body(request)
    # SigV4 signs the payload's SHA-256; KMS clients don't send x-amz-content-sha256 (an S3
    # header), so state the real digest: a signature then only verifies over this body.
    request.headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    if "authorization" not in request.headers and "X-Amz-Algorithm" not in request.params:
        raise KmsApiError("MissingAuthenticationTokenException", "Missing Authentication Token")
    auth = authenticate(request, keys, services.clock, services.region.name, service=SERVICE)
    if auth.principal.is_anonymous:
        raise KmsApiError("MissingAuthenticationTokenException", "Missing Authentication Token")
    target = request.headers.get("x-amz-target", "")
    operation = OPERATIONS.get(target.removeprefix(TARGET_PREFIX))
    if request.method != "POST" or not target.startswith(TARGET_PREFIX) or operation is None:
        raise KmsApiError("UnknownOperationException", "")
    if services.kms is None:
        raise KmsApiError("UnsupportedOperationException", "This region serves no key service.")
    params = Params.from_json(body)
    name = target.removeprefix(TARGET_PREFIX)
    await authorize_kms_call(name, params, auth.principal, request, services)
    return await operation(services.kms, auth.principal.account_id, params)


async def _read_body(request: Request) -> bytes:
    parts: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            raise serialization_error("The request body is too large")
        parts.append(chunk)
    return b"".join(parts)


def _error_type(exc: CryptoError) -> tuple[str, int]:
    for cls in type(exc).__mro__:
        if cls in _ERRORS:
            return _ERRORS[cls]
    return "KMSInternalException", 500


def _error(error_type: str, message: str, status: int, request_id: str) -> Response:
    body = {"__type": error_type, "message": message} if message else {"__type": error_type}
    return _json_response(status, body, request_id)


def _json_response(status: int, body: dict[str, Any], request_id: str) -> Response:
    return Response(
        status=status,
        headers=[("content-type", CONTENT_TYPE), ("x-amzn-requestid", request_id)],
        body=json.dumps(body, separators=(",", ":")).encode(),
    )
