"""What a PUT needs of its bucket before the body arrives, read in one statement.

The bucket's state (NoSuchBucket before a byte of the body is read), its default encryption
rule and its quota, which the PUT path otherwise read in three round trips to the database.
Read before the body, the quota only decides whether a pre-check is worth making; the commit
reads the context again inside its transaction and judges the quota there."""

from __future__ import annotations

from dataclasses import dataclass

from ferry.store.bucket_encryption import BucketEncryptionDefault
from ferry.store.db import Tx
from ferry.store.errors import NoSuchBucket
from ferry.store.quotas import BucketQuota
from ferry.store.records import BucketState, EncryptionKind, VersioningStatus

_SQL = (
    "SELECT b.owner_id, b.region, b.versioning, b.created_ms, q.max_bytes, q.max_objects, "
    "e.algorithm, e.kms_key_id, e.bucket_key_enabled FROM buckets b "
    "LEFT JOIN bucket_quotas q ON q.bucket = b.name "
    "LEFT JOIN bucket_encryption e ON e.bucket = b.name WHERE b.name = ?"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PutContext:
    state: BucketState
    encryption: BucketEncryptionDefault | None
    quota: BucketQuota


def fetch_put_context(tx: Tx, name: str) -> PutContext:
    row = tx.execute(_SQL, (name,)).fetchone()
    if row is None:
        raise NoSuchBucket(bucket=name)
    state = BucketState(
        name=name,
        owner_id=row[0],
        region=row[1],
        versioning=VersioningStatus(row[2]),
        incarnation=int(row[3]),
    )
    encryption = (
        None
        if row[6] is None
        else BucketEncryptionDefault(
            algorithm=EncryptionKind(row[6]), kms_key_id=row[7], bucket_key_enabled=bool(row[8])
        )
    )
    return PutContext(
        state=state, encryption=encryption, quota=BucketQuota(max_bytes=row[4], max_objects=row[5])
    )
