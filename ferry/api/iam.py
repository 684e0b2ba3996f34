"""IAM and STS (query protocol, XML) on every region's endpoint; state lives in the control
plane. Filled in by the IAM work of issue 4."""

from __future__ import annotations

from ferry.api.auth import KeyLookup
from ferry.api.context import Services
from ferry.api.http import Request, Response
from ferry.protocol.errors import S3Error, S3ErrorCode


async def handle_iam(
    request: Request, request_id: str, services: Services, keys: KeyLookup, *, service: str
) -> Response:
    """`service` is `iam` or `sts`, the SigV4 service the request was signed for."""
    raise S3Error(S3ErrorCode.NotImplemented, f"The {service} API is not served yet.")
