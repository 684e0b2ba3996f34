"""Bucket quotas: hard limits on what a bucket holds, and its usage (docs/quotas.md).

Usage is kept by triggers on `versions` (migration 0010) inside the transaction that commits or
removes a version, so it is exact whatever wrote the version. A write is checked twice:
before its body is received, when its size is declared (so a full bucket cannot fill the disk),
and again inside the commit transaction, where writers are serialised (so concurrent writers
cannot overshoot). Only writes that make the bucket hold more are refused: deleting, and
writes that free as much as they add, always pass, even over a quota lowered below usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ferry.store.buckets import fetch_bucket
from ferry.store.db import Database, Tx
from ferry.store.errors import BucketQuotaExceeded, InvalidArgument


class QuotaLimit(StrEnum):
    BYTES = "bytes"
    OBJECTS = "objects"


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketQuota:
    """Hard limits; None: no limit of that kind."""

    max_bytes: int | None = None
    max_objects: int | None = None

    @property
    def is_unlimited(self) -> bool:
        return self.max_bytes is None and self.max_objects is None


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketUsage:
    stored_bytes: int = 0  # every version's bytes, noncurrent ones included
    objects: int = 0  # versions that are not delete markers
    upload_bytes: int = 0  # parts of multipart uploads in progress

    @property
    def total_bytes(self) -> int:
        """What the byte quota limits: all the bytes the bucket holds on disk."""
        return self.stored_bytes + self.upload_bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaStatus:
    bucket: str
    quota: BucketQuota
    usage: BucketUsage


def exceeded_limit(
    quota: BucketQuota, usage: BucketUsage, *, added_bytes: int, added_objects: int
) -> QuotaLimit | None:
    """The limit a write adding `added_*` (net of what it frees) would break, if any."""
    if (
        added_bytes > 0
        and quota.max_bytes is not None
        and usage.total_bytes + added_bytes > quota.max_bytes
    ):
        return QuotaLimit.BYTES
    if (
        added_objects > 0
        and quota.max_objects is not None
        and usage.objects + added_objects > quota.max_objects
    ):
        return QuotaLimit.OBJECTS
    return None


def fetch_quota(tx: Tx, bucket: str) -> BucketQuota:
    row = tx.execute(
        "SELECT max_bytes, max_objects FROM bucket_quotas WHERE bucket = ?", (bucket,)
    ).fetchone()
    return BucketQuota(max_bytes=row[0], max_objects=row[1]) if row else BucketQuota()


def fetch_usage(tx: Tx, bucket: str) -> BucketUsage:
    row = tx.execute(
        "SELECT bytes, objects FROM bucket_usage WHERE bucket = ?", (bucket,)
    ).fetchone()
    # Summed when needed rather than kept: parts change hands at completion, and a bucket
    # with a quota rarely has many uploads in progress.
    uploading = tx.execute(
        "SELECT COALESCE(SUM(p.size), 0) FROM parts p JOIN uploads u USING (upload_id) "
        "WHERE u.bucket = ?",
        (bucket,),
    ).fetchone()[0]
    stored, objects = (row[0], row[1]) if row else (0, 0)
    return BucketUsage(stored_bytes=stored, objects=objects, upload_bytes=uploading)


def check_quota(
    tx: Tx,
    bucket: str,
    *,
    added_bytes: int,
    added_objects: int = 0,
    quota: BucketQuota | None = None,
) -> None:
    """Raise BucketQuotaExceeded if a write adding this much (net) would break a limit.
    `quota`: the bucket's limits, when this transaction read them already."""
    if added_bytes <= 0 and added_objects <= 0:
        return
    if quota is None:
        quota = fetch_quota(tx, bucket)
    if quota.is_unlimited:
        return
    # Writers to a bucket with a quota take turns, so that two cannot both fit the last room.
    tx.lock(f"quota/{bucket}")
    usage = fetch_usage(tx, bucket)
    limit = exceeded_limit(quota, usage, added_bytes=added_bytes, added_objects=added_objects)
    match limit:
        case None:
            return
        case QuotaLimit.BYTES:
            message = (
                f"Bucket quota exceeded: {added_bytes} more bytes would exceed the bucket's "
                f"limit of {quota.max_bytes} bytes ({usage.total_bytes} used)"
            )
        case QuotaLimit.OBJECTS:
            message = (
                f"Bucket quota exceeded: the bucket's limit of {quota.max_objects} objects "
                f"is reached ({usage.objects} stored)"
            )
    raise BucketQuotaExceeded(message, bucket=bucket, limit=limit.value)


def validate_quota(quota: BucketQuota) -> None:
    for name, value in (("max_bytes", quota.max_bytes), ("max_objects", quota.max_objects)):
        if value is not None and value < 0:
            raise InvalidArgument(
                f"{name} must not be negative", argument_name=name, argument_value=str(value)
            )
    if quota.is_unlimited:
        raise InvalidArgument("A quota needs max_bytes, max_objects or both")


class Quotas:
    """Bucket quotas of one region: set, read and clear limits; read usage."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def status(self, bucket: str) -> QuotaStatus:
        def read(tx: Tx) -> QuotaStatus:
            fetch_bucket(tx, bucket)
            return QuotaStatus(
                bucket=bucket, quota=fetch_quota(tx, bucket), usage=fetch_usage(tx, bucket)
            )

        return await self._db.read(read)

    async def set(self, bucket: str, quota: BucketQuota) -> QuotaStatus:
        """Replace the bucket's limits. A limit below current usage is allowed: from then on
        the bucket only shrinks until it is under the limit again (as MinIO does)."""
        validate_quota(quota)

        def write(tx: Tx) -> QuotaStatus:
            fetch_bucket(tx, bucket)
            tx.execute(
                "INSERT INTO bucket_quotas (bucket, max_bytes, max_objects) VALUES (?, ?, ?) "
                "ON CONFLICT (bucket) DO UPDATE SET max_bytes = excluded.max_bytes, "
                "max_objects = excluded.max_objects",
                (bucket, quota.max_bytes, quota.max_objects),
            )
            return QuotaStatus(bucket=bucket, quota=quota, usage=fetch_usage(tx, bucket))

        return await self._db.write(write)

    async def clear(self, bucket: str) -> QuotaStatus:
        def write(tx: Tx) -> QuotaStatus:
            fetch_bucket(tx, bucket)
            tx.execute("DELETE FROM bucket_quotas WHERE bucket = ?", (bucket,))
            return QuotaStatus(bucket=bucket, quota=BucketQuota(), usage=fetch_usage(tx, bucket))

        return await self._db.write(write)
