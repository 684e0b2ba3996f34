"""A raw, SigV4-signing S3 client for the integration tier, and XML helpers for its answers.

Raw rather than boto3 so tests control every header and byte (aws-chunked framing, tampered
hashes, anonymous calls). Requests are signed with `ferry.protocol.sigv4`, at the real time.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx

from ferry.protocol.sigv4 import sign_headers, uri_encode

ENDPOINT = "http://127.0.0.1:9000"
REGION = "us-east-1"
ACCESS_KEY = "FERRYINTEGRATION0001"
SECRET_KEY = "ferry-integration-secret"

Query = Mapping[str, str | None]


def encode_query(query: Query | None) -> str:
    """`{"uploads": None, "prefix": "a b"}` → `uploads&prefix=a%20b` (AWS encoding)."""
    if not query:
        return ""
    return "&".join(
        uri_encode(name) if value is None else f"{uri_encode(name)}={uri_encode(value)}"
        for name, value in query.items()
    )


class S3:
    """Signed (or anonymous) requests to one region's app; paths are unencoded `/bucket/key`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        access_key: str = ACCESS_KEY,
        secret_key: str = SECRET_KEY,
        region: str = REGION,
    ) -> None:
        self.http = http
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.endpoint = str(http.base_url).rstrip("/") or ENDPOINT

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        signed: bool = True,
        content_sha256: str | None = None,
    ) -> httpx.Response:
        """`content_sha256` overrides the payload hash that is declared and signed."""
        url = self.endpoint + uri_encode(path, keep_slash=True)
        raw_query = encode_query(query)
        if raw_query:
            url = f"{url}?{raw_query}"
        sent = dict(headers or {})
        if signed:
            payload = content_sha256 or hashlib.sha256(body).hexdigest()
            sent.update(
                sign_headers(
                    method,
                    url,
                    sent,
                    payload,
                    self.access_key,
                    self.secret_key,
                    self.region,
                    datetime.now(UTC),
                )
            )
        return await self.http.request(method, url, content=body, headers=sent)

    async def get(
        self, path: str, *, query: Query | None = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return await self.request("GET", path, query=query, headers=headers)

    async def head(
        self, path: str, *, query: Query | None = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return await self.request("HEAD", path, query=query, headers=headers)

    async def delete(
        self, path: str, *, query: Query | None = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return await self.request("DELETE", path, query=query, headers=headers)

    async def put(
        self,
        path: str,
        body: bytes = b"",
        *,
        query: Query | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        return await self.request("PUT", path, query=query, body=body, headers=headers)

    async def post(
        self,
        path: str,
        body: bytes = b"",
        *,
        query: Query | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        return await self.request("POST", path, query=query, body=body, headers=headers)


def parse_xml(response: httpx.Response) -> ET.Element:
    """The response body as an element tree with the S3 namespace stripped from every tag."""
    assert response.headers.get("content-type") == "application/xml", response.text
    root = ET.fromstring(response.content)
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
    return root


def texts(root: ET.Element, path: str) -> list[str]:
    return [element.text or "" for element in root.findall(path)]


def error_of(response: httpx.Response, status: int, code: str) -> ET.Element:
    """Assert an S3 error response and return its <Error> element."""
    assert response.status_code == status, response.text
    root = parse_xml(response)
    assert root.tag == "Error"
    assert root.findtext("Code") == code, response.text
    return root
