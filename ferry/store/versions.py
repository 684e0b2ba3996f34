"""Versioning semantics: commit, read and delete versions exactly as S3 does.

- Enabled: every write mints a new version ID; a delete without version ID adds a delete marker.
- Suspended / never enabled: writes and delete markers take the `null` version ID and replace
  the previous null version; unversioned deletes remove the null version outright.
- Deleting a specific version removes it; if it was the latest, the next newest becomes latest.
Every commit runs the registered VersionHooks inside its transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from ferry.core.clock import Clock, epoch_ms
from ferry.core.ids import NULL_VERSION_ID, new_version_id
from ferry.store.blobs import INLINE_MAX_BYTES, FileBlobStore, Payload, PayloadDigest
from ferry.store.buckets import (
    STATE_COLUMN_COUNT,
    bucket_state_columns,
    bucket_state_from_row,
    fetch_bucket_state,
)
from ferry.store.db import Database, Tx
from ferry.store.errors import (
    DeleteMarkerHit,
    MethodNotAllowedOnDeleteMarker,
    NoSuchBucket,
    NoSuchKey,
    NoSuchVersion,
)
from ferry.store.hooks import VersionHooks, WriteOrigin
from ferry.store.object_lock import (
    Retention,
    check_deletable,
    check_lock_attrs,
    check_retention_change,
    require_object_lock,
    with_default_retention,
    write_lock,
)
from ferry.store.put_context import PutContext, fetch_put_context
from ferry.store.quotas import BucketQuota, check_quota, fetch_quota
from ferry.store.records import (
    EMPTY_BODY,
    VERSION_COLUMNS,
    VERSION_COLUMNS_WITHOUT_BODY,
    Body,
    BucketState,
    Grants,
    ObjectAttributes,
    Pairs,
    VersioningStatus,
    encryption_to_json,
    grants_to_json,
    pairs_to_json,
    segments_to_text,
    version_from_row,
)
from ferry.store.records import Version as Version

T = TypeVar("T")

# A check run inside the commit transaction against the current latest version (If-Match, ...).
WriteCondition = Callable[["Version | None"], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteOutcome:
    version_id: str | None  # the version removed or the delete marker created
    delete_marker: bool  # a marker was created, or the removed version was a marker


def lock_key(tx: Tx, bucket: str, key: str) -> None:
    """Before reading a key's versions to change them: on PostgreSQL, writers of one key take
    turns (READ COMMITTED alone would let two writers each see the other's latest as absent)."""
    tx.lock(f"key/{bucket}/{key}")  # bucket names hold no "/"


def fetch_latest(tx: Tx, bucket: str, key: str, *, with_body: bool = True) -> Version | None:
    columns = VERSION_COLUMNS if with_body else VERSION_COLUMNS_WITHOUT_BODY
    row = tx.execute(
        f"SELECT {columns} FROM versions WHERE bucket = ? AND key = ? AND is_latest = 1",
        (bucket, key),
    ).fetchone()
    return version_from_row(row) if row else None


def fetch_version(
    tx: Tx, bucket: str, key: str, version_id: str, *, with_body: bool = True
) -> Version | None:
    columns = VERSION_COLUMNS if with_body else VERSION_COLUMNS_WITHOUT_BODY
    row = tx.execute(
        f"SELECT {columns} FROM versions WHERE bucket = ? AND key = ? AND version_id = ?",
        (bucket, key, version_id),
    ).fetchone()
    return version_from_row(row) if row else None


def _bucket_and_version_sql(columns: str, which: str) -> str:
    of_v = ", ".join(c if c == "NULL" else f"v.{c}" for c in columns.split(", "))
    return (
        f"SELECT {bucket_state_columns('b')}, {of_v} FROM buckets b "
        f"LEFT JOIN versions v ON v.bucket = b.name AND v.key = ? AND {which} WHERE b.name = ?"
    )


# (with the body, latest) -> SQL
_BUCKET_AND_VERSION = {
    (with_body, latest): _bucket_and_version_sql(
        VERSION_COLUMNS if with_body else VERSION_COLUMNS_WITHOUT_BODY,
        "v.is_latest = 1" if latest else "v.version_id = ?",
    )
    for with_body in (True, False)
    for latest in (True, False)
}


def fetch_bucket_and_version(
    tx: Tx, bucket: str, key: str, version_id: str | None, *, with_body: bool = True
) -> tuple[BucketState, Version | None]:
    """The bucket's state and one version of `key` (the latest without `version_id`), in one
    statement: what a GET reads. NoSuchBucket if the bucket is not in this region."""
    if version_id is None:
        row = tx.execute(_BUCKET_AND_VERSION[with_body, True], (key, bucket)).fetchone()
    else:
        sql = _BUCKET_AND_VERSION[with_body, False]
        row = tx.execute(sql, (key, version_id, bucket)).fetchone()
    if row is None:
        raise NoSuchBucket(bucket=bucket)
    state = bucket_state_from_row(bucket, row)
    version_row = row[STATE_COLUMN_COUNT:]
    return state, (version_from_row(version_row) if version_row[0] is not None else None)


def _garbage(version: Version) -> list[str]:
    return [s.blob_id for s in version.body.segments]


def insert_version(
    tx: Tx,
    *,
    bucket: str,
    key: str,
    version_id: str,
    delete_marker: bool,
    last_modified: datetime,
    owner_id: str,
    attrs: ObjectAttributes,
    body: Body,
    is_latest: bool = True,
) -> Version:
    parts = (
        "[" + ",".join(f"[{p.size},{_json_str(p.checksum_value)}]" for p in attrs.parts) + "]"
        if attrs.parts
        else None
    )
    cursor = tx.execute(
        f"INSERT INTO versions ({VERSION_COLUMNS.removeprefix('seq, ')}) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING seq",
        (
            bucket, key, version_id, int(is_latest), int(delete_marker),
            epoch_ms(last_modified), owner_id,
            attrs.size, attrs.etag, attrs.storage_class,
            pairs_to_json(attrs.content_headers), pairs_to_json(attrs.user_metadata),
            pairs_to_json(attrs.tags), grants_to_json(attrs.acl),
            attrs.checksum_algorithm, attrs.checksum_value, attrs.checksum_type, parts,
            body.inline, segments_to_text(body.segments), attrs.replication_status,
            encryption_to_json(attrs.encryption),
            attrs.lock_mode.value if attrs.lock_mode else None,
            epoch_ms(attrs.lock_until) if attrs.lock_until is not None else None,
            int(attrs.legal_hold),
        ),
    )  # fmt: skip
    seq = int(cursor.fetchone()[0])
    return Version(
        bucket=bucket,
        key=key,
        version_id=version_id,
        seq=seq,
        is_latest=is_latest,
        is_delete_marker=delete_marker,
        last_modified=last_modified,
        owner_id=owner_id,
        attrs=attrs,
        body=body,
    )


def _json_str(value: str | None) -> str:
    return "null" if value is None else '"' + value + '"'


def commit_version(
    tx: Tx,
    hooks: VersionHooks,
    bucket: BucketState,
    key: str,
    *,
    now: datetime,
    owner_id: str,
    attrs: ObjectAttributes,
    body: Body,
    delete_marker: bool = False,
    condition: WriteCondition | None = None,
    counted_bytes: int = 0,
    origin: WriteOrigin = WriteOrigin.CLIENT,
    quota: BucketQuota | None = None,
) -> tuple[Version, list[str]]:
    """Make a new latest version of `key`; returns it and the blob IDs it made garbage.

    `counted_bytes`: bytes of the body already counted against the bucket's quota (the parts
    of a multipart upload being completed). `quota`: the bucket's limits, when this
    transaction read them already (with the bucket, `fetch_put_context`)."""
    lock_key(tx, bucket.name, key)
    old = fetch_latest(tx, bucket.name, key, with_body=False)
    if condition is not None:
        condition(old)
    if not delete_marker:
        check_lock_attrs(bucket, attrs)
        attrs = with_default_retention(bucket, attrs, now)
    garbage: list[str] = []
    previous_null = null_version_replaced(tx, bucket, key, old)
    check_write_quota(
        tx, bucket.name, size=attrs.size, delete_marker=delete_marker, replaced=previous_null,
        counted_bytes=counted_bytes, quota=quota,
    )  # fmt: skip
    if bucket.versioning is VersioningStatus.ENABLED:
        version_id = new_version_id()
    else:
        version_id = NULL_VERSION_ID
        if previous_null is not None:
            tx.execute("DELETE FROM versions WHERE seq = ?", (previous_null.seq,))
            garbage += _garbage(previous_null)
    if old is not None:
        tx.execute("UPDATE versions SET is_latest = 0 WHERE seq = ?", (old.seq,))
    new = insert_version(
        tx,
        bucket=bucket.name,
        key=key,
        version_id=version_id,
        delete_marker=delete_marker,
        last_modified=now,
        owner_id=owner_id,
        attrs=attrs,
        body=body,
    )
    hooks.run(tx, old, new, origin)
    return new, garbage


def null_version_replaced(
    tx: Tx, bucket: BucketState, key: str, latest: Version | None
) -> Version | None:
    """The null version that a write to an unversioned or suspended bucket replaces."""
    if bucket.versioning is VersioningStatus.ENABLED:
        return None
    if latest is None:  # a key with versions always has a latest one: it has none at all
        return None
    if latest.version_id == NULL_VERSION_ID:
        return latest
    return fetch_version(tx, bucket.name, key, NULL_VERSION_ID, with_body=False)


def check_write_quota(
    tx: Tx,
    bucket: str,
    *,
    size: int,
    delete_marker: bool = False,
    replaced: Version | None = None,
    counted_bytes: int = 0,
    quota: BucketQuota | None = None,
) -> None:
    """Refuse a write that would take the bucket over its quota, net of what it replaces."""
    freed_bytes = replaced.size if replaced is not None else 0
    freed_objects = 1 if replaced is not None and not replaced.is_delete_marker else 0
    check_quota(
        tx, bucket,
        added_bytes=(0 if delete_marker else size) - counted_bytes - freed_bytes,
        added_objects=(0 if delete_marker else 1) - freed_objects, quota=quota,
    )  # fmt: skip


def check_put_quota(tx: Tx, bucket: str, key: str, size: int) -> None:
    """Before a body is received: would a `size`-byte write of `key` fit the quota?"""
    if fetch_quota(tx, bucket).is_unlimited:
        return
    state = fetch_bucket_state(tx, bucket)
    latest = fetch_latest(tx, bucket, key, with_body=False)
    replaced = null_version_replaced(tx, state, key, latest)
    check_write_quota(tx, bucket, size=size, replaced=replaced)


def delete_version(
    tx: Tx,
    hooks: VersionHooks,
    bucket: BucketState,
    key: str,
    version_id: str,
    *,
    now: datetime,
    bypass_governance: bool = False,
    origin: WriteOrigin = WriteOrigin.CLIENT,
) -> tuple[DeleteOutcome, list[str]]:
    """Permanently remove one version; promote the next newest if it was the latest. A
    version under Object Lock is refused (store/object_lock.py), in this transaction."""
    lock_key(tx, bucket.name, key)
    victim = fetch_version(tx, bucket.name, key, version_id)
    if victim is None:
        # S3 answers 204 for a version that does not exist.
        return DeleteOutcome(version_id=version_id, delete_marker=False), []
    check_deletable(victim, now, bypass_governance=bypass_governance)
    tx.execute("DELETE FROM versions WHERE seq = ?", (victim.seq,))
    if victim.is_latest:
        row = tx.execute(
            "SELECT seq FROM versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1",
            (bucket.name, key),
        ).fetchone()
        if row is not None:
            tx.execute("UPDATE versions SET is_latest = 1 WHERE seq = ?", (row[0],))
    hooks.run(tx, victim, None, origin)
    return (
        DeleteOutcome(version_id=victim.version_id, delete_marker=victim.is_delete_marker),
        _garbage(victim),
    )


async def commit_with_blobs(
    db: Database,
    blobs: FileBlobStore,
    write: Callable[[Tx], tuple[T, list[str]]],
    fresh: list[str],
) -> T:
    """Run a write that commits `fresh` blobs and may free others: the fresh ones are removed
    if the write fails, the freed ones once it has committed (a crash in between leaves only
    orphans, which the start-up sweeper removes)."""
    try:
        value, garbage = await db.write(write)
    except BaseException:
        blobs.delete(fresh)
        raise
    blobs.delete(garbage)
    return value


class Objects:
    """Object versions of one region: write, read, delete, update tags and ACLs."""

    def __init__(
        self, db: Database, blobs: FileBlobStore, hooks: VersionHooks, clock: Clock
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._hooks = hooks
        self._clock = clock

    @property
    def blobs(self) -> FileBlobStore:
        return self._blobs

    async def bucket(self, name: str) -> BucketState:
        return await self._db.read(lambda tx: fetch_bucket_state(tx, name))

    async def put_context(self, name: str) -> PutContext:
        """The bucket's state, default encryption and quota: what a PUT checks first."""
        return await self._db.read(lambda tx: fetch_put_context(tx, name))

    async def put(
        self,
        bucket: str,
        key: str,
        payload: Payload,
        *,
        owner_id: str,
        attrs: ObjectAttributes,
        condition: WriteCondition | None = None,
        declared_size: int | None = None,
        quota: BucketQuota | None = None,
    ) -> Version:
        """Receive the body durably, then commit the version; nothing visible on failure.

        Callers check the bucket exists first (`bucket()` or `put_context()`), so that a
        request for a missing bucket fails before a byte of its body is read. With
        `declared_size` (Content-Length), a write the bucket's quota cannot take fails before a
        byte is read, too; `quota`, read with the bucket by `put_context()`, spares that
        pre-check when the bucket has none (the commit checks the quota in any case)."""
        if declared_size is not None and (quota is None or not quota.is_unlimited):
            await self._db.read(lambda tx: check_put_quota(tx, bucket, key, declared_size))
        body, digest = await self._blobs.write(payload)
        return await self.commit(
            bucket, key, owner_id=owner_id, attrs=attrs_with_digest(attrs, digest), body=body,
            condition=condition,
        )  # fmt: skip

    async def commit(
        self,
        bucket: str,
        key: str,
        *,
        owner_id: str,
        attrs: ObjectAttributes,
        body: Body,
        delete_marker: bool = False,
        condition: WriteCondition | None = None,
    ) -> Version:
        """Commit a version whose body is already stored; the body is removed if this fails."""
        now = self._clock.now()

        def write(tx: Tx) -> tuple[Version, list[str]]:
            context = fetch_put_context(tx, bucket)  # the bucket and its quota: one statement
            return commit_version(
                tx, self._hooks, context.state, key, now=now, owner_id=owner_id, attrs=attrs,
                body=body, delete_marker=delete_marker, condition=condition, quota=context.quota,
            )  # fmt: skip

        fresh = [s.blob_id for s in body.segments]
        return await commit_with_blobs(self._db, self._blobs, write, fresh)

    async def get(self, bucket: str, key: str, version_id: str | None = None) -> Version:
        """The version a GET would serve; delete markers raise as S3 answers them."""
        version, _ = await self.get_with_bucket(bucket, key, version_id)
        return version

    async def get_with_bucket(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> tuple[Version, BucketState]:
        """As `get`, with the bucket's state read in the same statement."""

        def read(tx: Tx) -> tuple[Version, BucketState]:
            state, version = fetch_bucket_and_version(tx, bucket, key, version_id)
            if version_id is None:
                if version is None:
                    raise NoSuchKey(bucket=bucket, key=key)
                if version.is_delete_marker:
                    raise DeleteMarkerHit(bucket=bucket, key=key, version=version)
                return version, state
            if version is None:
                raise NoSuchVersion(bucket=bucket, key=key, version_id=version_id)
            if version.is_delete_marker:
                raise MethodNotAllowedOnDeleteMarker(bucket=bucket, key=key, version=version)
            return version, state

        return await self._db.read(read)

    async def delete(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        *,
        bypass_governance: bool = False,
    ) -> DeleteOutcome:
        """`bypass_governance`: the caller may delete a version under GOVERNANCE retention."""
        now = self._clock.now()

        def write(tx: Tx) -> tuple[DeleteOutcome, list[str]]:
            bucket_row = fetch_bucket_state(tx, bucket)
            if version_id is not None:
                return delete_version(
                    tx, self._hooks, bucket_row, key, version_id, now=now,
                    bypass_governance=bypass_governance,
                )  # fmt: skip
            if bucket_row.versioning is VersioningStatus.UNVERSIONED:
                current = fetch_version(tx, bucket, key, NULL_VERSION_ID)
                if current is None:
                    return DeleteOutcome(version_id=None, delete_marker=False), []
                _, garbage = delete_version(tx, self._hooks, bucket_row, key, "null", now=now)
                return DeleteOutcome(version_id=None, delete_marker=False), garbage
            marker, garbage = commit_version(
                tx, self._hooks, bucket_row, key, now=now, owner_id=bucket_row.owner_id,
                attrs=ObjectAttributes(), body=EMPTY_BODY, delete_marker=True,
            )  # fmt: skip
            return DeleteOutcome(version_id=marker.version_id, delete_marker=True), garbage

        outcome, garbage = await self._db.write(write)
        self._blobs.delete(garbage)
        return outcome

    async def update_attrs(
        self,
        bucket: str,
        key: str,
        version_id: str | None,
        *,
        tags: Pairs | None = None,
        acl: Grants | None = None,
        origin: WriteOrigin = WriteOrigin.CLIENT,
    ) -> Version:
        """Change a version's tags or ACL in place (S3 does not mint a version for these)."""

        def change(tx: Tx, old: Version) -> ObjectAttributes:
            attrs = old.attrs
            if tags is not None:
                attrs = replace(attrs, tags=tags)
                tx.execute(
                    "UPDATE versions SET tags = ? WHERE seq = ?", (pairs_to_json(tags), old.seq)
                )
            if acl is not None:
                attrs = replace(attrs, acl=acl)
                tx.execute(
                    "UPDATE versions SET acl = ? WHERE seq = ?", (grants_to_json(acl), old.seq)
                )
            return attrs

        return await self._db.write(
            lambda tx: self._change_in_place(tx, bucket, key, version_id, change, origin)
        )

    async def update_lock(
        self,
        bucket: str,
        key: str,
        version_id: str | None,
        *,
        retention: Retention | None = None,
        legal_hold: bool | None = None,
        bypass_governance: bool = False,
        origin: WriteOrigin = WriteOrigin.CLIENT,
    ) -> Version:
        """Change a version's retention (`retention`) or legal hold in place, as S3 does (no
        new version). A replica takes the source's lock as it is (`WriteOrigin.REPLICATION`:
        the source judged the change)."""
        now = self._clock.now()

        def change(tx: Tx, old: Version) -> ObjectAttributes:
            bucket_row = fetch_bucket_state(tx, bucket)
            if origin is not WriteOrigin.REPLICATION:
                require_object_lock(bucket_row)
            attrs = old.attrs
            if retention is not None:
                if origin is not WriteOrigin.REPLICATION:
                    check_retention_change(
                        attrs, retention, now, bypass_governance=bypass_governance
                    )
                attrs = replace(attrs, lock_mode=retention.mode, lock_until=retention.until)
            if legal_hold is not None:
                attrs = replace(attrs, legal_hold=legal_hold)
            write_lock(tx, old.seq, attrs)
            return attrs

        return await self._db.write(
            lambda tx: self._change_in_place(tx, bucket, key, version_id, change, origin)
        )

    def _change_in_place(
        self,
        tx: Tx,
        bucket: str,
        key: str,
        version_id: str | None,
        change: Callable[[Tx, Version], ObjectAttributes],
        origin: WriteOrigin,
    ) -> Version:
        """One version's attributes changed in place; the hooks see old and new (same seq)."""
        fetch_bucket_state(tx, bucket)
        lock_key(tx, bucket, key)
        if version_id is None:
            old = fetch_latest(tx, bucket, key)
            if old is None or old.is_delete_marker:
                raise NoSuchKey(bucket=bucket, key=key)
        else:
            old = fetch_version(tx, bucket, key, version_id)
            if old is None:
                raise NoSuchVersion(bucket=bucket, key=key, version_id=version_id)
            if old.is_delete_marker:
                raise MethodNotAllowedOnDeleteMarker(bucket=bucket, key=key, version=old)
        new = replace(old, attrs=change(tx, old))
        self._hooks.run(tx, old, new, origin)
        return new

    async def version(self, bucket: str, key: str, version_id: str) -> Version | None:
        """One version exactly as stored, delete markers included (for the replicator)."""

        def read(tx: Tx) -> Version | None:
            fetch_bucket_state(tx, bucket)
            return fetch_version(tx, bucket, key, version_id)

        return await self._db.read(read)

    def read_body(
        self, version: Version, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        return self._blobs.read(version.body, start, end)

    async def copy_body(
        self,
        version: Version,
        start: int = 0,
        end: int | None = None,
        *,
        inline_max: int = INLINE_MAX_BYTES,
    ) -> tuple[Body, PayloadDigest]:
        """Store a new copy of (a range of) a version's bytes; returns it with its MD5."""
        source = self._blobs.read(version.body, start, end)
        return await self._blobs.write(_CopyPayload(source), inline_max=inline_max)


def attrs_with_digest(attrs: ObjectAttributes, digest: PayloadDigest) -> ObjectAttributes:
    return replace(
        attrs,
        size=digest.size,
        etag=digest.md5_hex,
        checksum_algorithm=digest.checksum_algorithm,
        checksum_value=digest.checksum_value,
        checksum_type="FULL_OBJECT" if digest.checksum_algorithm else None,
    )


class _CopyPayload:
    """Bytes copied from another version: nothing declared, only the MD5 to compute."""

    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self._md5 = hashlib.md5()
        self._size = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._source

    def update(self, chunk: bytes) -> None:
        self._md5.update(chunk)
        self._size += len(chunk)

    def finish(self) -> PayloadDigest:
        return PayloadDigest(size=self._size, md5_hex=self._md5.hexdigest())
