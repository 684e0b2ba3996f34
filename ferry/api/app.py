"""The region's ASGI application: one endpoint for every API family.

`FAMILIES` picks the family a request belongs to (IAM/STS and KMS by what they are signed for
or call, S3 Control and Ferry's own `/_ferry/` endpoints by path, S3 for everything else);
each family runs its own pipeline and renders its own errors. S3's pipeline is here: host →
S3Path → auth → route → policy check → handler → encode, its errors XML in `api/errors.py`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from ferry.api import kms
from ferry.api.access import authorize
from ferry.api.admin import handle_admin, handle_metrics, is_admin_request, is_metrics_request
from ferry.api.audit import Timing, trail_events
from ferry.api.auth import KeyLookup, authenticate
from ferry.api.body import verify_declared_checksums
from ferry.api.context import ApiCall, RequestContext, Services
from ferry.api.errors import error_response
from ferry.api.handlers import cors
from ferry.api.http import ClientDisconnected, Receive, Request, Response, Scope, Send
from ferry.api.iam import handle_iam, handle_sts
from ferry.api.placement import redirect_for
from ferry.api.post_form import open_post_form
from ferry.api.routing import Op, match_route
from ferry.api.s3control import handle_control, is_control_request
from ferry.core.ids import new_request_id
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.paths import BucketPath, ObjectPath, host_bucket, parse_s3_path
from ferry.store.errors import NoSuchBucket

log = logging.getLogger("ferry.api")

SERVER_HEADER = (b"server", b"Ferry")
MAX_HEADER_BYTES = 8 * 1024  # S3 limits the whole header block to 8 KiB
FERRY_PREFIX = "/_ferry/"

Lifespan = Callable[[], Awaitable[None]]
# Operations whose x-amz-checksum-* headers describe an object, not the request's body.
CHECKSUMS_OF_THE_OBJECT = frozenset(
    {Op.CompleteMultipartUpload, Op.ReplicateObject, Op.ReplicateTags, Op.ReplicateDelete,
     Op.ReplicateBatch}
)  # fmt: skip


class S3App:
    def __init__(
        self,
        services: Services,
        keys: KeyLookup,
        *,
        on_startup: Lifespan | None = None,
        on_shutdown: Lifespan | None = None,
    ) -> None:
        self._services = services
        self._keys = keys
        self._on_startup = on_startup
        self._on_shutdown = on_shutdown
        self.ready = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    if self._on_startup is not None:
                        await self._on_startup()
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                self.ready = True
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.ready = False
                if self._on_shutdown is not None:
                    await self._on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = new_request_id()
        started = time.monotonic()
        start_ms = _epoch_ms(self._services)
        method = scope["method"]
        resource = scope.get("path", "/")
        request: Request | None = None
        call: ApiCall | None = None
        family = ""
        try:
            request = Request.from_scope(scope, receive)
            resource = request.path
            call = ApiCall(
                request=request,
                request_id=request_id,
                services=self._services,
                keys=self._keys,
                ready=self.ready,
            )
            served_by = family_for(request)
            family = served_by.name
            response = await served_by.pipeline(call)
        except ClientDisconnected:
            log.info("client disconnected", extra={"request_id": request_id})
            return
        except Exception as exc:  # the app's boundary: S3's and /_ferry/'s errors, as S3 XML
            response = error_response(exc, resource=resource, request_id=request_id, method=method)
        if request is None or request.has_unread_body:
            # The client may still be sending (or, after Expect: 100-continue, never send) the
            # body: the connection's byte stream can't be trusted for another request.
            response.headers.append(("connection", "close"))
        first_byte = time.monotonic()
        sent = await _send_response(send, response, request_id, head=method == "HEAD")
        trail = self._services.trail
        if trail is not None and call is not None and trail.wants(call.note.bucket):
            # One place for every family: the audit trail and the access logs (docs/operations.md)
            timing = Timing(
                start_ms=start_ms,
                first_byte_ms=start_ms + int((first_byte - started) * 1000),
                end_ms=start_ms + int((time.monotonic() - started) * 1000),
                bytes_sent=sent,
            )
            for event in trail_events(call, family, response, timing):
                trail.record(event)
        metrics = self._services.request_metrics
        if metrics is not None:  # labelled by S3's operation, else by the API family
            operation = (call.note.operation if call is not None else "") or family or "unknown"
            metrics.observe(operation, response.status, time.monotonic() - started)


Pipeline = Callable[[ApiCall], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Family:
    """One row of the dispatch table: which requests an API family serves, and its pipeline."""

    name: str
    serves: Callable[[Request], bool]
    pipeline: Pipeline


def signing_service(request: Request) -> str | None:
    """The SigV4 service a request was signed for (`s3`, `iam`, `sts`, `kms`…): IAM, STS and
    KMS share the endpoint with S3 (the aws CLI's `--endpoint-url`) and differ only by it."""
    authorization = request.headers.get("authorization", "")
    _, found, rest = authorization.partition("Credential=")
    if not found:
        rest = request.params.get("X-Amz-Credential", "")
    scope = rest.split(",", 1)[0].split("/")
    return scope[3] if len(scope) >= 5 else None


def is_iam_request(request: Request) -> bool:
    return signing_service(request) == "iam"


def is_sts_request(request: Request) -> bool:
    return signing_service(request) == "sts"


def is_kms_request(request: Request) -> bool:
    """Signed for KMS, or calling a KMS target even unsigned (KMS's error, not S3's)."""
    return signing_service(request) == kms.SERVICE or kms.has_kms_target(request)


def is_ferry_request(request: Request) -> bool:
    return request.path.startswith(FERRY_PREFIX)


def is_any_request(request: Request) -> bool:
    return True


async def handle_s3(call: ApiCall) -> Response:
    request, request_id, services = call.request, call.request_id, call.services
    header_bytes = sum(len(k) + len(v) + 4 for k, v in request.headers.items())
    if header_bytes > MAX_HEADER_BYTES:
        raise S3Error(
            S3ErrorCode.RequestHeaderSectionTooLarge,
            "Your request header section exceeds the maximum allowed size.",
        )
    host = request.headers.get("host", "")
    domains = services.region.virtual_host_domains
    path = parse_s3_path(host, request.path, domains)
    note = call.note
    bucket = path.bucket if isinstance(path, BucketPath | ObjectPath) else ""
    key = path.key if isinstance(path, ObjectPath) else ""
    note.bucket, note.key = bucket, key
    if request.method == "OPTIONS":
        note.operation = "PreflightRequest"
        return await cors.preflight(request, services, bucket)  # unauthenticated, as on S3
    auth = authenticate(
        request,
        call.keys,
        services.clock,
        services.region.name,
        virtual_bucket=host_bucket(host, domains),
    )
    note.principal = auth.principal
    route = match_route(request, path)
    note.operation = route.op
    if route.op not in CHECKSUMS_OF_THE_OBJECT:
        request.body_check = verify_declared_checksums
    form = None
    if route.op is Op.PostObject:  # signed by its form, not its headers; the form names the key
        region = services.region.name
        request, auth, form = await open_post_form(
            request, call.keys, services.clock, region, bucket
        )
        key = form.key
        note.principal, note.key = auth.principal, key
    access = await authorize(auth.principal, route, request, bucket, key, services)
    ctx = RequestContext(
        request=request,
        auth=auth,
        bucket=bucket,
        key=key,
        request_id=request_id,
        services=services,
        access=access,
        note=note,
        form=form,
    )
    try:
        response = await route.handler(ctx)
    except NoSuchBucket as exc:
        # Not here: if another region of the deployment holds it, say so (AWS's 301).
        redirect = await redirect_for(services, bucket, exc)
        if redirect is None:
            raise
        raise redirect from exc
    return await cors.add_cors_headers(request, services, bucket, response)


async def handle_ferry(call: ApiCall) -> Response:
    """Ferry's unauthenticated endpoints: only `/_ferry/health` (its errors are S3's XML)."""
    request = call.request
    if request.path == "/_ferry/health" and request.method in ("GET", "HEAD"):
        if call.ready:
            return Response(
                status=200, headers=[("content-type", "application/json")],
                body=b'{"status":"ok","region":"' + call.services.region.name.encode() + b'"}',
            )  # fmt: skip
        return Response(status=503, body=b'{"status":"starting"}')
    raise S3Error(S3ErrorCode.NotImplemented, "Unknown Ferry endpoint.")


# First match wins. The admin API comes first: its paths are Ferry's whatever they are signed
# for. S3 takes whatever no other family claims, and its errors are the app's default (XML).
FAMILIES: tuple[Family, ...] = (
    Family("metrics", is_metrics_request, handle_metrics),  # its own auth: [metrics]
    Family("admin", is_admin_request, handle_admin),
    Family("iam", is_iam_request, handle_iam),
    Family("sts", is_sts_request, handle_sts),
    Family("kms", is_kms_request, kms.handle_kms),
    Family("s3-control", is_control_request, handle_control),
    Family("ferry", is_ferry_request, handle_ferry),
    Family("s3", is_any_request, handle_s3),
)


def family_for(request: Request) -> Family:
    return next(family for family in FAMILIES if family.serves(request))


def _epoch_ms(services: Services) -> int:
    return int(services.clock.now().timestamp() * 1000)


async def _send_response(send: Send, response: Response, request_id: str, *, head: bool) -> int:
    """Sends `response`; the number of body bytes sent."""
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
    ]
    headers.append((b"x-amz-request-id", request_id.encode()))
    headers.append((b"x-amz-id-2", request_id.encode()))
    headers.append(SERVER_HEADER)
    body = response.body
    if isinstance(body, bytes):
        if response.content_length is None:
            headers.append((b"content-length", str(len(body)).encode()))
        else:
            headers.append((b"content-length", str(response.content_length).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})
        return 0 if head else len(body)
    if response.content_length is not None:
        headers.append((b"content-length", str(response.content_length).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    stream: AsyncIterator[bytes] = body
    sent = 0
    try:
        async for chunk in stream:
            sent += len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except Exception:
        # Headers are gone already: the only honest signal left is a cut connection.
        log.exception("response stream failed", extra={"request_id": request_id})
        raise
    await send({"type": "http.response.body", "body": b""})
    return sent
