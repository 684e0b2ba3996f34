"""Requests as the ASGI server would hand them over, signed by botocore or boto3 itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from ferry.api.auth import Principal
from ferry.api.http import Message, Request
from ferry.core import Secret

REGION = "eu-west-3"
ACCESS_KEY = "AKIAFERRYTEST0000001"
SECRET_KEY = "ferry/Secret+Key=0123456789abcdefghij"
PRINCIPAL = Principal(
    access_key=ACCESS_KEY,
    account_id="111122223333",
    arn="arn:aws:iam::111122223333:user/alice",
)
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


class FakeKeys:
    def __init__(self, keys: Mapping[str, tuple[str, Principal]] | None = None) -> None:
        self._keys = {ak: (Secret(sk), p) for ak, (sk, p) in (keys or {}).items()}
        self._keys.setdefault(ACCESS_KEY, (Secret(SECRET_KEY), PRINCIPAL))

    def lookup(self, access_key: str) -> tuple[Secret, Principal] | None:
        return self._keys.get(access_key)


def build_request(
    method: str,
    url: str,
    headers: Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]],
    body: bytes | list[bytes] = b"",
) -> Request:
    """A Request via Request.from_scope, with a receive() that replays `body` in pieces."""
    parts = urlsplit(url)
    items = headers.items() if isinstance(headers, Mapping) else headers
    raw_headers = [
        (name.lower().encode("latin-1"), value if isinstance(value, bytes) else value.encode())
        for name, value in items
    ]
    if not any(name == b"host" for name, _ in raw_headers):
        raw_headers.append((b"host", parts.netloc.encode()))
    pieces = [body] if isinstance(body, bytes) else list(body)
    messages: list[Message] = [
        {"type": "http.request", "body": piece, "more_body": True} for piece in pieces
    ]
    messages.append({"type": "http.request", "body": b"", "more_body": False})

    async def receive() -> Message:
        return messages.pop(0)

    scope = {
        "type": "http",
        "method": method,
        "path": unquote(parts.path),
        "raw_path": parts.path.encode("latin-1"),
        "query_string": parts.query.encode("latin-1"),
        "headers": raw_headers,
        "scheme": parts.scheme,
    }
    return Request.from_scope(scope, receive)


def from_botocore(prepared: AWSPreparedRequest | AWSRequest, body: bytes | None = None) -> Request:
    if body is None:
        raw = prepared.body
        body = raw if isinstance(raw, bytes) else raw.read() if raw is not None else b""
    headers = [(k, v) for k, v in prepared.headers.items()]
    return build_request(prepared.method, prepared.url, headers, body)


def botocore_signed(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    body: bytes = b"",
    secret_key: str = SECRET_KEY,
    region: str = REGION,
    access_key: str = ACCESS_KEY,
) -> AWSPreparedRequest:
    request = AWSRequest(
        method=method, url=url, headers=dict(headers or {}), params=dict(params or {}), data=body
    )
    request.context["payload_signing_enabled"] = True
    S3SigV4Auth(Credentials(access_key, secret_key), "s3", region).add_auth(request)
    return request.prepare()


def botocore_presigned(
    method: str,
    url: str,
    *,
    expires: int = 3600,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    region: str = REGION,
) -> AWSRequest:
    request = AWSRequest(
        method=method, url=url, params=dict(params or {}), headers=dict(headers or {})
    )
    S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", region, expires).add_auth(request)
    return request


class _Captured(Exception):
    pass


def boto3_request(endpoint: str, operation: str, **params: Any) -> AWSPreparedRequest:
    """What boto3 would put on the wire for one call (signed at the real current time)."""
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    seen: list[AWSPreparedRequest] = []

    def before_send(request: AWSPreparedRequest, **_: Any) -> None:
        seen.append(request)
        raise _Captured

    client.meta.events.register("before-send.s3", before_send)
    with pytest.raises(_Captured):
        getattr(client, operation)(**params)
    return seen[0]
