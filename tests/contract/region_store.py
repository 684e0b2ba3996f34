"""One region's store facades over a contract test's database: what the S3 handlers call."""

from __future__ import annotations

from pathlib import Path

from ferry.api.body import BytesPayload
from ferry.core.clock import FakeClock
from ferry.store import (
    Buckets,
    Database,
    FileBlobStore,
    Listings,
    ObjectAttributes,
    Objects,
    Quotas,
    Replicas,
    Uploads,
    Version,
    VersionHooks,
    VersioningStatus,
)
from tests.contract.engines import LinedUp, rendezvous

REGION = "us-east-1"
OWNER = "o" * 64
ENABLED, SUSPENDED = VersioningStatus.ENABLED, VersioningStatus.SUSPENDED


class RegionStore:
    def __init__(self, db: Database, blob_root: Path) -> None:
        self.db = db
        self.blob_root = blob_root
        self.clock = FakeClock()
        self.blobs = FileBlobStore(blob_root)
        hooks = VersionHooks()
        self.buckets = Buckets(db, self.clock, REGION)
        self.objects = Objects(db, self.blobs, hooks, self.clock)
        self.uploads = Uploads(db, self.blobs, hooks, self.clock)
        self.replicas = Replicas(db, self.blobs, hooks, self.clock)
        self.listings = Listings(db)
        self.quotas = Quotas(db)

    def racing(self, engine: str, parties: int) -> RegionStore:
        """The same store, its write transactions lined up `parties` at a time at their worst
        interleaving (`engines.LinedUp`). At most 16 parties: PostgreSQL's pool size."""
        return RegionStore(LinedUp(self.db, rendezvous(engine, parties)), self.blob_root)

    async def bucket(self, name: str = "b", *, versioning: VersioningStatus | None = None) -> str:
        await self.buckets.create(name, OWNER, ())
        if versioning is not None:
            await self.buckets.set_versioning(name, versioning)
        return name

    async def put(self, bucket: str, key: str, data: bytes, *, declared: bool = False) -> Version:
        return await self.objects.put(
            bucket, key, BytesPayload(data), owner_id=OWNER, attrs=ObjectAttributes(),
            declared_size=len(data) if declared else None,
        )  # fmt: skip

    async def read(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        version = await self.objects.get(bucket, key, version_id)
        return b"".join([chunk async for chunk in self.objects.read_body(version)])
