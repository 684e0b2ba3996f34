"""ListObjects, ListObjectsV2, ListObjectVersions."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from ferry.api.context import RequestContext
from ferry.api.handlers import views
from ferry.api.http import Response, xml_response
from ferry.protocol import xml
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.store import Version

MAX_KEYS = 1000


def parse_max_keys(ctx: RequestContext, name: str = "max-keys") -> int:
    raw = ctx.param(name)
    if raw is None:
        return MAX_KEYS
    try:
        value = int(raw)
    except ValueError as exc:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "Provided max-keys not an integer or within integer range",
            ArgumentName=name,
            ArgumentValue=raw,
        ) from exc
    if value < 0:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "Argument maxKeys must be an integer between 0 and 2147483647",
            ArgumentName=name,
            ArgumentValue=raw,
        )
    return min(value, MAX_KEYS)


def parse_encoding_type(ctx: RequestContext) -> xml.EncodingType | None:
    value = ctx.param("encoding-type")
    if value is None:
        return None
    if value.lower() != "url":
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
            ArgumentValue=value,
        )
    return xml.EncodingType.URL


def encode_token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode()).decode()


def decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
        ) from exc


async def _owner_of(ctx: RequestContext) -> Callable[[Version], xml.Owner]:
    """Who a listing shows as a version's owner: its writer where ACLs are enabled, the
    bucket owner under BucketOwnerEnforced (who owns every object then, as on AWS)."""
    access = await ctx.services.buckets.get_access(ctx.bucket)
    if access.acls_enabled:
        return lambda version: views.owner(version.owner_id)
    bucket_owner = views.owner(access.owner_id)
    return lambda version: bucket_owner


def _listed(version: Version, owner: xml.Owner | None) -> xml.ListedObject:
    return xml.ListedObject(
        key=version.key,
        last_modified=version.last_modified,
        etag=version.attrs.etag,
        size=version.attrs.size,
        storage_class=version.attrs.storage_class,
        checksum_algorithm=views.algorithm(version.attrs.checksum_algorithm),
        checksum_type=views.checksum_type(version.attrs.checksum_type),
        owner=owner,
    )


async def list_objects(ctx: RequestContext) -> Response:
    prefix = ctx.param("prefix") or ""
    delimiter = ctx.param("delimiter") or ""
    marker = ctx.param("marker") or ""
    max_keys = parse_max_keys(ctx)
    encoding = parse_encoding_type(ctx)
    listing = await ctx.services.listings.objects(
        ctx.bucket, prefix=prefix, delimiter=delimiter, start_after=marker, max_keys=max_keys
    )
    owner = await _owner_of(ctx)
    result = xml.ListObjectsResult(
        name=ctx.bucket,
        prefix=prefix,
        delimiter=delimiter or None,
        marker=marker,
        next_marker=listing.next_marker if listing.is_truncated and delimiter else None,
        max_keys=max_keys,
        is_truncated=listing.is_truncated,
        contents=tuple(_listed(v, owner(v)) for v in listing.versions),
        common_prefixes=tuple(listing.common_prefixes),
        encoding_type=encoding,
    )
    return xml_response(xml.render_list_objects(result))


async def list_objects_v2(ctx: RequestContext) -> Response:
    prefix = ctx.param("prefix") or ""
    delimiter = ctx.param("delimiter") or ""
    token = ctx.param("continuation-token")
    start_after = ctx.param("start-after") or ""
    max_keys = parse_max_keys(ctx)
    encoding = parse_encoding_type(ctx)
    fetch_owner = (ctx.param("fetch-owner") or "").lower() == "true"
    position = decode_token(token) if token is not None else start_after
    if token is not None and start_after > position:
        position = start_after
    listing = await ctx.services.listings.objects(
        ctx.bucket, prefix=prefix, delimiter=delimiter, start_after=position, max_keys=max_keys
    )
    owner = await _owner_of(ctx)
    result = xml.ListObjectsV2Result(
        name=ctx.bucket,
        prefix=prefix,
        delimiter=delimiter or None,
        max_keys=max_keys,
        fetch_owner=fetch_owner,
        is_truncated=listing.is_truncated,
        continuation_token=token,
        next_continuation_token=encode_token(listing.next_marker)
        if listing.is_truncated and listing.next_marker
        else None,
        start_after=start_after or None,
        contents=tuple(_listed(v, owner(v) if fetch_owner else None) for v in listing.versions),
        common_prefixes=tuple(listing.common_prefixes),
        encoding_type=encoding,
    )
    return xml_response(xml.render_list_objects_v2(result))


async def list_object_versions(ctx: RequestContext) -> Response:
    prefix = ctx.param("prefix") or ""
    delimiter = ctx.param("delimiter") or ""
    key_marker = ctx.param("key-marker") or ""
    version_id_marker = ctx.param("version-id-marker") or ""
    if version_id_marker and not key_marker:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "A version-id marker cannot be specified without a key marker.",
            ArgumentName="version-id-marker",
            ArgumentValue=version_id_marker,
        )
    max_keys = parse_max_keys(ctx)
    encoding = parse_encoding_type(ctx)
    listing = await ctx.services.listings.versions(
        ctx.bucket, prefix=prefix, delimiter=delimiter, key_marker=key_marker,
        version_id_marker=version_id_marker, max_keys=max_keys,
    )  # fmt: skip
    owner = await _owner_of(ctx)
    entries: list[xml.ListedVersion | xml.ListedDeleteMarker] = []
    for v in listing.versions:
        if v.is_delete_marker:
            entries.append(
                xml.ListedDeleteMarker(
                    key=v.key, version_id=v.version_id, is_latest=v.is_latest,
                    last_modified=v.last_modified, owner=owner(v),
                )
            )  # fmt: skip
            continue
        entries.append(
            xml.ListedVersion(
                key=v.key, version_id=v.version_id, is_latest=v.is_latest,
                last_modified=v.last_modified, etag=v.attrs.etag, size=v.attrs.size,
                storage_class=v.attrs.storage_class,
                checksum_algorithm=views.algorithm(v.attrs.checksum_algorithm),
                checksum_type=views.checksum_type(v.attrs.checksum_type),
                owner=owner(v),
            )
        )  # fmt: skip
    result = xml.ListObjectVersionsResult(
        name=ctx.bucket,
        prefix=prefix,
        delimiter=delimiter or None,
        key_marker=key_marker,
        version_id_marker=version_id_marker,
        next_key_marker=listing.next_marker if listing.is_truncated else None,
        next_version_id_marker=listing.next_version_id_marker if listing.is_truncated else None,
        max_keys=max_keys,
        is_truncated=listing.is_truncated,
        versions=tuple(entries),
        common_prefixes=tuple(listing.common_prefixes),
        encoding_type=encoding,
    )
    return xml_response(xml.render_list_object_versions(result))
