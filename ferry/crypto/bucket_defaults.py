"""Bucket default encryption (Put/Get/DeleteBucketEncryption), stored by the store
(`ferry.store.bucket_encryption`).

The rule applies to writes that name no encryption of their own: PutObject, CopyObject and
CreateMultipartUpload. Without a rule Ferry stores plaintext (docs/encryption.md).
"""

from __future__ import annotations

from ferry.crypto.sse_errors import NoSuchEncryptionConfiguration
from ferry.store import (
    BucketEncryptionDefault,
    Database,
    Tx,
    delete_bucket_encryption,
    fetch_bucket_encryption,
    fetch_bucket_state,
    put_bucket_encryption,
)

__all__ = ["BucketEncryptionDefault", "BucketEncryptionDefaults"]


class BucketEncryptionDefaults:
    """The default encryption rules of one region's buckets."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, bucket: str) -> BucketEncryptionDefault:
        """NoSuchBucket, or NoSuchEncryptionConfiguration for a bucket without a rule."""

        def read(tx: Tx) -> BucketEncryptionDefault:
            fetch_bucket_state(tx, bucket)
            rule = fetch_bucket_encryption(tx, bucket)
            if rule is None:
                raise NoSuchEncryptionConfiguration(bucket=bucket)
            return rule

        return await self._db.read(read)

    async def find(self, bucket: str) -> BucketEncryptionDefault | None:
        return await self._db.read(lambda tx: fetch_bucket_encryption(tx, bucket))

    async def put(self, bucket: str, rule: BucketEncryptionDefault) -> None:
        def write(tx: Tx) -> None:
            fetch_bucket_state(tx, bucket)
            put_bucket_encryption(tx, bucket, rule)

        await self._db.write(write)

    async def delete(self, bucket: str) -> None:
        def write(tx: Tx) -> None:
            fetch_bucket_state(tx, bucket)
            delete_bucket_encryption(tx, bucket)

        await self._db.write(write)
