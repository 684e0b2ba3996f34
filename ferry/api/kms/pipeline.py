"""The KMS API's one pipeline: authenticate → parse → authorise → operation → encode, every
error through `errors.error_response`.

`POST /` with `X-Amz-Target: TrentService.<Operation>`, a JSON body
(`application/x-amz-json-1.1`), signed with SigV4 for service `kms` in this region.
"""

from __future__ import annotations

import hashlib

from ferry.api.auth import Principal, authenticate
from ferry.api.context import ApiCall, Services
from ferry.api.http import ClientDisconnected, Request, Response
from ferry.api.kms.access import authorize_kms_call
from ferry.api.kms.encoding import json_response
from ferry.api.kms.errors import KmsApiError, error_response, serialization_error
from ferry.api.kms.operations import OPERATIONS, Json, Operation
from ferry.api.kms.params import Params
from ferry.crypto import KeyService

SERVICE = "kms"
TARGET_PREFIX = "TrentService."
MAX_BODY_BYTES = 64 * 1024  # the largest request: 4 KiB plaintext (base64) + context


def has_kms_target(request: Request) -> bool:
    """A KMS call by its target, even unsigned (it then gets KMS's error, not S3's)."""
    return request.headers.get("x-amz-target", "").startswith(TARGET_PREFIX)


async def handle_kms(call: ApiCall) -> Response:
    try:
        return json_response(200, await _serve(call), call.request_id)
    except ClientDisconnected:
        raise  # nobody to answer: the app's pipeline drops the request
    except Exception as exc:  # the KMS pipeline's boundary: KMS's shape, never a traceback
        return error_response(exc, call.request_id)


async def _serve(call: ApiCall) -> Json:
    request, services = call.request, call.services
    body = await _read_body(request)
    principal = _authenticate(call, body)
    call.note.principal = principal
    call.note.operation = request.headers.get("x-amz-target", "").removeprefix(TARGET_PREFIX)
    name, operation = _operation(request)
    kms = _key_service(services)
    params = Params.from_json(body)
    await authorize_kms_call(name, params, principal, request, services)
    return await operation(kms, principal.account_id, params)


def _authenticate(call: ApiCall, body: bytes) -> Principal:
    request, services = call.request, call.services
    # SigV4 signs the payload's SHA-256; KMS clients don't send x-amz-content-sha256 (an S3
    # header), so state the real digest: a signature then only verifies over this body.
    request.headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    if "authorization" not in request.headers and "X-Amz-Algorithm" not in request.params:
        raise KmsApiError("MissingAuthenticationTokenException", "Missing Authentication Token")
    auth = authenticate(request, call.keys, services.clock, services.region.name, service=SERVICE)
    if auth.principal.is_anonymous:
        raise KmsApiError("MissingAuthenticationTokenException", "Missing Authentication Token")
    return auth.principal


def _operation(request: Request) -> tuple[str, Operation]:
    target = request.headers.get("x-amz-target", "")
    name = target.removeprefix(TARGET_PREFIX)
    operation = OPERATIONS.get(name)
    if request.method != "POST" or not target.startswith(TARGET_PREFIX) or operation is None:
        raise KmsApiError("UnknownOperationException", "")
    return name, operation


def _key_service(services: Services) -> KeyService:
    if services.kms is None:
        raise KmsApiError("UnsupportedOperationException", "This region serves no key service.")
    return services.kms


async def _read_body(request: Request) -> bytes:
    parts: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            raise serialization_error("The request body is too large")
        parts.append(chunk)
    return b"".join(parts)
