"""The regional key service (KMS JSON protocol, `X-Amz-Target: TrentService.*`). Filled in by
the encryption work of issue 4."""

from __future__ import annotations

from ferry.api.auth import KeyLookup
from ferry.api.context import Services
from ferry.api.http import Request, Response
from ferry.protocol.errors import S3Error, S3ErrorCode


async def handle_kms(
    request: Request, request_id: str, services: Services, keys: KeyLookup
) -> Response:
    raise S3Error(S3ErrorCode.NotImplemented, "The KMS API is not served yet.")
