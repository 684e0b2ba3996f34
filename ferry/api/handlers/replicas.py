"""The destination side of replication: ReplicateObject, ReplicateDelete, ReplicateTags.

Only the replication identity may call these (checked in `api/app.py`); see
`protocol/replica.py` for the wire format.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from ferry.api.context import RequestContext
from ferry.api.http import Response
from ferry.core.clock import from_epoch_ms
from ferry.protocol import replica
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.store import Grant, ObjectAttributes, PartInfo, PayloadDigest
from ferry.store.hooks import WriteOrigin


class _FramedBody:
    """Splits a ReplicateObject body into its descriptor and the object's bytes."""

    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self._rest = b""

    async def descriptor(self) -> replica.ReplicaDescriptor:
        buffer = b""
        need = replica.LENGTH_PREFIX.size
        length: int | None = None
        async for chunk in self._source:
            buffer += chunk
            if length is None and len(buffer) >= need:
                length = replica.parse_frame_length(buffer[:need])
                need += length
            if length is not None and len(buffer) >= need:
                break
        if length is None or len(buffer) < need:
            raise S3Error(S3ErrorCode.IncompleteBody)
        self._rest = buffer[need:]
        return replica.from_json(buffer[replica.LENGTH_PREFIX.size : need])

    async def object_bytes(self) -> AsyncIterator[bytes]:
        if self._rest:
            yield self._rest
        async for chunk in self._source:
            yield chunk


class _ReplicaPayload:
    """The object's bytes; the store checks size and MD5 against the source's ETag."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._md5 = hashlib.md5()
        self._size = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks

    def update(self, chunk: bytes) -> None:
        self._md5.update(chunk)
        self._size += len(chunk)

    def finish(self) -> PayloadDigest:
        return PayloadDigest(size=self._size, md5_hex=self._md5.hexdigest())


def _attributes(d: replica.ReplicaDescriptor) -> ObjectAttributes:
    return ObjectAttributes(
        size=d.size,
        etag=d.etag,
        storage_class=d.storage_class,
        content_headers=d.content_headers,
        user_metadata=d.user_metadata,
        tags=d.tags,
        acl=tuple(Grant(grantee_type=t, grantee=g, permission=p) for t, g, p in d.acl),
        checksum_algorithm=d.checksum_algorithm,
        checksum_value=d.checksum_value,
        checksum_type=d.checksum_type,
        parts=tuple(PartInfo(size=s, checksum_value=c) for s, c in d.parts),
    )


async def replicate_object(ctx: RequestContext) -> Response:
    framed = _FramedBody(ctx.request.stream())
    d = await framed.descriptor()
    version = await ctx.services.replicas.put(
        ctx.bucket,
        ctx.key,
        _ReplicaPayload(framed.object_bytes()),
        version_id=d.version_id,
        last_modified=from_epoch_ms(d.last_modified_ms),
        owner_id=d.owner_id,
        attrs=_attributes(d),
    )
    return (
        Response(status=200)
        .set("etag", f'"{version.attrs.etag}"')
        .set("x-amz-version-id", version.version_id)
    )


def _descriptor(ctx: RequestContext) -> replica.ReplicaDescriptor:
    return replica.from_header(ctx.header(replica.REPLICA_HEADER) or "")


async def replicate_delete(ctx: RequestContext) -> Response:
    d = _descriptor(ctx)
    version = await ctx.services.replicas.put_delete_marker(
        ctx.bucket,
        ctx.key,
        version_id=d.version_id,
        last_modified=from_epoch_ms(d.last_modified_ms),
        owner_id=d.owner_id,
    )
    return (
        Response(status=204)
        .set("x-amz-delete-marker", "true")
        .set("x-amz-version-id", version.version_id)
    )


async def replicate_tags(ctx: RequestContext) -> Response:
    """Tags and ACL of one version (ReplicateTags in IAM terms)."""
    d = _descriptor(ctx)
    attrs = _attributes(d)
    version = await ctx.services.objects.update_attrs(
        ctx.bucket,
        ctx.key,
        d.version_id,
        tags=attrs.tags,
        acl=attrs.acl,
        origin=WriteOrigin.REPLICATION,
    )
    return Response(status=200).set("x-amz-version-id", version.version_id)
