"""PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject, attributes."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import unquote

from ferry.api.body import RequestBody, verify_required_checksum
from ferry.api.context import RequestContext
from ferry.api.errors import to_s3_error
from ferry.api.handlers import ownership, sse, views
from ferry.api.handlers.headers import (
    RESPONSE_OVERRIDES,
    ByteRange,
    check_read_conditions,
    checksum_headers,
    http_date,
    parse_content_headers,
    parse_range,
    parse_storage_class,
    parse_user_metadata,
    version_headers,
)
from ferry.api.handlers.lifecycle import expiration_headers
from ferry.api.handlers.lock_headers import (
    check_lock_request,
    lock_response_headers,
    may_bypass_governance,
    with_lock_headers,
)
from ferry.api.http import Response, xml_response
from ferry.core.errors import FerryError
from ferry.core.names import parse_object_key
from ferry.protocol import xml
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.store import (
    Grants,
    ObjectAttributes,
    Payload,
    Version,
    VersioningStatus,
    WriteCondition,
)
from ferry.store.errors import InvalidArgument, PreconditionFailed

MAX_PUT_BYTES = 5 * 1024**3


def write_condition(ctx: RequestContext) -> WriteCondition | None:
    """If-Match / If-None-Match on writes (S3 conditional writes), checked in the commit's
    transaction, so of two racing writers only one can find the key absent (or unchanged).

    If-None-Match takes only `*`, as in AWS; anything else is refused (501 NotImplemented)
    before the body is read, rather than accepted and not honoured."""
    if_match = ctx.header("if-match")
    if_none_match = ctx.header("if-none-match")
    if if_match is None and if_none_match is None:
        return None
    if if_none_match is not None and if_none_match.strip() != "*":
        raise S3Error(S3ErrorCode.NotImplemented, Header="If-None-Match")

    def condition(current: Version | None) -> None:
        live = current if current is not None and not current.is_delete_marker else None
        if if_none_match is not None and live is not None:
            raise PreconditionFailed(condition="If-None-Match")
        if if_match is not None:
            if live is None:
                raise S3Error(S3ErrorCode.NoSuchKey, Key=ctx.key)
            if if_match.strip().strip('"') not in (live.attrs.etag, "*"):
                raise PreconditionFailed(condition="If-Match")

    return condition


def new_object_attrs(ctx: RequestContext, acl: Grants) -> ObjectAttributes:
    """`acl`: the new object's ACL, as `ownership.object_write_acl` checked it."""
    headers = ctx.request.headers
    tagging = headers.get("x-amz-tagging")
    attrs = ObjectAttributes(
        storage_class=parse_storage_class(headers),
        content_headers=parse_content_headers(headers),
        user_metadata=parse_user_metadata(headers),
        tags=tuple((t.key, t.value) for t in xml.parse_tagging_header(tagging).tags)
        if tagging
        else (),
        acl=acl,
    )
    return with_lock_headers(ctx, attrs)


def check_content_length(ctx: RequestContext) -> None:
    """Before the body is read. A length must be declared: Content-Length, or for aws-chunked
    bodies x-amz-decoded-content-length (which may then travel with Transfer-Encoding:
    chunked). A plain Transfer-Encoding: chunked body is refused as AWS refuses it, 501
    NotImplemented naming the header (docs/s3-surface.md)."""
    headers = ctx.request.headers
    declared = headers.get("x-amz-decoded-content-length") or headers.get("content-length")
    if declared is None:
        aws_chunked = ctx.auth.payload_mode.is_streaming or "aws-chunked" in headers.get(
            "content-encoding", ""
        )
        if "chunked" in headers.get("transfer-encoding", "") and not aws_chunked:
            raise S3Error(
                S3ErrorCode.NotImplemented,
                "A header you provided implies functionality that is not implemented",
                Header="Transfer-Encoding",
            )
        raise S3Error(S3ErrorCode.MissingContentLength)
    try:
        length = int(declared)
    except ValueError as exc:
        raise S3Error(S3ErrorCode.InvalidArgument, "Content-Length is not a number") from exc
    if length > MAX_PUT_BYTES:
        raise S3Error(S3ErrorCode.EntityTooLarge, ProposedSize=length, MaxSizeAllowed=MAX_PUT_BYTES)


def _put_response(version: Version, bucket_versioning: VersioningStatus) -> Response:
    response = Response(status=200)
    response.set("etag", f'"{version.attrs.etag}"')
    if bucket_versioning is not VersioningStatus.UNVERSIONED:
        response.set("x-amz-version-id", version.version_id)
    if version.attrs.checksum_algorithm and version.attrs.checksum_value:
        response.headers.extend(checksum_headers(version))
    return response


async def put_object(ctx: RequestContext) -> Response:
    key = parse_object_key(ctx.key)
    if ctx.header("x-amz-write-offset-bytes") is not None:  # appends: S3 Express only
        raise S3Error(
            S3ErrorCode.NotImplemented,
            "A header you provided implies functionality that is not implemented",
            Header="x-amz-write-offset-bytes",
        )
    check_content_length(ctx)
    # One read, before the body: the bucket exists, its default encryption, its quota.
    context = await ctx.services.objects.put_context(ctx.bucket)
    bucket = context.state
    owner_id, acl = await ownership.object_write_acl(ctx)
    attrs = new_object_attrs(ctx, acl)
    check_lock_request(ctx, bucket, attrs)
    condition = write_condition(ctx)
    data_key = await sse.key_for_write(ctx, key, bucket_default=context.encryption)
    body = RequestBody(ctx.request, ctx.auth)
    payload: Payload = body
    if data_key is not None:
        assert ctx.services.encryption is not None
        payload = ctx.services.encryption.seal(body, data_key)
        attrs = replace(attrs, encryption=data_key.encryption)
    version = await ctx.services.objects.put(
        ctx.bucket, key, payload, owner_id=owner_id, attrs=attrs,
        condition=condition, declared_size=body.declared_size, quota=context.quota,
    )  # fmt: skip
    response = _put_response(version, bucket.versioning)
    response.headers.extend(sse.open_key_headers(data_key))
    response.headers.extend(await expiration_headers(ctx, version))
    return response


def version_id_param(ctx: RequestContext) -> str | None:
    version_id = ctx.param("versionId")
    if version_id == "":
        raise InvalidArgument("Version id cannot be the empty string", argument_name="versionId")
    return version_id


async def _read_version(ctx: RequestContext) -> tuple[Version, bool]:
    """GetObject and HeadObject. An `x-amz-server-side-encryption*` header (but SSE-C's) is
    refused, as AWS refuses it on reads (400), rather than accepted and ignored."""
    if any(name in ctx.request.headers for name in sse.WRITE_ONLY_HEADERS):
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "x-amz-server-side-encryption header is not supported for this operation.",
        )
    objects = ctx.services.objects
    version, bucket = await objects.get_with_bucket(ctx.bucket, ctx.key, version_id_param(ctx))
    return version, bucket.versioning is not VersioningStatus.UNVERSIONED


def _selected_range(ctx: RequestContext, version: Version) -> tuple[ByteRange | None, int | None]:
    """The byte range to serve, from Range or partNumber; and the parts count to report (only
    for an object uploaded in parts). Part 1 of an empty object is the whole (empty) object."""
    part_number = ctx.param("partNumber")
    size = version.attrs.size
    if part_number is None:
        return parse_range(ctx.header("range"), size), None
    if ctx.header("range"):
        raise S3Error(
            S3ErrorCode.InvalidRequest,
            "Cannot specify both Range header and partNumber query parameter",
        )
    try:
        number = int(part_number)
    except ValueError as exc:
        raise InvalidArgument("Part number must be an integer", argument_name="partNumber") from exc
    parts = version.attrs.parts
    count = len(parts) if parts else 1
    if number < 1 or number > 10_000:
        raise InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            argument_name="partNumber",
        )
    if number > count:
        raise S3Error(S3ErrorCode.InvalidPartNumber)
    if not parts:  # as AWS: part 1 is the whole object, 206, and no parts count
        return (ByteRange(0, size) if size else None), None
    start = sum(p.size for p in parts[: number - 1])
    return ByteRange(start, start + parts[number - 1].size), count


def _object_response(
    ctx: RequestContext, version: Version, versioned: bool
) -> tuple[Response, ByteRange | None]:
    check_read_conditions(ctx.request.headers, version)
    selected, parts_count = _selected_range(ctx, version)
    headers = version_headers(version, versioned_bucket=versioned)
    if (ctx.header("x-amz-checksum-mode") or "").upper() == "ENABLED" and selected is None:
        headers.extend(checksum_headers(version))
    if parts_count is not None:
        headers.append(("x-amz-mp-parts-count", str(parts_count)))
    overrides = {
        RESPONSE_OVERRIDES[name]: value
        for name, value in ctx.request.params.items()
        if name in RESPONSE_OVERRIDES
    }
    if overrides:
        headers = [(n, v) for n, v in headers if n not in overrides] + list(overrides.items())
    size = version.attrs.size
    response = Response(status=200, headers=headers)
    if selected is not None:
        response.status = 206
        response.set("content-range", f"bytes {selected.start}-{selected.end - 1}/{size}")
        response.content_length = selected.end - selected.start
    else:
        response.content_length = size
    return response, selected


async def get_object(ctx: RequestContext) -> Response:
    version, versioned = await _read_version(ctx)
    data_key = await sse.key_for_read(
        ctx, version.attrs.encryption, bucket=version.bucket, key=version.key
    )
    response, selected = _object_response(ctx, version, versioned)
    response.headers.extend(sse.open_key_headers(data_key))
    response.headers.extend(await lock_response_headers(ctx, version))
    response.headers.extend(await expiration_headers(ctx, version))
    start, end = (selected.start, selected.end) if selected else (0, version.attrs.size)
    if data_key is None and version.body.inline is not None:
        response.body = version.body.inline[start:end]
        response.content_length = None
    else:
        response.body = sse.plaintext(ctx, version, data_key, start, end)
    return response


async def head_object(ctx: RequestContext) -> Response:
    version, versioned = await _read_version(ctx)
    customer_key_md5 = await sse.check_read_key(ctx, version)
    response, _ = _object_response(ctx, version, versioned)
    response.headers.extend(sse.sse_headers(version.attrs.encryption, customer_key_md5))
    response.headers.extend(await lock_response_headers(ctx, version))
    response.headers.extend(await expiration_headers(ctx, version))
    response.body = b""
    return response


async def delete_object(ctx: RequestContext) -> Response:
    version_id = version_id_param(ctx)
    bypass = version_id is not None and await may_bypass_governance(ctx, ctx.key)
    outcome = await ctx.services.objects.delete(
        ctx.bucket, ctx.key, version_id, bypass_governance=bypass
    )
    response = Response(status=204)
    if outcome.delete_marker:
        response.set("x-amz-delete-marker", "true")
    if outcome.version_id is not None:
        response.set("x-amz-version-id", outcome.version_id)
    return response


async def delete_objects(ctx: RequestContext) -> Response:
    body = await ctx.request.read_body()
    bucket = await ctx.services.objects.bucket(ctx.bucket)
    if bucket.object_lock is not None:  # AWS requires it of every DeleteObjects
        verify_required_checksum(ctx.request.headers, body)
    request = xml.parse_delete(body)
    deleted: list[xml.DeletedObject] = []
    errors: list[xml.DeleteError] = []
    for item in request.objects:
        try:
            if ctx.access is not None:  # each key is authorised on its own, as in AWS
                action = "s3:DeleteObjectVersion" if item.version_id else "s3:DeleteObject"
                await ctx.access.require(action, item.key)
            bypass = item.version_id is not None and await may_bypass_governance(ctx, item.key)
            outcome = await ctx.services.objects.delete(
                ctx.bucket, item.key, item.version_id, bypass_governance=bypass
            )
        except FerryError as exc:
            error = to_s3_error(exc)
            errors.append(
                xml.DeleteError(
                    key=item.key, version_id=item.version_id, code=error.code.value,
                    message=error.message,
                )
            )  # fmt: skip
            continue
        if request.quiet:
            continue
        marker_created = outcome.delete_marker and item.version_id is None
        deleted.append(
            xml.DeletedObject(
                key=item.key,
                version_id=item.version_id,
                delete_marker=outcome.delete_marker,
                delete_marker_version_id=outcome.version_id if marker_created else None,
            )
        )
    result = xml.DeleteResult(deleted=tuple(deleted), errors=tuple(errors))
    return xml_response(xml.render_delete_result(result))


def parse_copy_source(value: str) -> tuple[str, str, str | None]:
    """`/bucket/key?versionId=v` (URL-encoded) → (bucket, key, version_id)."""
    path, _, query = value.partition("?")
    path = unquote(path).lstrip("/")
    bucket, slash, key = path.partition("/")
    if not slash or not bucket or not key:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "Invalid copy source object key",
            ArgumentName="x-amz-copy-source",
            ArgumentValue=value,
        )
    version_id = None
    if query:
        name, _, raw = query.partition("=")
        if name != "versionId" or not raw:
            raise S3Error(S3ErrorCode.InvalidArgument, "Invalid copy source version id")
        version_id = unquote(raw)
    return bucket, key, version_id


async def read_copy_source(ctx: RequestContext) -> Version:
    bucket, key, version_id = parse_copy_source(ctx.header("x-amz-copy-source") or "")
    source = await ctx.services.objects.get(bucket, key, version_id)
    check_read_conditions(ctx.request.headers, source, prefix="x-amz-copy-source-")
    return source


async def copy_object(ctx: RequestContext) -> Response:
    key = parse_object_key(ctx.key)
    source = await read_copy_source(ctx)
    headers = ctx.request.headers
    metadata_directive = headers.get("x-amz-metadata-directive", "COPY").upper()
    tagging_directive = headers.get("x-amz-tagging-directive", "COPY").upper()
    if metadata_directive not in ("COPY", "REPLACE") or tagging_directive not in (
        "COPY",
        "REPLACE",
    ):
        raise S3Error(S3ErrorCode.InvalidArgument, "Unknown metadata or tagging directive")
    owner_id, acl = await ownership.object_write_acl(ctx)
    requested = new_object_attrs(ctx, acl)
    attrs = source.attrs
    if metadata_directive == "REPLACE":
        attrs = replace(
            attrs, content_headers=requested.content_headers, user_metadata=requested.user_metadata
        )
    if tagging_directive == "REPLACE":
        attrs = replace(attrs, tags=requested.tags)
    storage_class_given = "x-amz-storage-class" in headers
    attrs = replace(
        attrs,
        storage_class=requested.storage_class if storage_class_given else "STANDARD",
        acl=requested.acl,
        parts=(),
        replication_status=None,
        # a copy takes its lock from the request (or the bucket's default), not the source
        lock_mode=requested.lock_mode,
        lock_until=requested.lock_until,
        legal_hold=requested.legal_hold,
    )
    source_key = await sse.key_for_read(
        ctx, source.attrs.encryption, bucket=source.bucket, key=source.key, copy_source=True
    )
    encryption_given = sse.is_encryption_requested(headers)
    same_object = source.bucket == ctx.bucket and source.key == key
    unchanged = metadata_directive == "COPY" and not storage_class_given and not encryption_given
    if same_object and unchanged:
        raise S3Error(
            S3ErrorCode.InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect location "
            "or encryption attributes.",
        )
    target_key = await sse.key_for_write(ctx, key)
    body, digest = await sse.copy_body(ctx, source, source_key, target_key)
    attrs = replace(
        attrs, size=digest.size, etag=digest.md5_hex,
        encryption=target_key.encryption if target_key else None,
    )  # fmt: skip
    if source.attrs.checksum_type == "COMPOSITE":
        attrs = replace(attrs, checksum_algorithm=None, checksum_value=None, checksum_type=None)
    version = await ctx.services.objects.commit(
        ctx.bucket, key, owner_id=owner_id, attrs=attrs, body=body,
        condition=write_condition(ctx),
    )  # fmt: skip
    bucket = await ctx.services.objects.bucket(ctx.bucket)
    response = xml_response(
        xml.render_copy_object_result(
            xml.CopyObjectResult(
                etag=version.attrs.etag,
                last_modified=version.last_modified,
                checksums=views.checksums(attrs.checksum_algorithm, attrs.checksum_value),
                checksum_type=views.checksum_type(attrs.checksum_type),
            )
        )
    )
    if bucket.versioning is not VersioningStatus.UNVERSIONED:
        response.set("x-amz-version-id", version.version_id)
    if source.version_id != "null" or bucket.versioning is not VersioningStatus.UNVERSIONED:
        response.set("x-amz-copy-source-version-id", source.version_id)
    response.headers.extend(sse.open_key_headers(target_key))
    return response


OBJECT_ATTRIBUTES = frozenset({"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"})
DEFAULT_MAX_PARTS = 1000


def _int_header(ctx: RequestContext, name: str, default: int) -> int:
    text = ctx.header(name)
    if text is None:
        return default
    if not text.strip().isdigit():
        raise InvalidArgument(f"Provided {name} is not a non-negative integer", argument_name=name)
    return int(text)


def _object_parts(ctx: RequestContext, attrs: ObjectAttributes) -> xml.ObjectParts | None:
    """ObjectParts, paged by x-amz-max-parts / x-amz-part-number-marker; None for an object
    that was not uploaded in parts (AWS leaves the element out)."""
    if not attrs.parts:
        return None
    max_parts = min(_int_header(ctx, "x-amz-max-parts", DEFAULT_MAX_PARTS), DEFAULT_MAX_PARTS)
    marker = _int_header(ctx, "x-amz-part-number-marker", 0)
    numbered = list(enumerate(attrs.parts, start=1))[marker:]
    page, truncated = numbered[:max_parts], len(numbered) > max_parts
    return xml.ObjectParts(
        parts_count=len(attrs.parts), part_number_marker=marker,
        next_part_number_marker=page[-1][0] if truncated and page else None,
        max_parts=max_parts, is_truncated=truncated,
        parts=tuple(
            xml.ObjectPart(
                part_number=number, size=p.size,
                checksums=views.checksums(attrs.checksum_algorithm, p.checksum_value),
            )
            for number, p in page
        ),
    )  # fmt: skip


async def get_object_attributes(ctx: RequestContext) -> Response:
    wanted = {
        a.strip() for a in (ctx.header("x-amz-object-attributes") or "").split(",") if a.strip()
    }
    if not wanted or not wanted <= OBJECT_ATTRIBUTES:
        raise S3Error(S3ErrorCode.InvalidArgument, "Invalid attribute name specified.")
    version, versioned = await _read_version(ctx)
    await sse.check_read_key(ctx, version)  # an SSE-C object's attributes need its key
    attrs = version.attrs
    parts = _object_parts(ctx, attrs) if "ObjectParts" in wanted else None
    has_checksum = "Checksum" in wanted and attrs.checksum_value
    result = xml.ObjectAttributes(
        etag=attrs.etag if "ETag" in wanted else None,
        checksums=views.checksums(attrs.checksum_algorithm, attrs.checksum_value)
        if has_checksum
        else None,
        checksum_type=views.checksum_type(attrs.checksum_type) if has_checksum else None,
        object_parts=parts,
        storage_class=attrs.storage_class if "StorageClass" in wanted else None,
        object_size=attrs.size if "ObjectSize" in wanted else None,
    )
    response = xml_response(xml.render_object_attributes(result))
    response.set("last-modified", http_date(version.last_modified))
    if versioned:
        response.set("x-amz-version-id", version.version_id)
    return response
