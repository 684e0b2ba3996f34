"""Objects: browse by prefix (paginated) or by version, open one (metadata, tags, ACL grants,
encryption, replication status per destination), download, delete, upload (single PUT or
multipart, sent by the page's script part by part so the browser can show progress). Editing
the tags and the ACL is object_settings.py."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

from ferry.console.context import ConsoleContext
from ferry.console.destinations import destination_statuses
from ferry.console.gateway import ConsoleError, object_path
from ferry.console.grants import GrantRow, grants_of, is_public_read
from ferry.console.http import ConsoleResponse, json_bytes
from ferry.console.rule_form import configuration_of
from ferry.console.xmldoc import text
from ferry.replication import FailureFilter

UPLOAD_HEADERS = ("content-type", "content-length")
DOWNLOAD_HEADERS = ("content-type", "content-encoding", "etag", "last-modified")
MAX_FAILURES_SCANNED = 1000


async def browse(ctx: ConsoleContext) -> ConsoleResponse:
    bucket, query = ctx.params["bucket"], ctx.request.query
    prefix = query.get("prefix", "")
    region = await ctx.gateway.region_of(bucket)
    versioning = ""
    try:
        versioning = await ctx.gateway.versioning(bucket) or "Disabled"
    except ConsoleError:
        versioning = "?"
    show_versions = query.get("versions") == "1"
    versions = (
        await ctx.gateway.list_versions(
            bucket, prefix, query.get("key-marker", ""), query.get("version-id-marker", "")
        )
        if show_versions
        else None
    )
    listing = (
        None
        if show_versions
        else await ctx.gateway.list_objects(bucket, prefix, query.get("token", ""))
    )
    parents = []
    parts = prefix.rstrip("/").split("/") if prefix else []
    for index, part in enumerate(parts):
        parents.append((part, "/".join(parts[: index + 1]) + "/"))
    return ctx.page(
        "objects.html",
        bucket=bucket,
        bucket_region=region,
        prefix=prefix,
        parents=parents,
        listing=listing,
        versions=versions,
        show_versions=show_versions,
        versioning=versioning,
    )


async def show_object(ctx: ConsoleContext) -> ConsoleResponse:
    query = ctx.request.query
    return await object_page(ctx, query.get("key", ""), query.get("versionId", ""))


async def object_page(
    ctx: ConsoleContext,
    key: str,
    version_id: str,
    *,
    tags_error: ConsoleError | None = None,
    acl_error: ConsoleError | None = None,
    status: int = 200,
) -> ConsoleResponse:
    """The object's page; a refused tag or ACL change is shown in its card (`*_error`)."""
    bucket = ctx.params["bucket"]
    details = await ctx.gateway.head_object(bucket, key, version_id)
    region = await ctx.gateway.region_of(bucket)
    failures = []
    if region == ctx.gateway.home_region:
        shown_version = version_id or details.header("x-amz-version-id")
        page = await ctx.failures.query(
            FailureFilter(bucket=bucket), limit=MAX_FAILURES_SCANNED, after=None
        )
        failures = [f for f in page.failures if f.key == key and f.version_id == shown_version]
    try:
        rules = configuration_of(await ctx.gateway.replication(bucket)).forms
    except ConsoleError:
        rules = []  # the user may not read the rules: the object's own status stands alone
    destinations = destination_statuses(
        rules, key, details.tags, details.header("x-amz-replication-status"), failures
    )
    grants: list[GrantRow] | None = None
    try:
        grants = grants_of(await ctx.gateway.object_acl(bucket, key, version_id))
    except ConsoleError as exc:
        acl_error = acl_error or exc  # s3:GetObjectAcl may be denied: say so in the card
    return ctx.page(
        "object.html",
        status=status,
        bucket=bucket,
        bucket_region=region,
        key=key,
        version_id=version_id,
        details=details,
        failures=failures,
        destinations=destinations,
        grants=grants,
        public_read=is_public_read(grants or []),
        tags_error=tags_error,
        acl_error=acl_error,
        prefix=key.rpartition("/")[0] + "/" if "/" in key else "",
    )


async def download(ctx: ConsoleContext) -> ConsoleResponse:
    """The object streamed from its region to the browser, as an attachment."""
    bucket, query = ctx.params["bucket"], ctx.request.query
    key = query.get("key", "")
    headers, body = await ctx.gateway.download(bucket, key, query.get("versionId", ""))
    name = key.rpartition("/")[2].replace('"', "").replace("\\", "") or "download"
    forwarded = [(n, headers[n]) for n in DOWNLOAD_HEADERS if n in headers]
    return ConsoleResponse(
        headers=[
            *forwarded,
            ("content-disposition", attachment(name)),
            ("x-content-type-options", "nosniff"),
            ("cache-control", "no-store"),
        ],
        body=body,
        content_length=headers.get("content-length"),
    )


def attachment(name: str) -> str:
    """Content-Disposition for `name`: an ASCII fallback and the UTF-8 name (RFC 6266)."""
    fallback = name.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def delete_object(ctx: ConsoleContext) -> ConsoleResponse:
    bucket = ctx.params["bucket"]
    form = await ctx.request.form()
    key, version_id = form.get("key", ""), form.get("versionId", "")
    await ctx.gateway.delete_object(bucket, key, version_id)
    prefix = key.rpartition("/")[0] + "/" if "/" in key else ""
    what = f"version {version_id} of {key}" if version_id else key
    query = urlencode({"prefix": prefix, **({"versions": "1"} if form.get("versions") else {})})
    return ctx.redirect(f"/buckets/{bucket}?{query}", f"Deleted {what}")


async def upload(ctx: ConsoleContext) -> ConsoleResponse:
    """One PUT, its body streamed from the browser to the bucket's region."""
    bucket, key = ctx.params["bucket"], ctx.request.query.get("key", "")
    headers = {n: ctx.request.headers[n] for n in UPLOAD_HEADERS if n in ctx.request.headers}
    response = await ctx.gateway.call(
        "PUT",
        object_path(bucket, key),
        bucket=bucket,
        headers=headers,
        content=ctx.request.stream(),
    )
    return _json(
        {
            "etag": response.headers.get("etag", ""),
            "version_id": response.headers.get("x-amz-version-id", ""),
        }
    )


async def multipart(ctx: ConsoleContext) -> ConsoleResponse:
    """POST ?key= : create → {upload_id}; PUT ?key=&uploadId=&partNumber= : a part → {etag};
    POST ?key=&uploadId= with [{"part": n, "etag": e}, …]: complete."""
    bucket, query = ctx.params["bucket"], ctx.request.query
    path = object_path(bucket, query.get("key", ""))
    upload_id = query.get("uploadId", "")
    if ctx.request.method == "PUT":
        headers = {
            n: ctx.request.headers[n] for n in ("content-length",) if n in ctx.request.headers
        }
        params = {"uploadId": upload_id, "partNumber": query.get("partNumber", "")}
        response = await ctx.gateway.call(
            "PUT", path, bucket=bucket, params=params, headers=headers, content=ctx.request.stream()
        )
        return _json({"etag": response.headers.get("etag", "")})
    if not upload_id:
        content_type = ctx.request.headers.get("x-upload-content-type", "")
        root = await ctx.gateway.xml(
            "POST",
            path,
            bucket=bucket,
            params={"uploads": ""},
            headers={"content-type": content_type} if content_type else {},
        )
        return _json({"upload_id": text(root, "UploadId")})
    body = bytearray()
    async for chunk in ctx.request.stream():
        body += chunk
    try:
        parts = [(int(p["part"]), str(p["etag"])) for p in json.loads(body)]
    except (ValueError, KeyError, TypeError) as exc:
        raise ConsoleError("MalformedXML", "The parts list is not valid.") from exc
    document = (
        "<CompleteMultipartUpload>"
        + "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>{escape(e)}</ETag></Part>" for n, e in parts
        )
        + "</CompleteMultipartUpload>"
    )
    root = await ctx.gateway.xml(
        "POST", path, bucket=bucket, params={"uploadId": upload_id}, content=document.encode()
    )
    return _json({"etag": text(root, "ETag")})


def _json(value: object) -> ConsoleResponse:
    return json_bytes(json.dumps(value).encode())
