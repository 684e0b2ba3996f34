"""PostObject: a browser-based upload, written by PutObject's path (`api/post_form.py` has
turned the form into headers and a body). Answers as AWS: 204 (default), 200, 201 with a
`PostResponse` document, or 303 to `success_action_redirect` with bucket, key and ETag."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import quote, urlencode, urlsplit

from ferry.api.body import FormFilePayload
from ferry.api.context import RequestContext
from ferry.api.handlers import ownership, sse
from ferry.api.handlers.lock_headers import check_lock_request
from ferry.api.handlers.objects import MAX_PUT_BYTES, new_object_attrs
from ferry.api.http import Response, xml_response
from ferry.core.names import parse_object_key
from ferry.protocol import xml
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.post_policy import check_length
from ferry.store import Payload, VersioningStatus


def _check_length_for(ctx: RequestContext) -> Callable[[int, bool], None]:
    policy = ctx.form.policy if ctx.form is not None else None

    def check(size: int, final: bool) -> None:
        if size > MAX_PUT_BYTES:
            raise S3Error(
                S3ErrorCode.EntityTooLarge, ProposedSize=size, MaxSizeAllowed=MAX_PUT_BYTES
            )
        check_length(policy, size, final=final)

    return check


def _location(ctx: RequestContext, key: str) -> str:
    host = ctx.header("host", "")
    return f"{ctx.request.scheme}://{host}/{quote(ctx.bucket)}/{quote(key)}"


async def post_object(ctx: RequestContext) -> Response:
    form = ctx.form
    assert form is not None  # api/app.py builds it for every PostObject
    key = parse_object_key(form.key)
    bucket = await ctx.services.objects.bucket(ctx.bucket)
    owner_id, acl = await ownership.object_write_acl(ctx)  # as PutObject's
    attrs = new_object_attrs(ctx, acl)
    check_lock_request(ctx, bucket, attrs)
    data_key = await sse.key_for_write(ctx, key)
    check = _check_length_for(ctx)
    body = FormFilePayload(ctx.request.stream(), ctx.request.headers, check)
    payload: Payload = body
    if data_key is not None:
        assert ctx.services.encryption is not None
        payload = ctx.services.encryption.seal(body, data_key)
        attrs = replace(attrs, encryption=data_key.encryption)
    version = await ctx.services.objects.put(
        ctx.bucket, key, payload, owner_id=owner_id, attrs=attrs
    )
    etag = f'"{version.attrs.etag}"'
    location = _location(ctx, key)
    if form.success_redirect and urlsplit(form.success_redirect).scheme in ("http", "https"):
        query = urlencode({"bucket": ctx.bucket, "key": key, "etag": etag}, quote_via=quote)
        separator = "&" if "?" in form.success_redirect else "?"
        response = Response(status=303)
        response.set("location", f"{form.success_redirect}{separator}{query}")
    elif form.success_status == 201:
        document = xml.render_post_response(
            location=location, bucket=ctx.bucket, key=key, etag=etag
        )
        response = xml_response(document, status=201)
        response.set("location", location)
    else:
        response = Response(status=form.success_status)
        response.set("location", location)
    response.set("etag", etag)
    if bucket.versioning is not VersioningStatus.UNVERSIONED:
        response.set("x-amz-version-id", version.version_id)
    response.headers.extend(sse.open_key_headers(data_key))
    return response
