"""A bucket's server access logging configuration as stored (column `buckets.logging`: the
BucketLoggingStatus document, NULL when logging is off). What it means — which requests are
logged, where the log objects go — is the trail's (`ferry.events.trail.access_logs`).

The set of buckets with logging on is cached per process; a change made here forgets it at
once, one made by another node of the region is seen within `CACHE_TTL_S`.
"""

from __future__ import annotations

import time

from ferry.store.buckets import fetch_bucket_state
from ferry.store.db import Database, Tx

CACHE_TTL_S = 5.0


class BucketLogging:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._enabled: dict[str, str] | None = None
        self._loaded_at = 0.0

    async def put(self, bucket: str, document: str | None) -> None:
        """Store (or, with None, remove) the bucket's logging document."""

        def update(tx: Tx) -> None:
            fetch_bucket_state(tx, bucket)
            tx.execute("UPDATE buckets SET logging = ? WHERE name = ?", (document, bucket))

        await self._db.write(update)
        if self._enabled is not None:  # this node sees its own change at once
            enabled = dict(self._enabled)
            if document is None:
                enabled.pop(bucket, None)
            else:
                enabled[bucket] = document
            self._enabled = enabled

    async def get(self, bucket: str) -> str | None:
        def fetch(tx: Tx) -> str | None:
            fetch_bucket_state(tx, bucket)
            row = tx.execute("SELECT logging FROM buckets WHERE name = ?", (bucket,)).fetchone()
            return row[0] if row else None

        return await self._db.read(fetch)

    async def enabled(self) -> dict[str, str]:
        """bucket → logging document, of every bucket of the region with logging on."""
        cached = self._enabled
        if cached is not None and time.monotonic() - self._loaded_at < CACHE_TTL_S:
            return cached

        def fetch(tx: Tx) -> dict[str, str]:
            rows = tx.execute(
                "SELECT name, logging FROM buckets WHERE logging IS NOT NULL"
            ).fetchall()
            return {row[0]: row[1] for row in rows}

        found = await self._db.read(fetch)
        self._enabled, self._loaded_at = found, time.monotonic()
        return found

    def is_enabled_cached(self, bucket: str) -> bool:
        """From the cache alone (the request path): False until `enabled` has loaded it."""
        return self._enabled is not None and bucket in self._enabled
