"""The request and response as handlers see them: a thin layer over raw ASGI.

Raw ASGI rather than a framework because S3 routing is by method + query key + header, which no
router expresses, and because every microsecond per request shows in the small-object benchmark.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ferry.protocol.errors import S3Error, S3ErrorCode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_XML_BODY_BYTES = 2 * 1024 * 1024


class ClientDisconnected(Exception):
    """The client went away before sending the whole body."""


def parse_query(raw: bytes) -> list[tuple[str, str]]:
    """Decode a query string the way S3 does: '+' is a literal plus only if encoded... AWS SDKs
    encode '+' as %2B and spaces as %20, so '+' decodes to space like form encoding."""
    pairs: list[tuple[str, str]] = []
    if not raw:
        return pairs
    for part in raw.decode("latin-1").split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append(
            (
                unquote(name.replace("+", " "), errors="strict"),
                unquote(value.replace("+", " "), errors="strict"),
            )
        )
    return pairs


@dataclass(slots=True)
class Request:
    method: str
    raw_path: str  # percent-encoded, exactly as sent (SigV4 canonicalises it)
    path: str  # decoded
    query_string: bytes  # raw
    query: list[tuple[str, str]]  # decoded, in order
    headers: dict[str, str]  # lower-case names; repeated headers joined with ","
    scheme: str
    client_host: str | None
    receive: Receive
    params: dict[str, str] = field(default_factory=dict)  # first value per query name
    _body_consumed: bool = False
    body_complete: bool = False  # the whole body has been received
    # checks a body read whole by `read_body` against what the request declared (its
    # Content-MD5, x-amz-checksum-*): set by the S3 pipeline (api/app.py)
    body_check: Callable[[dict[str, str], bytes], None] | None = None

    @classmethod
    def from_scope(cls, scope: Scope, receive: Receive) -> Request:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        raw_path_bytes: bytes | None = scope.get("raw_path")
        raw_path = raw_path_bytes.decode("latin-1") if raw_path_bytes else scope["path"]
        raw_path = raw_path.split("?", 1)[0]
        query_string: bytes = scope.get("query_string", b"")
        try:
            query = parse_query(query_string)
            path = unquote(raw_path, errors="strict")
        except UnicodeDecodeError as exc:
            raise S3Error(S3ErrorCode.InvalidURI) from exc
        params: dict[str, str] = {}
        for name, value in query:
            params.setdefault(name, value)
        client = scope.get("client")
        return cls(
            method=scope["method"],
            raw_path=raw_path,
            path=path,
            query_string=query_string,
            query=query,
            headers=headers,
            scheme=scope.get("scheme", "http"),
            client_host=client[0] if client else None,
            receive=receive,
            params=params,
        )

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    @property
    def has_unread_body(self) -> bool:
        """A body was announced and not read to its end (the response then closes the
        connection, since the unread bytes would otherwise be parsed as the next request)."""
        if self.body_complete:
            return False
        length = self.headers.get("content-length")
        return (length is not None and length != "0") or "transfer-encoding" in self.headers

    async def stream(self) -> AsyncIterator[bytes]:
        """The raw body as it arrives. Raises ClientDisconnected if the client goes away."""
        if self._body_consumed:
            return
        self._body_consumed = True
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected()
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                self.body_complete = True
                return

    async def read_body(self, limit: int = MAX_XML_BODY_BYTES) -> bytes:
        """A small body (XML documents): refused past `limit` instead of buffered."""
        parts: list[bytes] = []
        total = 0
        async for chunk in self.stream():
            total += len(chunk)
            if total > limit:
                raise S3Error(S3ErrorCode.MalformedXML, "The XML document is too large.")
            parts.append(chunk)
        body = b"".join(parts)
        if self.body_check is not None:
            self.body_check(self.headers, body)
        return body


@dataclass(slots=True)
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | AsyncIterator[bytes] = b""
    content_length: int | None = None  # for streamed bodies; bytes bodies measure themselves

    def set(self, name: str, value: str) -> Response:
        self.headers.append((name, value))
        return self


def xml_response(body: bytes, status: int = 200) -> Response:
    return Response(status=status, headers=[("content-type", "application/xml")], body=body)
