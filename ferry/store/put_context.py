"""What a PUT needs of its bucket before the body arrives, read in one statement.

The bucket's state (NoSuchBucket before a byte of the body is read), its default encryption
rule and its quota, which the PUT path otherwise read in three round trips to the database.
Read before the body, the quota only decides whether a pre-check is worth making; the commit
reads the context again inside its transaction and judges the quota there."""

from __future__ import annotations

from dataclasses import dataclass

from ferry.store.bucket_encryption import BucketEncryptionDefault
from ferry.store.buckets import STATE_COLUMN_COUNT, bucket_state_columns, bucket_state_from_row
from ferry.store.db import Tx
from ferry.store.errors import NoSuchBucket
from ferry.store.quotas import BucketQuota
from ferry.store.records import BucketState, EncryptionKind

_SQL = (
    f"SELECT {bucket_state_columns('b')}, q.max_bytes, q.max_objects, "
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
    state = bucket_state_from_row(name, row)
    max_bytes, max_objects, algorithm, kms_key_id, bucket_key = row[STATE_COLUMN_COUNT:]
    encryption = (
        None
        if algorithm is None
        else BucketEncryptionDefault(
            algorithm=EncryptionKind(algorithm),
            kms_key_id=kms_key_id,
            bucket_key_enabled=bool(bucket_key),
        )
    )
    return PutContext(
        state=state,
        encryption=encryption,
        quota=BucketQuota(max_bytes=max_bytes, max_objects=max_objects),
    )
