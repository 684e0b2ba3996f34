"""Multipart uploads: create, upload part (and copy), complete, abort, list parts/uploads."""

from __future__ import annotations

import base64
from dataclasses import replace

from ferry.api.body import RequestBody
from ferry.api.context import RequestContext
from ferry.api.handlers import ownership, sse, views
from ferry.api.handlers.headers import parse_range
from ferry.api.handlers.listing import parse_encoding_type, parse_max_keys
from ferry.api.handlers.objects import (
    check_content_length,
    new_object_attrs,
    read_copy_source,
    write_condition,
)
from ferry.api.http import Response, xml_response
from ferry.core.names import parse_object_key
from ferry.protocol import checksums, xml
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.store import CompletedPart, Part, Payload, Upload, VersioningStatus

MAX_PART_NUMBER = 10_000
CHECKSUM_TYPES = ("COMPOSITE", "FULL_OBJECT")


def _part_number(ctx: RequestContext) -> int:
    raw = ctx.param("partNumber") or ""
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_PART_NUMBER:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=raw,
        )
    return number


def _upload_id(ctx: RequestContext) -> str:
    upload_id = ctx.param("uploadId") or ""
    if not upload_id:
        raise S3Error(S3ErrorCode.NoSuchUpload, UploadId=upload_id)
    return upload_id


async def create_multipart_upload(ctx: RequestContext) -> Response:
    key = parse_object_key(ctx.key)
    owner_id, acl = await ownership.object_write_acl(ctx)
    attrs = new_object_attrs(ctx, acl)
    algorithm = (ctx.header("x-amz-checksum-algorithm") or "").upper() or None
    checksum_type = (ctx.header("x-amz-checksum-type") or "").upper() or None
    if algorithm is not None and checksums.parse_checksum_algorithm(algorithm) is None:
        raise S3Error(
            S3ErrorCode.InvalidRequest,
            "Checksum algorithm provided is unsupported. Please try again with any of the "
            "valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
        )
    if checksum_type is not None and checksum_type not in CHECKSUM_TYPES:
        raise S3Error(
            S3ErrorCode.InvalidRequest, "Value for x-amz-checksum-type header is invalid."
        )
    if algorithm is not None and checksum_type is None:
        checksum_type = "FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE"
    if checksum_type == "FULL_OBJECT" and algorithm in ("SHA1", "SHA256"):
        raise S3Error(
            S3ErrorCode.InvalidRequest,
            f"The FULL_OBJECT checksum type cannot be used with the {algorithm.lower()} "
            "checksum algorithm.",
        )
    attrs = replace(attrs, checksum_algorithm=algorithm, checksum_type=checksum_type)
    data_key = await sse.key_for_write(ctx, key)
    if data_key is not None:
        attrs = replace(attrs, encryption=data_key.encryption)
    upload = await ctx.services.uploads.create(ctx.bucket, key, owner_id=owner_id, attrs=attrs)
    result = xml.InitiateMultipartUploadResult(
        bucket=ctx.bucket, key=key, upload_id=upload.upload_id
    )
    response = xml_response(xml.render_initiate_multipart_upload(result))
    if algorithm:
        response.set("x-amz-checksum-algorithm", algorithm)
        response.set("x-amz-checksum-type", checksum_type or "COMPOSITE")
    response.headers.extend(sse.open_key_headers(data_key))
    return response


async def upload_part(ctx: RequestContext) -> Response:
    number = _part_number(ctx)
    upload_id = _upload_id(ctx)
    check_content_length(ctx)
    upload = await ctx.services.uploads.get(ctx.bucket, ctx.key, upload_id)
    algorithm = upload.attrs.checksum_algorithm
    # Parts of an SSE-C upload each need the upload's key again.
    data_key = await sse.key_for_read(ctx, upload.attrs.encryption, bucket=ctx.bucket, key=ctx.key)
    body = RequestBody(
        ctx.request,
        ctx.auth,
        default_algorithm=checksums.ChecksumAlgorithm(algorithm) if algorithm else None,
    )
    payload: Payload = body
    if data_key is not None:
        assert ctx.services.encryption is not None
        payload = ctx.services.encryption.seal(body, data_key)
    part = await ctx.services.uploads.put_part(
        ctx.bucket, ctx.key, upload_id, number, payload, declared_size=body.declared_size
    )
    response = Response(status=200).set("etag", f'"{part.etag}"')
    response.headers.extend(sse.open_key_headers(data_key))
    if upload.attrs.checksum_algorithm and part.checksum_value:
        response.set(
            f"x-amz-checksum-{upload.attrs.checksum_algorithm.lower()}", part.checksum_value
        )
    return response


async def upload_part_copy(ctx: RequestContext) -> Response:
    number = _part_number(ctx)
    upload_id = _upload_id(ctx)
    upload = await ctx.services.uploads.get(ctx.bucket, ctx.key, upload_id)
    source = await read_copy_source(ctx)
    source_key = await sse.key_for_read(
        ctx, source.attrs.encryption, bucket=source.bucket, key=source.key, copy_source=True
    )
    target_key = await sse.key_for_read(
        ctx, upload.attrs.encryption, bucket=ctx.bucket, key=ctx.key
    )
    start, end = 0, source.attrs.size
    range_header = ctx.header("x-amz-copy-source-range")
    if range_header is not None:
        selected = parse_range(range_header, source.attrs.size)
        if selected is None or (range_header.startswith("bytes=-")):
            raise S3Error(
                S3ErrorCode.InvalidArgument,
                "The x-amz-copy-source-range value must be of the form bytes=first-last where "
                "first and last are the zero-based offsets of the first and last bytes to copy",
                ArgumentName="x-amz-copy-source-range",
                ArgumentValue=range_header,
            )
        start, end = selected.start, selected.end
    body, digest = await sse.copy_body(
        ctx, source, source_key, target_key, start, end, inline_max=-1
    )
    part = await ctx.services.uploads.put_part(
        ctx.bucket, ctx.key, upload_id, number, None, body=body, md5_hex=digest.md5_hex,
        size=digest.size,
    )  # fmt: skip
    result = xml.CopyPartResult(etag=part.etag, last_modified=part.last_modified)
    response = xml_response(xml.render_copy_part_result(result))
    if source.version_id != "null":
        response.set("x-amz-copy-source-version-id", source.version_id)
    response.headers.extend(sse.open_key_headers(target_key))
    return response


def _combine_checksums(upload: Upload, parts: list[Part]) -> tuple[str | None, str | None]:
    name = upload.attrs.checksum_algorithm
    if name is None or any(p.checksum_value is None for p in parts):
        return None, None
    algorithm = checksums.ChecksumAlgorithm(name)
    digests = [checksums.decode_checksum(algorithm, p.checksum_value or "") for p in parts]
    if any(d is None for d in digests):
        return None, None
    raw = [d for d in digests if d is not None]
    if upload.attrs.checksum_type == "FULL_OBJECT":
        combined = checksums.full_object_crc(
            algorithm, [(d, p.size) for d, p in zip(raw, parts, strict=True)]
        )
        return base64.b64encode(combined).decode(), "FULL_OBJECT"
    return checksums.composite_checksum(algorithm, raw), "COMPOSITE"


async def complete_multipart_upload(ctx: RequestContext) -> Response:
    upload_id = _upload_id(ctx)
    request = xml.parse_complete_multipart_upload(await ctx.request.read_body())
    requested = [
        CompletedPart(part_number=p.part_number, etag=p.etag.strip('"')) for p in request.parts
    ]
    version = await ctx.services.uploads.complete(
        ctx.bucket, ctx.key, upload_id, requested, combine_checksums=_combine_checksums,
        condition=write_condition(ctx),
    )  # fmt: skip
    bucket = await ctx.services.objects.bucket(ctx.bucket)
    host = ctx.header("host") or ""
    attrs = version.attrs
    result = xml.CompleteMultipartUploadResult(
        location=f"http://{host}/{ctx.bucket}/{ctx.key}",
        bucket=ctx.bucket,
        key=ctx.key,
        etag=attrs.etag,
        checksums=views.checksums(attrs.checksum_algorithm, attrs.checksum_value),
        checksum_type=views.checksum_type(attrs.checksum_type),
    )
    response = xml_response(xml.render_complete_multipart_upload(result))
    if bucket.versioning is not VersioningStatus.UNVERSIONED:
        response.set("x-amz-version-id", version.version_id)
    given = sse.customer_key(ctx.request.headers)
    response.headers.extend(
        sse.sse_headers(attrs.encryption, given.md5_b64 if given is not None else None)
    )
    return response


async def abort_multipart_upload(ctx: RequestContext) -> Response:
    await ctx.services.uploads.abort(ctx.bucket, ctx.key, _upload_id(ctx))
    return Response(status=204)


async def list_parts(ctx: RequestContext) -> Response:
    upload_id = _upload_id(ctx)
    max_parts = parse_max_keys(ctx, "max-parts")
    marker_raw = ctx.param("part-number-marker") or "0"
    try:
        marker = int(marker_raw)
    except ValueError as exc:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "Provided part-number-marker not an integer",
            ArgumentName="part-number-marker",
            ArgumentValue=marker_raw,
        ) from exc
    upload, parts, truncated = await ctx.services.uploads.list_parts(
        ctx.bucket, ctx.key, upload_id, after=marker, limit=max_parts
    )
    owner = views.owner(await ownership.bucket_owner_id(ctx))
    algorithm = upload.attrs.checksum_algorithm
    result = xml.ListPartsResult(
        bucket=ctx.bucket,
        key=ctx.key,
        upload_id=upload_id,
        part_number_marker=marker,
        next_part_number_marker=parts[-1].part_number if parts else marker,
        max_parts=max_parts,
        is_truncated=truncated,
        parts=tuple(
            xml.ListedPart(
                part_number=p.part_number,
                last_modified=p.last_modified,
                etag=p.etag,
                size=p.size,
                checksums=views.checksums(algorithm, p.checksum_value),
            )
            for p in parts
        ),
        initiator=owner,
        owner=owner,
        storage_class=upload.attrs.storage_class,
        checksum_algorithm=views.algorithm(algorithm),
        checksum_type=views.checksum_type(upload.attrs.checksum_type),
    )
    return xml_response(xml.render_list_parts(result))


async def list_multipart_uploads(ctx: RequestContext) -> Response:
    prefix = ctx.param("prefix") or ""
    delimiter = ctx.param("delimiter") or ""
    key_marker = ctx.param("key-marker") or ""
    upload_id_marker = ctx.param("upload-id-marker") or ""
    max_uploads = parse_max_keys(ctx, "max-uploads")
    encoding = parse_encoding_type(ctx)
    listing = await ctx.services.uploads.list_uploads(
        ctx.bucket,
        prefix=prefix,
        delimiter=delimiter,
        key_marker=key_marker,
        upload_id_marker=upload_id_marker,
        limit=max_uploads,
    )
    owner = views.owner(await ownership.bucket_owner_id(ctx))
    listed = tuple(
        xml.ListedUpload(
            key=u.key, upload_id=u.upload_id, initiated=u.initiated,
            storage_class=u.attrs.storage_class, initiator=owner, owner=owner,
            checksum_algorithm=views.algorithm(u.attrs.checksum_algorithm),
            checksum_type=views.checksum_type(u.attrs.checksum_type),
        )
        for u in listing.uploads
    )  # fmt: skip
    truncated = listing.is_truncated
    result = xml.ListMultipartUploadsResult(
        bucket=ctx.bucket,
        prefix=prefix,
        delimiter=delimiter or None,
        key_marker=key_marker,
        upload_id_marker=upload_id_marker,
        next_key_marker=listing.next_key_marker if truncated else None,
        next_upload_id_marker=listing.next_upload_id_marker if truncated else None,
        max_uploads=max_uploads,
        is_truncated=truncated,
        uploads=listed,
        common_prefixes=tuple(listing.common_prefixes),
        encoding_type=encoding,
    )
    return xml_response(xml.render_list_multipart_uploads(result))
