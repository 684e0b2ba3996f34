"""A small async S3 client: the calls replication needs, signed with SigV4."""

from __future__ import annotations

import contextlib
import hashlib
import ssl
from collections.abc import AsyncIterator, Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote
from xml.etree.ElementTree import ParseError

import httpx
from defusedxml.ElementTree import fromstring

from ferry.client.errors import RemoteS3Error, translate_transport_errors
from ferry.core.secret import Secret
from ferry.protocol.sigv4 import sign_headers

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 60.0
HEALTH_PATH = "/_ferry/health"
PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    access_key: str
    secret_key: Secret
    region: str  # the signing region: the destination's
    service: str = "s3"  # the signing service (the console also calls IAM: "iam")


class SigV4Auth(httpx.Auth):
    """Signs every request; S3 bodies are streamed, so their payload is UNSIGNED-PAYLOAD (other
    services' small bodies are signed: they must be bytes)."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers = {k.lower(): v for k, v in request.headers.items()}
        # S3 accepts an unsigned payload (bodies are streamed); other services (KMS) sign it.
        payload = (
            UNSIGNED_PAYLOAD
            if self._credentials.service == "s3"
            else hashlib.sha256(request.content).hexdigest()
        )
        signed = sign_headers(
            request.method,
            str(request.url),
            headers,
            payload,
            self._credentials.access_key,
            self._credentials.secret_key.reveal(),
            self._credentials.region,
            datetime.now(UTC),
            service=self._credentials.service,
        )
        request.headers.update(signed)
        yield request


def object_path(bucket: str, key: str) -> str:
    return f"/{bucket}/" + quote(key, safe="-_.~/")


class RemoteS3:
    """One connection pool for all remote endpoints; any httpx transport (tests script it)."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._client = httpx.AsyncClient(
            transport=transport,
            verify=verify,
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        credentials: Credentials,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | AsyncIterator[bytes] | None = None,
    ) -> httpx.Response:
        """Send one request; S3 error answers raise RemoteS3Error with the remote code."""
        with translate_transport_errors():
            response = await self._client.request(
                method,
                url,
                params=params,
                headers=dict(headers or {}),
                content=content,
                auth=SigV4Auth(credentials),
            )
            body = await response.aread()
        if response.status_code >= 300:
            code, message = _error_of(body)
            raise RemoteS3Error(
                code or f"Http{response.status_code}", response.status_code, message
            )
        return response

    @contextlib.asynccontextmanager
    async def stream(
        self,
        credentials: Credentials,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """One request whose answer's body is read as it arrives (`aiter_raw`) inside the
        block: a large object is never held whole. Errors as `request`'s."""
        with translate_transport_errors():
            async with self._client.stream(
                method, url, params=params, auth=SigV4Auth(credentials)
            ) as response:
                if response.status_code >= 300:
                    code, message = _error_of(await response.aread())
                    raise RemoteS3Error(
                        code or f"Http{response.status_code}", response.status_code, message
                    )
                yield response

    async def is_healthy(self, endpoint: str) -> bool:
        """Whether a Ferry region answers its health check (`GET /_ferry/health` → 200): how a
        worker notices that a destination it could not reach is back."""
        try:
            response = await self._client.get(endpoint + HEALTH_PATH, timeout=PROBE_TIMEOUT_S)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


def _error_of(body: bytes) -> tuple[str, str]:
    try:
        root = fromstring(body)
    except ParseError:
        return "", body[:200].decode("utf-8", "replace")
    # S3 answers <Error><Code>; IAM, STS and S3 Control nest it: <ErrorResponse><Error><Code>.
    code = root.findtext("Code") or root.findtext(".//{*}Code") or ""
    return code, root.findtext("Message") or root.findtext(".//{*}Message") or ""
