"""Composition root: builds one region's services and its ASGI app. The only module that
instantiates concrete implementations."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ferry.api.app import S3App
from ferry.api.auth import Principal
from ferry.api.context import Services
from ferry.config import RegionConfig, RootCredentials
from ferry.core.clock import Clock, SystemClock
from ferry.core.secret import Secret
from ferry.store import (
    Buckets,
    FileBlobStore,
    Listings,
    Objects,
    SqliteDatabase,
    Uploads,
    VersionHooks,
    sweep_orphaned_blobs,
)

log = logging.getLogger("ferry.region")


class RootKeys:
    """The deployment's root credentials: the only key pair until IAM arrives."""

    def __init__(self, root: RootCredentials) -> None:
        self._root = root
        self._principal = Principal(
            access_key=root.access_key,
            account_id=root.account_id,
            arn=f"arn:aws:iam::{root.account_id}:root",
            is_root=True,
        )

    def lookup(self, access_key: str) -> tuple[Secret, Principal] | None:
        if access_key == self._root.access_key:
            return self._root.secret_key, self._principal
        return None


@dataclass(slots=True)
class Region:
    config: RegionConfig
    db: SqliteDatabase
    services: Services
    app: S3App


def build_region(config: RegionConfig, root: RootCredentials, clock: Clock | None = None) -> Region:
    clock = clock or SystemClock()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    db = SqliteDatabase(config.data_dir / "metadata.sqlite3")
    blobs = FileBlobStore(config.data_dir / "blobs")
    hooks = VersionHooks()
    services = Services(
        buckets=Buckets(db, clock, config.name),
        objects=Objects(db, blobs, hooks, clock),
        uploads=Uploads(db, blobs, hooks, clock),
        listings=Listings(db),
        clock=clock,
        region=config,
        owner_id=root.canonical_id,
    )

    async def start() -> None:
        removed = sweep_orphaned_blobs(db, blobs)
        if removed:
            log.warning("removed orphaned blobs left by a crash", extra={"count": removed})

    async def stop() -> None:
        db.close()

    app = S3App(services, RootKeys(root), on_startup=start, on_shutdown=stop)
    return Region(config=config, db=db, services=services, app=app)
