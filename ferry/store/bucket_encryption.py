"""A bucket's default encryption rule as stored (table `bucket_encryption`, gone with the
bucket). What the rule means for writes is crypto's (`ferry.crypto.bucket_defaults`)."""

from __future__ import annotations

from dataclasses import dataclass

from ferry.store.db import Tx
from ferry.store.records import EncryptionKind


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketEncryptionDefault:
    """ApplyServerSideEncryptionByDefault (+ BucketKeyEnabled) of a bucket's one rule."""

    algorithm: EncryptionKind  # SSE_S3 or SSE_KMS
    kms_key_id: str | None = None  # KMSMasterKeyID as given (ID, ARN or alias); None: aws/s3
    bucket_key_enabled: bool = False


def fetch_bucket_encryption(tx: Tx, bucket: str) -> BucketEncryptionDefault | None:
    row = tx.execute(
        "SELECT algorithm, kms_key_id, bucket_key_enabled FROM bucket_encryption WHERE bucket = ?",
        (bucket,),
    ).fetchone()
    if row is None:
        return None
    return BucketEncryptionDefault(
        algorithm=EncryptionKind(row[0]), kms_key_id=row[1], bucket_key_enabled=bool(row[2])
    )


def put_bucket_encryption(tx: Tx, bucket: str, rule: BucketEncryptionDefault) -> None:
    tx.execute(
        "INSERT INTO bucket_encryption (bucket, algorithm, kms_key_id, bucket_key_enabled)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (bucket) DO UPDATE SET "
        "algorithm = excluded.algorithm, kms_key_id = excluded.kms_key_id, "
        "bucket_key_enabled = excluded.bucket_key_enabled",
        (bucket, rule.algorithm.value, rule.kms_key_id, int(rule.bucket_key_enabled)),
    )


def delete_bucket_encryption(tx: Tx, bucket: str) -> None:
    tx.execute("DELETE FROM bucket_encryption WHERE bucket = ?", (bucket,))
