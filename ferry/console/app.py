"""The console as an ASGI app mounted at `/_console/` in front of the region's S3 app: paths
below the mount are the console's, everything else (and the lifespan) goes to the S3 app."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from ferry.console import (
    buckets,
    doctor,
    object_settings,
    objects,
    operations,
    replication,
    signin,
)
from ferry.console.context import ConsoleContext
from ferry.console.deps import ConsoleDeps
from ferry.console.gateway import ConsoleError, UserGateway
from ferry.console.http import (
    SECURITY_HEADERS,
    ASGIApp,
    BodyTooLarge,
    ConsoleRequest,
    ConsoleResponse,
    Receive,
    Scope,
    Send,
    html,
    json_bytes,
    redirect,
)
from ferry.console.pages import Pages
from ferry.console.sessions import (
    COOKIE_NAME,
    CSRF_FIELD,
    CSRF_HEADER,
    Session,
    is_valid_csrf,
)

log = logging.getLogger("ferry.console")

MOUNT = "/_console"
STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
SAFE_METHODS = ("GET", "HEAD")

View = Callable[[ConsoleContext], Awaitable[ConsoleResponse]]
_B = r"(?P<bucket>[a-z0-9][a-z0-9.-]{1,62})"
ROUTES: tuple[tuple[str, re.Pattern[str], View], ...] = tuple(
    (method, re.compile(f"^{pattern}$"), view)
    for method, pattern, view in (
        ("GET", "/", buckets.list_buckets),
        ("POST", "/buckets", buckets.create_bucket),
        ("GET", f"/buckets/{_B}", objects.browse),
        ("POST", f"/buckets/{_B}/versioning", buckets.put_versioning),
        ("POST", f"/buckets/{_B}/delete", buckets.delete_bucket),
        ("GET", f"/buckets/{_B}/object", objects.show_object),
        ("GET", f"/buckets/{_B}/download", objects.download),
        ("POST", f"/buckets/{_B}/object/delete", objects.delete_object),
        ("POST", f"/buckets/{_B}/object/tags", object_settings.save_tags),
        ("POST", f"/buckets/{_B}/object/acl", object_settings.save_acl),
        ("PUT", f"/buckets/{_B}/upload", objects.upload),
        ("POST", f"/buckets/{_B}/multipart", objects.multipart),
        ("PUT", f"/buckets/{_B}/multipart", objects.multipart),
        ("GET", f"/buckets/{_B}/replication", replication.show_rules),
        ("POST", f"/buckets/{_B}/replication", replication.save_rule),
        ("POST", f"/buckets/{_B}/replication/delete", replication.delete_rule),
        ("POST", f"/buckets/{_B}/replication/validate", replication.validate_rule),
        ("POST", f"/buckets/{_B}/replication/back", replication.replicate_back),
        ("GET", f"/buckets/{_B}/failures", operations.show_failures),
        ("POST", f"/buckets/{_B}/failures/redrive", operations.redrive),
        ("GET", f"/buckets/{_B}/backlog", operations.backlog),
        ("GET", f"/buckets/{_B}/doctor", doctor.show_doctor),
        ("GET", "/jobs", operations.list_jobs),
        ("GET", "/jobs/(?P<job_id>[A-Za-z0-9_-]{5,36})", operations.show_job),
    )
)


class ConsoleApp:
    def __init__(self, deps: ConsoleDeps, s3: ASGIApp) -> None:
        self._deps = deps
        self._s3 = s3
        self._pages = Pages(MOUNT)
        self._consoles = {region: endpoint + MOUNT for region, endpoint in deps.endpoints.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != MOUNT and not path.startswith(MOUNT + "/"):
            await self._s3(scope, receive, send)
            return
        request = ConsoleRequest.from_scope(scope, receive, MOUNT)
        try:
            response = await self._handle(request)
        except BodyTooLarge:
            response = html("<h1>Request too large</h1>", status=413)
        except Exception:  # the console's request boundary: a page, never a stack trace
            log.exception("console request failed", extra={"path": request.path})
            response = html(
                "<h1>Something went wrong</h1><p>The error is in the region's log.</p>", status=500
            )
        await response.send(send)

    async def _handle(self, request: ConsoleRequest) -> ConsoleResponse:
        if request.path.startswith("/static/"):
            return _static(request.path.removeprefix("/static/"))
        if request.path == "/signin":
            return await signin.signin(request, self._deps, self._pages)
        session = self._deps.sessions.find(request.cookies.get(COOKIE_NAME))
        if session is None:
            if request.method in SAFE_METHODS and not request.is_fragment:
                return redirect(
                    f"{MOUNT}/signin?expired=1"
                    if COOKIE_NAME in request.cookies
                    else f"{MOUNT}/signin"
                )
            return html("<p class='error'>Your session has expired: sign in again.</p>", 401)
        if request.method not in SAFE_METHODS and not await _has_csrf_token(request, session):
            return html(
                "<h1>Forbidden</h1><p>The form's CSRF token is missing or stale: "
                "reload the page and try again.</p>",
                status=403,
            )
        if request.path == "/signout" and request.method == "POST":
            return signin.signout(session, self._deps)
        return await self._dispatch(request, session)

    async def _dispatch(self, request: ConsoleRequest, session: Session) -> ConsoleResponse:
        for method, pattern, view in ROUTES:
            match = pattern.match(request.path)
            if match is not None and method == request.method:
                ctx = ConsoleContext(
                    request=request,
                    session=session,
                    failures=self._deps.failures,
                    backlog=self._deps.backlog,
                    metrics=self._deps.metrics,
                    gateway=UserGateway(
                        session,
                        self._deps.client,
                        self._deps.directory,
                        self._deps.endpoints,
                        self._deps.region,
                    ),
                    consoles=self._consoles,
                    pages=self._pages,
                    params=match.groupdict(),
                    sessions=self._deps.sessions,
                )
                try:
                    return await view(ctx)
                except ConsoleError as exc:
                    if request.headers.get("accept") == "application/json":
                        return json_bytes(
                            json.dumps({"code": exc.code, "message": exc.message}).encode(),
                            status=exc.status,
                        )
                    return ctx.page(
                        "error.html", status=exc.status if exc.status >= 400 else 400, error=exc
                    )
        return html("<h1>Not found</h1>", status=404)


async def _has_csrf_token(request: ConsoleRequest, session: Session) -> bool:
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        token = (await request.form()).get(CSRF_FIELD)
    return is_valid_csrf(session, token)


def _static(name: str) -> ConsoleResponse:
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        return html("<h1>Not found</h1>", status=404)
    kind = STATIC_TYPES.get(path.suffix, "application/octet-stream")
    headers = [
        ("content-type", kind),
        *(h for h in SECURITY_HEADERS if h[0] != "cache-control"),
        ("cache-control", "max-age=300"),
    ]
    return ConsoleResponse(headers=headers, body=path.read_bytes())
