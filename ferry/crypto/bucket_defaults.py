"""Bucket default encryption (Put/Get/DeleteBucketEncryption), table `bucket_encryption`.

The rule applies to writes that name no encryption of their own: PutObject, CopyObject and
CreateMultipartUpload. Without a rule Ferry stores plaintext (docs/encryption.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from ferry.crypto.sse_errors import NoSuchEncryptionConfiguration
from ferry.store import Database, Tx
from ferry.store.buckets import fetch_bucket_state
from ferry.store.records import EncryptionKind


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketEncryptionDefault:
    """ApplyServerSideEncryptionByDefault (+ BucketKeyEnabled) of a bucket's one rule."""

    algorithm: EncryptionKind  # SSE_S3 or SSE_KMS
    kms_key_id: str | None = None  # KMSMasterKeyID as given (ID, ARN or alias); None: aws/s3
    bucket_key_enabled: bool = False


def fetch_bucket_default(tx: Tx, bucket: str) -> BucketEncryptionDefault | None:
    row = tx.execute(
        "SELECT algorithm, kms_key_id, bucket_key_enabled FROM bucket_encryption WHERE bucket = ?",
        (bucket,),
    ).fetchone()
    if row is None:
        return None
    return BucketEncryptionDefault(
        algorithm=EncryptionKind(row[0]), kms_key_id=row[1], bucket_key_enabled=bool(row[2])
    )


class BucketEncryptionDefaults:
    """The default encryption rules of one region's buckets."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, bucket: str) -> BucketEncryptionDefault:
        """NoSuchBucket, or NoSuchEncryptionConfiguration for a bucket without a rule."""

        def read(tx: Tx) -> BucketEncryptionDefault:
            fetch_bucket_state(tx, bucket)
            rule = fetch_bucket_default(tx, bucket)
            if rule is None:
                raise NoSuchEncryptionConfiguration(bucket=bucket)
            return rule

        return await self._db.read(read)

    async def find(self, bucket: str) -> BucketEncryptionDefault | None:
        return await self._db.read(lambda tx: fetch_bucket_default(tx, bucket))

    async def put(self, bucket: str, rule: BucketEncryptionDefault) -> None:
        def write(tx: Tx) -> None:
            fetch_bucket_state(tx, bucket)
            tx.execute(
                "INSERT INTO bucket_encryption (bucket, algorithm, kms_key_id, bucket_key_enabled)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (bucket) DO UPDATE SET "
                "algorithm = excluded.algorithm, kms_key_id = excluded.kms_key_id, "
                "bucket_key_enabled = excluded.bucket_key_enabled",
                (bucket, rule.algorithm.value, rule.kms_key_id, int(rule.bucket_key_enabled)),
            )

        await self._db.write(write)

    async def delete(self, bucket: str) -> None:
        def write(tx: Tx) -> None:
            fetch_bucket_state(tx, bucket)
            tx.execute("DELETE FROM bucket_encryption WHERE bucket = ?", (bucket,))

        await self._db.write(write)
