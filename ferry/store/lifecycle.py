"""What lifecycle keeps in the store and the changes it makes there (table
`bucket_lifecycle`; the rules' meaning is `ferry.lifecycle`'s).

- A bucket's configuration, stored as the document GetBucketLifecycleConfiguration returns,
  parsed once per document for every reader of the process.
- The lifecycle worker's per-bucket checkpoint (`after_key`), written in the transaction whose
  changes it covers.
- The changes lifecycle makes, each inside the caller's transaction and through the version
  hooks with origin LIFECYCLE: expiring a current version (a delete marker, or in an
  unversioned bucket a deletion), deleting a version for good, changing a version's storage
  class, aborting a multipart upload. Usage and quotas follow by the `bucket_usage` triggers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from ferry.core.clock import epoch_ms
from ferry.core.ids import NULL_VERSION_ID
from ferry.protocol.xml.lifecycle import (
    LifecycleConfiguration,
    parse_lifecycle_configuration,
    render_lifecycle_configuration,
)
from ferry.store.buckets import fetch_bucket_state
from ferry.store.db import Database, Tx
from ferry.store.errors import NoSuchLifecycleConfiguration
from ferry.store.hooks import VersionHooks, WriteOrigin
from ferry.store.multipart import _UPLOAD_COLUMNS, _upload_from_row
from ferry.store.records import (
    EMPTY_BODY,
    VERSION_COLUMNS_WITHOUT_BODY,
    BucketState,
    ObjectAttributes,
    Upload,
    Version,
    VersioningStatus,
    version_from_row,
)
from ferry.store.versions import commit_version, delete_version, lock_key

MAX_CACHED_CONFIGURATIONS = 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleProgress:
    """One bucket with a lifecycle configuration, as the worker finds it."""

    bucket: str
    config: LifecycleConfiguration
    after_key: str | None  # None: no pass under way
    pass_started_ms: int | None


@lru_cache(maxsize=MAX_CACHED_CONFIGURATIONS)
def _parsed(document: str, transition_min_size: str) -> LifecycleConfiguration:
    # Frozen all the way down: every caller may share it.
    return parse_lifecycle_configuration(document.encode(), transition_min_size)


def fetch_lifecycle(tx: Tx, bucket: str) -> LifecycleConfiguration | None:
    """None: no such bucket, or no lifecycle configuration on it."""
    row = tx.execute(
        "SELECT document, transition_min_size FROM bucket_lifecycle WHERE bucket = ?", (bucket,)
    ).fetchone()
    return None if row is None else _parsed(str(row[0]), str(row[1]))


def fetch_lifecycle_progress(tx: Tx) -> list[LifecycleProgress]:
    """Every bucket of the region that has a lifecycle configuration, by name."""
    rows = tx.execute(
        "SELECT bucket, document, transition_min_size, after_key, pass_started_ms "
        "FROM bucket_lifecycle ORDER BY bucket"
    ).fetchall()
    return [
        LifecycleProgress(
            bucket=str(r[0]), config=_parsed(str(r[1]), str(r[2])),
            after_key=r[3], pass_started_ms=None if r[4] is None else int(r[4]),
        )
        for r in rows
    ]  # fmt: skip


def set_lifecycle_progress(
    tx: Tx, bucket: str, *, after_key: str | None, pass_started_ms: int | None
) -> None:
    tx.execute(
        "UPDATE bucket_lifecycle SET after_key = ?, pass_started_ms = ? WHERE bucket = ?",
        (after_key, pass_started_ms, bucket),
    )


def scan_keys(tx: Tx, bucket: str, after_key: str | None, limit: int) -> list[str]:
    """The next `limit` keys of `bucket` after `after_key` (None: from the first), in order."""
    rows = tx.execute(
        "SELECT DISTINCT key FROM versions WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?",
        (bucket, after_key or "", limit),
    ).fetchall()
    return [str(r[0]) for r in rows]


def fetch_key_versions(tx: Tx, bucket: str, key: str) -> list[Version]:
    """Every version and delete marker of `key` (bodies left out), newest first. Taking the
    key's lock first: what is judged is what will be changed."""
    lock_key(tx, bucket, key)
    rows = tx.execute(
        f"SELECT {VERSION_COLUMNS_WITHOUT_BODY} FROM versions WHERE bucket = ? AND key = ? "
        "ORDER BY seq DESC",
        (bucket, key),
    ).fetchall()
    return [version_from_row(r) for r in rows]


def expire_current(
    tx: Tx, hooks: VersionHooks, bucket: BucketState, key: str, *, now: datetime
) -> list[str]:
    """Expiration of the current version: a delete marker (versioning enabled or suspended),
    or, in a bucket never versioned, the object deleted. Returns the blobs made garbage."""
    if bucket.versioning is VersioningStatus.UNVERSIONED:
        _, garbage = delete_version(
            tx, hooks, bucket, key, NULL_VERSION_ID, now=now, origin=WriteOrigin.LIFECYCLE
        )
        return garbage
    _, garbage = commit_version(
        tx, hooks, bucket, key, now=now, owner_id=bucket.owner_id, attrs=ObjectAttributes(),
        body=EMPTY_BODY, delete_marker=True, origin=WriteOrigin.LIFECYCLE,
    )  # fmt: skip
    return garbage


def delete_version_for_good(
    tx: Tx, hooks: VersionHooks, bucket: BucketState, version: Version, *, now: datetime
) -> list[str]:
    """A noncurrent version or an expired delete marker, removed permanently (a version under
    Object Lock is refused by `delete_version`; lifecycle skips those before asking)."""
    _, garbage = delete_version(
        tx, hooks, bucket, version.key, version.version_id, now=now,
        origin=WriteOrigin.LIFECYCLE,
    )  # fmt: skip
    return garbage


def set_storage_class(tx: Tx, hooks: VersionHooks, version: Version, storage_class: str) -> None:
    """A transition: the version keeps its bytes and ID, and reports `storage_class`."""
    tx.execute("UPDATE versions SET storage_class = ? WHERE seq = ?", (storage_class, version.seq))
    new = replace(version, attrs=replace(version.attrs, storage_class=storage_class))
    hooks.run(tx, version, new, WriteOrigin.LIFECYCLE)


def fetch_stale_uploads(
    tx: Tx, bucket: str, *, initiated_before: datetime, limit: int
) -> list[Upload]:
    """Uploads of `bucket` in progress since before `initiated_before`, oldest first."""
    rows = tx.execute(
        f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE bucket = ? AND initiated_ms < ? "
        "ORDER BY initiated_ms, upload_id LIMIT ?",
        (bucket, epoch_ms(initiated_before), limit),
    ).fetchall()
    return [_upload_from_row(r) for r in rows]


def abort_upload(tx: Tx, upload_id: str) -> list[str]:
    """Remove an upload and its parts; returns the parts' blobs to delete after the commit."""
    blobs = [
        str(r[0]) for r in tx.execute("SELECT blob_id FROM parts WHERE upload_id = ?", (upload_id,))
    ]
    tx.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))
    return blobs


class BucketLifecycle:
    """Put/Get/DeleteBucketLifecycleConfiguration's store, and a short-lived cache of each
    bucket's configuration for the x-amz-expiration header of object reads and writes (this
    process's changes clear it at once; another node's show within CACHE_TTL_S)."""

    CACHE_TTL_S = 2.0

    def __init__(
        self,
        db: Database,
        on_change: Callable[[], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._on_change = on_change  # the region's lifecycle worker: look now
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, LifecycleConfiguration | None]] = {}

    def _changed(self, bucket: str) -> None:
        self._cache.pop(bucket, None)
        if self._on_change is not None:
            self._on_change()

    async def cached(self, bucket: str) -> LifecycleConfiguration | None:
        """The configuration, as of at most CACHE_TTL_S ago (None: none)."""
        now = self._monotonic()
        hit = self._cache.get(bucket)
        if hit is not None and now - hit[0] < self.CACHE_TTL_S:
            return hit[1]
        config = await self._db.read(lambda tx: fetch_lifecycle(tx, bucket))
        if len(self._cache) >= MAX_CACHED_CONFIGURATIONS:
            self._cache.clear()
        self._cache[bucket] = (now, config)
        return config

    async def put(self, bucket: str, config: LifecycleConfiguration) -> None:
        document = render_lifecycle_configuration(config).decode()

        def write(tx: Tx) -> None:
            fetch_bucket_state(tx, bucket)
            tx.execute(
                "INSERT INTO bucket_lifecycle (bucket, document, transition_min_size) "
                "VALUES (?, ?, ?) ON CONFLICT (bucket) DO UPDATE SET "
                "document = excluded.document, transition_min_size = excluded.transition_min_size",
                (bucket, document, config.transition_min_size),
            )

        await self._db.write(write)
        self._changed(bucket)

    async def find(self, bucket: str) -> LifecycleConfiguration | None:
        """None: the bucket has no lifecycle configuration."""

        def read(tx: Tx) -> LifecycleConfiguration | None:
            fetch_bucket_state(tx, bucket)
            return fetch_lifecycle(tx, bucket)

        return await self._db.read(read)

    async def get(self, bucket: str) -> LifecycleConfiguration:
        config = await self.find(bucket)
        if config is None:
            raise NoSuchLifecycleConfiguration(bucket=bucket)
        return config

    async def delete(self, bucket: str) -> None:
        def write(tx: Tx) -> None:
            fetch_bucket_state(tx, bucket)
            tx.execute("DELETE FROM bucket_lifecycle WHERE bucket = ?", (bucket,))

        await self._db.write(write)
        self._changed(bucket)
