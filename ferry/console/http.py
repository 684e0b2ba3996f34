"""The console's requests and responses: a thin layer over raw ASGI, like the S3 app's own
(`api/http.py`), which the console may not import (the two sit on one layer)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_FORM_BYTES = 256 * 1024  # a replication rule is the largest form; uploads stream instead


class BodyTooLarge(Exception):
    """The form is larger than the console accepts."""


@dataclass(slots=True)
class ConsoleRequest:
    method: str
    path: str  # below the mount point, e.g. "/buckets/photos"
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    cookies: dict[str, str]
    receive: Receive
    _form: dict[str, str] | None = field(default=None)

    @classmethod
    def from_scope(cls, scope: Scope, receive: Receive, mount: str) -> ConsoleRequest:
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        cookies: dict[str, str] = {}
        if "cookie" in headers:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(headers["cookie"])
            except CookieError:
                jar = SimpleCookie()  # a malformed header carries no session
            cookies = {name: morsel.value for name, morsel in jar.items()}
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        path = scope["path"][len(mount) :] or "/"
        return cls(
            method=scope["method"],
            path=path if path.startswith("/") else "/" + path,
            query=query,
            headers=headers,
            cookies=cookies,
            receive=receive,
        )

    async def stream(self) -> AsyncIterator[bytes]:
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    async def form(self) -> dict[str, str]:
        """The url-encoded form (the console's forms post nothing else)."""
        if self._form is None:
            body = bytearray()
            async for chunk in self.stream():
                body += chunk
                if len(body) > MAX_FORM_BYTES:
                    raise BodyTooLarge()
            self._form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return self._form

    @property
    def is_fragment(self) -> bool:
        """The page's script asks for a fragment (live refresh), not a whole page."""
        return self.headers.get("x-console-fragment") == "1"


@dataclass(slots=True)
class ConsoleResponse:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | AsyncIterator[bytes] = b""
    content_length: str | None = None  # a streamed body's length, when known

    async def send(self, send: Send) -> None:
        headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in self.headers]
        if isinstance(self.body, bytes):
            headers.append((b"content-length", str(len(self.body)).encode()))
        elif self.content_length is not None:
            headers.append((b"content-length", self.content_length.encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        if isinstance(self.body, bytes):
            await send({"type": "http.response.body", "body": self.body})
            return
        async for chunk in self.body:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


# Every page forbids framing and any origin but Ferry's own: no asset comes from elsewhere.
SECURITY_HEADERS = (
    (
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    ),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("cache-control", "no-store"),
)


def html(body: str, status: int = 200) -> ConsoleResponse:
    return ConsoleResponse(
        status=status,
        headers=[("content-type", "text/html; charset=utf-8"), *SECURITY_HEADERS],
        body=body.encode(),
    )


def json_bytes(body: bytes, status: int = 200) -> ConsoleResponse:
    return ConsoleResponse(
        status=status,
        headers=[("content-type", "application/json"), *SECURITY_HEADERS],
        body=body,
    )


def redirect(location: str) -> ConsoleResponse:
    return ConsoleResponse(status=303, headers=[("location", location), *SECURITY_HEADERS])
