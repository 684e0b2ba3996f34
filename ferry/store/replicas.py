"""Replicas: versions written by the replication engine with the source's identity.

A replica keeps the source's version ID and last-modified time, is marked REPLICA, and is
committed with WriteOrigin.REPLICATION so that no hook replicates it again. Writing the same
replica twice is a no-op (a task may run twice after a crash: at-least-once delivery).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ferry.core.clock import Clock
from ferry.store.blobs import FileBlobStore, Payload
from ferry.store.db import Database, Tx
from ferry.store.errors import BadReplicaDigest, DestinationUnversioned
from ferry.store.hooks import VersionHooks, WriteOrigin
from ferry.store.object_lock import require_object_lock
from ferry.store.put_context import fetch_put_context
from ferry.store.quotas import BucketQuota
from ferry.store.records import (
    EMPTY_BODY,
    Body,
    BucketState,
    ObjectAttributes,
    ReplicationStatus,
    Version,
    VersioningStatus,
)
from ferry.store.versions import (
    check_write_quota,
    commit_with_blobs,
    fetch_bucket_and_version,
    fetch_latest,
    fetch_version,
    insert_version,
    lock_key,
)


def commit_replica(
    tx: Tx,
    hooks: VersionHooks,
    bucket: BucketState,
    key: str,
    *,
    version_id: str,
    last_modified: datetime,
    owner_id: str,
    attrs: ObjectAttributes,
    body: Body,
    delete_marker: bool,
    source_object_lock: bool = False,
    quota: BucketQuota | None = None,
) -> tuple[Version, list[str]]:
    """Insert the replica unless that version is already here; returns it and garbage blobs.
    `source_object_lock`: the source bucket has Object Lock, so this one must have it too
    (AWS: DstBucketObjectLockConfigMissing otherwise); the replica keeps the source's lock.
    `quota`: the bucket's limits, when this transaction read them already."""
    lock_key(tx, bucket.name, key)
    check_replica_destination(bucket, source_object_lock=source_object_lock)
    existing = fetch_version(tx, bucket.name, key, version_id, with_body=False)
    if existing is not None:
        return existing, [s.blob_id for s in body.segments]
    # The destination's quota applies to replicas as to any write (the source records the
    # refusal as DstBucketQuotaExceeded and keeps the version FAILED until re-driven).
    check_write_quota(tx, bucket.name, size=attrs.size, delete_marker=delete_marker, quota=quota)
    latest = fetch_latest(tx, bucket.name, key, with_body=False)
    # A replica that arrives late (retries) must not hide a newer version written meanwhile.
    becomes_latest = latest is None or last_modified >= latest.last_modified
    if becomes_latest and latest is not None:
        tx.execute("UPDATE versions SET is_latest = 0 WHERE seq = ?", (latest.seq,))
    new = insert_version(
        tx,
        bucket=bucket.name,
        key=key,
        version_id=version_id,
        delete_marker=delete_marker,
        last_modified=last_modified,
        owner_id=owner_id,
        attrs=replace(attrs, replication_status=ReplicationStatus.REPLICA),
        body=body,
        is_latest=becomes_latest,
    )
    hooks.run(tx, latest if becomes_latest else None, new, WriteOrigin.REPLICATION)
    return new, []


def check_replica_destination(bucket: BucketState, *, source_object_lock: bool) -> None:
    if bucket.versioning is not VersioningStatus.ENABLED:
        raise DestinationUnversioned(bucket=bucket.name)
    if source_object_lock:
        require_object_lock(bucket)


class Replicas:
    """The destination side of replication: store what another bucket's rule sends here."""

    def __init__(
        self, db: Database, blobs: FileBlobStore, hooks: VersionHooks, clock: Clock
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._hooks = hooks
        self._clock = clock

    async def put(
        self,
        bucket: str,
        key: str,
        payload: Payload,
        *,
        version_id: str,
        last_modified: datetime,
        owner_id: str,
        attrs: ObjectAttributes,
        stored_size: int | None = None,
        source_object_lock: bool = False,
    ) -> Version:
        """Receive the replica's bytes, check them against the source's ETag, commit.

        `stored_size`: the bytes arrive as the source stores them (SSE-C), so their count is
        checked, not their MD5: the ETag is keyed to a data key no region can open."""

        def read(tx: Tx) -> Version | None:
            state, existing = fetch_bucket_and_version(tx, bucket, key, version_id, with_body=False)
            check_replica_destination(state, source_object_lock=source_object_lock)
            if existing is None:
                check_write_quota(tx, bucket, size=attrs.size)  # before a byte is received
            return existing

        existing = await self._db.read(read)
        if existing is not None:
            return existing  # a retried task: the replica is already here, skip the bytes
        body, digest = await self._blobs.write(payload)
        segments = [s.blob_id for s in body.segments]
        if stored_size is not None:
            intact = digest.size == stored_size
        else:
            intact = digest.size == attrs.size and (
                "-" in attrs.etag or digest.md5_hex == attrs.etag
            )
        if not intact:
            self._blobs.delete(segments)
            raise BadReplicaDigest(bucket=bucket, key=key, version_id=version_id)
        return await self._commit(
            bucket, key, version_id, last_modified, owner_id, attrs, body,
            source_object_lock=source_object_lock,
        )  # fmt: skip

    async def put_delete_marker(
        self, bucket: str, key: str, *, version_id: str, last_modified: datetime, owner_id: str
    ) -> Version:
        return await self._commit(
            bucket, key, version_id, last_modified, owner_id, ObjectAttributes(), EMPTY_BODY,
            delete_marker=True,
        )  # fmt: skip

    async def _commit(
        self,
        bucket: str,
        key: str,
        version_id: str,
        last_modified: datetime,
        owner_id: str,
        attrs: ObjectAttributes,
        body: Body,
        *,
        delete_marker: bool = False,
        source_object_lock: bool = False,
    ) -> Version:
        def write(tx: Tx) -> tuple[Version, list[str]]:
            context = fetch_put_context(tx, bucket)  # the bucket and its quota: one statement
            return commit_replica(
                tx, self._hooks, context.state, key, version_id=version_id,
                last_modified=last_modified, owner_id=owner_id, attrs=attrs, body=body,
                delete_marker=delete_marker, source_object_lock=source_object_lock,
                quota=context.quota,
            )  # fmt: skip

        fresh = [s.blob_id for s in body.segments]
        return await commit_with_blobs(self._db, self._blobs, write, fresh)
