"""The destination side of replication: ReplicateObject, ReplicateDelete, ReplicateTags, and
ReplicateBatch (many small ones in one request, each item authorised and committed on its own).

Only the replication identity may call these (checked in `api/app.py`); see
`protocol/replica.py` for the wire format.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from ferry.api.context import ItemNote, RequestContext
from ferry.api.errors import to_s3_error
from ferry.api.handlers.replica_sse import condition_keys, prepare_replica_write
from ferry.api.http import Response
from ferry.core.clock import from_epoch_ms
from ferry.core.errors import FerryError
from ferry.protocol import replica
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.replication.identity import is_replication_arn
from ferry.store import (
    Grant,
    ObjectAttributes,
    ObjectLockMode,
    PartInfo,
    PayloadDigest,
    Retention,
)
from ferry.store.errors import ObjectLockMissing
from ferry.store.hooks import WriteOrigin
from ferry.store.records import Version

log = logging.getLogger("ferry.replication")

OWNER_OVERRIDE = "s3:ObjectOwnerOverrideToBucketOwner"
REPLICATE_TAGS = "s3:ReplicateTags"


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
        lock_mode=ObjectLockMode(d.lock_mode) if d.lock_mode else None,
        lock_until=from_epoch_ms(d.lock_until_ms) if d.lock_until_ms is not None else None,
        legal_hold=d.legal_hold,
    )


def _lock_of(attrs: ObjectAttributes) -> tuple[object, ...]:
    return (attrs.lock_mode, attrs.lock_until, attrs.legal_hold)


async def _sync_lock(
    ctx: RequestContext, key: str, d: replica.ReplicaDescriptor, current: Version | None = None
) -> Version | None:
    """Give the replica the source's retention and legal hold (a change of them replicates
    as a metadata update, like tags): the source judged the change, the replica follows it.
    A source with Object Lock needs a destination with it (AWS's
    DstBucketObjectLockConfigMissing otherwise)."""
    locked_source = d.source_object_lock or d.lock_mode is not None or d.legal_hold
    if locked_source and (await ctx.services.objects.bucket(ctx.bucket)).object_lock is None:
        raise ObjectLockMissing(bucket=ctx.bucket)
    wanted = _attributes(d)
    if current is not None and _lock_of(current.attrs) == _lock_of(wanted):
        return current
    if current is None and not locked_source:
        return None
    return await ctx.services.objects.update_lock(
        ctx.bucket, key, d.version_id,
        retention=Retention(mode=wanted.lock_mode, until=wanted.lock_until),
        legal_hold=wanted.legal_hold, origin=WriteOrigin.REPLICATION,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Replica:
    attrs: ObjectAttributes
    owner_id: str


async def _replica_of(ctx: RequestContext, key: str, d: replica.ReplicaDescriptor) -> _Replica:
    """The replica's attributes and owner. Under owner override (AccessControlTranslation)
    the role must hold s3:ObjectOwnerOverrideToBucketOwner, and the destination bucket's owner
    owns the replica, with full control instead of the source's grants (AWS). A destination
    whose Object Ownership is BucketOwnerEnforced owns its replicas the same way, without the
    override: its ACLs are disabled, so the source's grants are not replicated (AWS)."""
    attrs = _attributes(d)
    destination = await ctx.services.buckets.get_access(ctx.bucket)
    if not d.owner_override:
        if destination.acls_enabled:
            return _Replica(attrs, d.owner_id)
    elif ctx.access is not None:
        await ctx.access.require_replica_write(OWNER_OVERRIDE, key)
    owner = destination.owner_id
    grant = Grant(grantee_type="CanonicalUser", grantee=owner, permission="FULL_CONTROL")
    return _Replica(replace(attrs, acl=(grant,)), owner)


async def _put_replica(
    ctx: RequestContext, key: str, d: replica.ReplicaDescriptor, chunks: AsyncIterator[bytes]
) -> Version:
    wanted = await _replica_of(ctx, key, d)
    attrs = wanted.attrs
    write = await prepare_replica_write(ctx, key, d, attrs, _ReplicaPayload(chunks))
    version = await ctx.services.replicas.put(
        ctx.bucket, key, write.payload, version_id=d.version_id,
        last_modified=from_epoch_ms(d.last_modified_ms), owner_id=wanted.owner_id,
        attrs=write.attrs, stored_size=write.stored_size,
        source_object_lock=d.source_object_lock or d.lock_mode is not None or d.legal_hold,
    )  # fmt: skip
    version = await _sync_lock(ctx, key, d, version) or version
    if (version.attrs.tags, version.attrs.acl) == (attrs.tags, attrs.acl):
        return version
    # The replica was here already (a re-drive after a failed tag or ACL change): bring its
    # tags and ACL up to the source's, as the ReplicateTags it stands for.
    await authorize_replica_item(ctx, REPLICATE_TAGS, key)
    return await ctx.services.objects.update_attrs(
        ctx.bucket, key, d.version_id, tags=attrs.tags, acl=attrs.acl,
        origin=WriteOrigin.REPLICATION,
    )  # fmt: skip


async def replicate_object(ctx: RequestContext) -> Response:
    framed = _FramedBody(ctx.request.stream())
    d = await framed.descriptor()
    version = await _put_replica(ctx, ctx.key, d, framed.object_bytes())
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
    """Tags, ACL, retention and legal hold of one version (ReplicateTags in IAM terms)."""
    d = _descriptor(ctx)
    attrs = (await _replica_of(ctx, ctx.key, d)).attrs
    await _sync_lock(ctx, ctx.key, d)
    version = await ctx.services.objects.update_attrs(
        ctx.bucket,
        ctx.key,
        d.version_id,
        tags=attrs.tags,
        acl=attrs.acl,
        origin=WriteOrigin.REPLICATION,
    )
    return Response(status=200).set("x-amz-version-id", version.version_id)


# -- ReplicateBatch ----------------------------------------------------------------------------

ITEM_ACTIONS = {
    replica.ITEM_OBJECT: "s3:ReplicateObject",
    replica.ITEM_DELETE_MARKER: "s3:ReplicateDelete",
    replica.ITEM_METADATA: "s3:ReplicateTags",
}


async def authorize_replica_item(
    ctx: RequestContext, action: str, key: str, context: dict[str, str] | None = None
) -> None:
    """The one place a batch item is authorised, as if it were its own request for `action` on
    `ctx.bucket`/`key`: only the internal replication identity may write replicas, and each
    write is judged as the rule's IAM role the request names (`api/access.py`)."""
    if not is_replication_arn(ctx.auth.principal.arn):
        raise S3Error(S3ErrorCode.AccessDenied)
    if ctx.access is not None:
        await ctx.access.require_replica_write(action, key, context)


class _Reader:
    """Exact-size reads from a request body that arrives in arbitrary chunks."""

    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self._buffer = bytearray()
        self._eof = False

    async def _fill(self, n: int) -> bool:
        while len(self._buffer) < n and not self._eof:
            try:
                self._buffer += await anext(self._source)
            except StopAsyncIteration:
                self._eof = True
        return len(self._buffer) >= n

    async def at_end(self) -> bool:
        return not await self._fill(1)

    async def read_exactly(self, n: int) -> bytes:
        if not await self._fill(n):
            raise S3Error(S3ErrorCode.IncompleteBody)
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data


async def _read_item(reader: _Reader) -> tuple[replica.BatchItem, bytes]:
    length = replica.parse_frame_length(await reader.read_exactly(replica.LENGTH_PREFIX.size))
    item = replica.parse_item_header(await reader.read_exactly(length))
    return item, await reader.read_exactly(item.body_size)


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _apply_item(ctx: RequestContext, item: replica.BatchItem, data: bytes) -> Version:
    d = item.descriptor
    await authorize_replica_item(ctx, ITEM_ACTIONS[item.operation], item.key, condition_keys(d))
    last_modified = from_epoch_ms(d.last_modified_ms)
    if item.operation == replica.ITEM_OBJECT:
        return await _put_replica(ctx, item.key, d, _chunks(data))
    if item.operation == replica.ITEM_DELETE_MARKER:
        return await ctx.services.replicas.put_delete_marker(
            ctx.bucket, item.key, version_id=d.version_id, last_modified=last_modified,
            owner_id=d.owner_id,
        )  # fmt: skip
    attrs = (await _replica_of(ctx, item.key, d)).attrs
    await _sync_lock(ctx, item.key, d)
    return await ctx.services.objects.update_attrs(
        ctx.bucket, item.key, d.version_id, tags=attrs.tags, acl=attrs.acl,
        origin=WriteOrigin.REPLICATION,
    )  # fmt: skip


async def _item_result(
    ctx: RequestContext, item: replica.BatchItem, data: bytes
) -> replica.ItemResult:
    """What the item's own request would have answered; an error stays this item's."""
    try:
        version = await _apply_item(ctx, item, data)
    except S3Error as exc:
        return replica.ItemResult(status=exc.status, code=exc.code.value, message=exc.message)
    except FerryError as exc:
        try:
            error = to_s3_error(exc)
        except FerryError:
            return _internal_error(ctx, item, exc)
        return replica.ItemResult(status=error.status, code=error.code.value, message=error.message)
    except Exception as exc:  # one item's crash must not fail its neighbours
        return _internal_error(ctx, item, exc)
    return replica.ItemResult(status=200, version_id=version.version_id)


def _internal_error(
    ctx: RequestContext, item: replica.BatchItem, exc: BaseException
) -> replica.ItemResult:
    log.error(
        "replica batch item failed",
        exc_info=exc,
        extra={"request_id": ctx.request_id, "bucket": ctx.bucket, "key": item.key},
    )
    error = S3Error(S3ErrorCode.InternalError)
    return replica.ItemResult(status=error.status, code=error.code.value, message=error.message)


# What each item is, for the audit trail: the object operation its own request would make.
ITEM_OPERATIONS = {
    replica.ITEM_OBJECT: "PutObject",
    replica.ITEM_DELETE_MARKER: "DeleteObject",
    replica.ITEM_METADATA: "PutObjectTagging",
}


def _note_items(
    ctx: RequestContext, items: list[replica.BatchItem], results: list[replica.ItemResult]
) -> None:
    if ctx.note is None:
        return
    for item, result in zip(items, results, strict=True):
        ctx.note.items.append(
            ItemNote(
                operation=ITEM_OPERATIONS[item.operation],
                key=item.key,
                version_id=item.descriptor.version_id,
                status=result.status,
                error_code=result.code or "",
                error_message=result.message or "",
                size=item.body_size,
            )
        )


async def replicate_batch(ctx: RequestContext) -> Response:
    """Items are committed concurrently, so the store's group commit puts the whole batch in
    one transaction (each item in its own savepoint: one failure rolls back only itself)."""
    announced = ctx.header("content-length")
    if announced is not None and announced.isdigit() and int(announced) > replica.MAX_BATCH_BYTES:
        raise S3Error(S3ErrorCode.EntityTooLarge, "Replica batch too large.")
    # A missing bucket refuses the batch whole (NoSuchBucket, or AWS's 301 when it lives in
    # another region), as it would each item's own request.
    await ctx.services.objects.bucket(ctx.bucket)
    reader = _Reader(ctx.request.stream())
    pending: list[asyncio.Task[replica.ItemResult]] = []
    items: list[replica.BatchItem] = []
    received = 0
    try:
        while not await reader.at_end():
            if len(pending) >= replica.MAX_BATCH_ITEMS:
                raise S3Error(S3ErrorCode.InvalidRequest, "Too many items in a replica batch.")
            item, data = await _read_item(reader)
            received += item.body_size
            if received > replica.MAX_BATCH_BYTES:
                raise S3Error(S3ErrorCode.EntityTooLarge, "Replica batch too large.")
            items.append(item)
            pending.append(asyncio.create_task(_item_result(ctx, item, data)))
    finally:
        # A malformed or cut-off body fails the whole request (the sender retries every item;
        # items already committed are idempotent), but never leaves commits running unowned.
        results = await asyncio.gather(*pending)
        _note_items(ctx, items, results)
    return Response(
        status=200,
        headers=[("content-type", "application/json")],
        body=replica.results_to_json(list(results)),
    )
