"""The three S3 calls the benchmark makes, as SigV4-signed raw HTTP/1.1 requests (path-style)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bench.loadgen import Connection, Reply
from bench.signer import SignFn
from bench.sigv4_min import EMPTY_SHA256_HEX, UNSIGNED_PAYLOAD


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """Where a server listens and the credentials it accepts."""

    host: str
    port: int
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}"


class S3Calls:
    """Builds and signs CreateBucket / PutObject / GetObject for one endpoint."""

    def __init__(self, endpoint: Endpoint, sign: SignFn) -> None:
        self.endpoint = endpoint
        self._sign = sign

    def _headers(self, method: str, path: str, payload_sha256_hex: str) -> dict[str, str]:
        endpoint = self.endpoint
        headers = {"host": endpoint.authority}
        signed = self._sign(
            method,
            f"http://{endpoint.authority}{path}",
            headers,
            payload_sha256_hex,
            endpoint.access_key,
            endpoint.secret_key,
            endpoint.region,
            datetime.now(UTC),
            service="s3",
        )
        headers.update({name.lower(): value for name, value in signed.items()})
        return headers

    async def create_bucket(self, conn: Connection, bucket: str) -> Reply:
        path = f"/{bucket}"
        headers = self._headers("PUT", path, EMPTY_SHA256_HEX)
        headers["content-length"] = "0"
        return await conn.request("PUT", path, headers)

    async def put_object(
        self, conn: Connection, bucket: str, key: str, body: memoryview | bytes
    ) -> Reply:
        path = f"/{bucket}/{key}"
        headers = self._headers("PUT", path, UNSIGNED_PAYLOAD)
        headers["content-length"] = str(len(body))
        headers["content-type"] = "application/octet-stream"
        return await conn.request("PUT", path, headers, body)

    async def get_object(self, conn: Connection, bucket: str, key: str) -> Reply:
        path = f"/{bucket}/{key}"
        return await conn.request("GET", path, self._headers("GET", path, EMPTY_SHA256_HEX))
