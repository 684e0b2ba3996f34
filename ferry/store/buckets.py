"""Bucket lifecycle and bucket-level settings: versioning, tags, ACL, replication document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ferry.core.clock import Clock, epoch_ms, from_epoch_ms
from ferry.store.db import Database, Tx
from ferry.store.errors import (
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    InvalidBucketAclWithObjectOwnership,
    InvalidBucketState,
    NoSuchBucket,
    NoSuchBucketPolicy,
    NoSuchTagSet,
    ObjectLockConfigurationNotFound,
    VersioningNotEnabled,
)
from ferry.store.records import (
    Bucket,
    BucketAccess,
    BucketObjectLock,
    BucketState,
    Grants,
    ObjectOwnership,
    Pairs,
    PublicAccessBlock,
    VersioningStatus,
    grants_from_json,
    grants_to_json,
    object_lock_from_json,
    object_lock_to_json,
    pairs_from_json,
    pairs_to_json,
)

_COLUMNS = "name, owner_id, region, created_ms, versioning, acl, tags, replication"
_REPLICATION_BLOCKS_SUSPEND = (
    "A replication configuration is present on this bucket, so you cannot change the "
    "versioning state. To change the versioning state, first delete the replication "
    "configuration."
)

_OBJECT_LOCK_BLOCKS_SUSPEND = (
    "An Object Lock configuration is present on this bucket, so the versioning state cannot "
    "be changed."
)
_OBJECT_LOCK_NEEDS_VERSIONING = (
    "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
)


def _bucket_from_row(row: Any) -> Bucket:
    return Bucket(
        name=row[0],
        owner_id=row[1],
        region=row[2],
        created=from_epoch_ms(row[3]),
        versioning=VersioningStatus(row[4]),
        acl=grants_from_json(row[5]),
        tags=pairs_from_json(row[6]) if row[6] is not None else None,
        replication=row[7],
    )


def fetch_bucket(tx: Tx, name: str) -> Bucket:
    row = tx.execute(f"SELECT {_COLUMNS} FROM buckets WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NoSuchBucket(bucket=name)
    return _bucket_from_row(row)


# One place says what a BucketState reads; every statement that reads one uses it.
_STATE_COLUMNS = ("owner_id", "region", "versioning", "created_ms", "object_lock")
STATE_COLUMN_COUNT = len(_STATE_COLUMNS)


def fetch_bucket_state(tx: Tx, name: str) -> BucketState:
    state = find_bucket_state(tx, name)
    if state is None:
        raise NoSuchBucket(bucket=name)
    return state


def bucket_state_columns(alias: str = "") -> str:
    """The columns of `buckets` a BucketState is made of (`alias`: the table's name in a
    join), for statements that read them with other things (`bucket_state_from_row`)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + c for c in _STATE_COLUMNS)


def bucket_state_from_row(name: str, row: Sequence[Any]) -> BucketState:
    """A BucketState from the first columns of `row`, read as `bucket_state_columns` says."""
    return BucketState(
        name=name,
        owner_id=row[0],
        region=row[1],
        versioning=VersioningStatus(row[2]),
        incarnation=int(row[3]),
        object_lock=object_lock_from_json(row[4]),
    )


def find_bucket_state(tx: Tx, name: str) -> BucketState | None:
    """None: no such bucket in this region."""
    row = tx.execute(
        f"SELECT {bucket_state_columns()} FROM buckets WHERE name = ?", (name,)
    ).fetchone()
    return None if row is None else bucket_state_from_row(name, row)


def fetch_bucket_access(tx: Tx, name: str) -> BucketAccess:
    row = tx.execute(
        "SELECT owner_id, policy, acl, object_ownership, public_access_block, cors "
        "FROM buckets WHERE name = ?",
        (name,),
    ).fetchone()
    if row is None:
        raise NoSuchBucket(bucket=name)
    return BucketAccess(
        name=name,
        owner_id=row[0],
        policy=row[1],
        acl=grants_from_json(row[2]),
        object_ownership=ObjectOwnership(row[3]) if row[3] is not None else None,
        public_access_block=PublicAccessBlock.from_json(row[4]) if row[4] is not None else None,
        cors=row[5],
    )


class Buckets:
    """The buckets of one region."""

    def __init__(self, db: Database, clock: Clock, region: str) -> None:
        self._db = db
        self._clock = clock
        self._region = region
        # Owner and policy of each bucket, read on every authorised request. Only this object
        # (one per region process) writes them; `_access_generation` keeps a read that raced
        # a write from caching what the write replaced.
        self._access: dict[str, BucketAccess] = {}
        self._access_generation = 0

    async def create(
        self,
        name: str,
        owner_id: str,
        acl: Grants,
        *,
        object_lock: bool = False,
        object_ownership: ObjectOwnership | None = ObjectOwnership.BUCKET_OWNER_ENFORCED,
        public_access_block: PublicAccessBlock | None = None,
    ) -> Bucket:
        """`object_lock`: created with Object Lock (x-amz-bucket-object-lock-enabled), which
        turns versioning on for good, in the same transaction."""
        now = self._clock.now()
        ownership = object_ownership.value if object_ownership is not None else None
        block = public_access_block.to_json() if public_access_block is not None else None

        def create(tx: Tx) -> Bucket:
            row = tx.execute("SELECT owner_id FROM buckets WHERE name = ?", (name,)).fetchone()
            if row is not None:
                raise BucketAlreadyOwnedByYou(bucket=name)
            tx.execute(
                f"INSERT INTO buckets ({_COLUMNS}, object_lock, object_ownership, "
                "public_access_block) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)",
                (
                    name, owner_id, self._region, epoch_ms(now),
                    VersioningStatus.ENABLED.value if object_lock else "", grants_to_json(acl),
                    object_lock_to_json(BucketObjectLock()) if object_lock else None,
                    ownership, block,
                ),
            )  # fmt: skip
            return fetch_bucket(tx, name)

        bucket = await self._db.write(create)
        self._forget_access(name)
        return bucket

    async def get(self, name: str) -> Bucket:
        return await self._db.read(lambda tx: fetch_bucket(tx, name))

    async def list_all(self) -> list[Bucket]:
        def list_all(tx: Tx) -> list[Bucket]:
            rows = tx.execute(f"SELECT {_COLUMNS} FROM buckets ORDER BY name").fetchall()
            return [_bucket_from_row(r) for r in rows]

        return await self._db.read(list_all)

    async def delete(self, name: str) -> list[str]:
        """Delete an empty bucket; returns blob IDs of abandoned multipart parts to remove."""

        def delete(tx: Tx) -> list[str]:
            fetch_bucket(tx, name)
            if tx.execute("SELECT 1 FROM versions WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                raise BucketNotEmpty(bucket=name)
            blobs = [
                r[0]
                for r in tx.execute(
                    "SELECT p.blob_id FROM parts p JOIN uploads u USING (upload_id) "
                    "WHERE u.bucket = ?",
                    (name,),
                )
            ]
            tx.execute("DELETE FROM uploads WHERE bucket = ?", (name,))
            tx.execute("DELETE FROM buckets WHERE name = ?", (name,))
            return blobs

        blobs = await self._db.write(delete)
        self._forget_access(name)
        return blobs

    async def set_versioning(self, name: str, status: VersioningStatus) -> None:
        if status is VersioningStatus.UNVERSIONED:
            raise InvalidBucketState(bucket=name)

        def update(tx: Tx) -> None:
            bucket = fetch_bucket(tx, name)
            if status is VersioningStatus.SUSPENDED and bucket.replication is not None:
                raise InvalidBucketState(_REPLICATION_BLOCKS_SUSPEND, bucket=name)
            if status is VersioningStatus.SUSPENDED and fetch_bucket_state(tx, name).object_lock:
                raise InvalidBucketState(_OBJECT_LOCK_BLOCKS_SUSPEND, bucket=name)
            tx.execute("UPDATE buckets SET versioning = ? WHERE name = ?", (status.value, name))

        await self._db.write(update)

    async def set_tags(self, name: str, tags: Pairs | None) -> None:
        def update(tx: Tx) -> None:
            fetch_bucket(tx, name)
            value = pairs_to_json(tags) if tags is not None else None
            tx.execute("UPDATE buckets SET tags = ? WHERE name = ?", (value, name))

        await self._db.write(update)

    async def get_tags(self, name: str) -> Pairs:
        bucket = await self.get(name)
        if bucket.tags is None:
            raise NoSuchTagSet(bucket=name)
        return bucket.tags

    async def set_acl(self, name: str, acl: Grants) -> None:
        def update(tx: Tx) -> None:
            fetch_bucket(tx, name)
            tx.execute("UPDATE buckets SET acl = ? WHERE name = ?", (grants_to_json(acl), name))

        await self._db.write(update)
        self._forget_access(name)

    async def set_replication(self, name: str, document: str | None) -> None:
        """Store (or, with None, remove) the bucket's replication document. A document needs
        versioning Enabled, checked in the same transaction as the write."""

        def update(tx: Tx) -> None:
            bucket = fetch_bucket(tx, name)
            if document is not None and bucket.versioning is not VersioningStatus.ENABLED:
                raise VersioningNotEnabled(bucket=name)
            tx.execute("UPDATE buckets SET replication = ? WHERE name = ?", (document, name))

        await self._db.write(update)

    async def set_object_lock(self, name: str, lock: BucketObjectLock) -> None:
        """Enable Object Lock (AWS allows it on an existing bucket whose versioning is Enabled)
        or replace its default retention; it is never disabled."""

        def update(tx: Tx) -> None:
            state = fetch_bucket_state(tx, name)
            if state.object_lock is None and state.versioning is not VersioningStatus.ENABLED:
                raise InvalidBucketState(_OBJECT_LOCK_NEEDS_VERSIONING, bucket=name)
            tx.execute(
                "UPDATE buckets SET object_lock = ? WHERE name = ?",
                (object_lock_to_json(lock), name),
            )

        await self._db.write(update)

    async def get_object_lock(self, name: str) -> BucketObjectLock:
        state = await self._db.read(lambda tx: fetch_bucket_state(tx, name))
        if state.object_lock is None:
            raise ObjectLockConfigurationNotFound(bucket=name)
        return state.object_lock

    async def get_replication(self, name: str) -> str | None:
        """The replication document, or None when the bucket has none."""
        return (await self.get(name)).replication

    async def get_access(self, name: str) -> BucketAccess:
        """Owner and policy: what every authorised request needs; cached (see __init__)."""
        cached = self._access.get(name)
        if cached is not None:
            return cached
        generation = self._access_generation
        access = await self._db.read(lambda tx: fetch_bucket_access(tx, name))
        if generation == self._access_generation:
            self._access[name] = access
        return access

    def _forget_access(self, name: str) -> None:
        self._access_generation += 1
        self._access.pop(name, None)

    async def set_policy(self, name: str, document: str | None) -> None:
        """Store (or, with None, remove) the bucket policy document, exactly as given."""

        def update(tx: Tx) -> None:
            fetch_bucket_state(tx, name)
            tx.execute("UPDATE buckets SET policy = ? WHERE name = ?", (document, name))

        await self._db.write(update)
        self._forget_access(name)

    async def get_policy(self, name: str) -> str:
        document = (await self.get_access(name)).policy
        if document is None:
            raise NoSuchBucketPolicy(bucket=name)
        return document

    async def set_object_ownership(
        self, name: str, ownership: ObjectOwnership | None, *, reset_acl: Grants | None = None
    ) -> None:
        """Set (None: delete) OwnershipControls. `reset_acl`: a bucket ACL to check first when
        disabling ACLs: the stored ACL must grant no more than it (else AWS's refusal)."""

        def update(tx: Tx) -> None:
            bucket = fetch_bucket(tx, name)
            if reset_acl is not None and not set(bucket.acl) <= set(reset_acl):
                raise InvalidBucketAclWithObjectOwnership(bucket=name)
            value = ownership.value if ownership is not None else None
            tx.execute("UPDATE buckets SET object_ownership = ? WHERE name = ?", (value, name))

        await self._db.write(update)
        self._forget_access(name)

    async def set_public_access_block(self, name: str, block: PublicAccessBlock | None) -> None:
        value = block.to_json() if block is not None else None
        await self._set_access_column(name, "public_access_block", value)

    async def set_cors(self, name: str, document: str | None) -> None:
        await self._set_access_column(name, "cors", document)

    async def _set_access_column(self, name: str, column: str, value: str | None) -> None:
        def update(tx: Tx) -> None:
            fetch_bucket_state(tx, name)
            tx.execute(f"UPDATE buckets SET {column} = ? WHERE name = ?", (value, name))

        await self._db.write(update)
        self._forget_access(name)
