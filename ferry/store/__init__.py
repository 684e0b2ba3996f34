"""Regional persistence: metadata database, blobs, versioning, multipart, listing, hooks.

Knows nothing of HTTP or replication. May import protocol, config and core only.
"""

from __future__ import annotations

from ferry.store.blobs import FileBlobStore, Payload, PayloadDigest
from ferry.store.buckets import Buckets
from ferry.store.db import STORE_MIGRATIONS, Database, SqliteDatabase, Tx
from ferry.store.hooks import VersionHook, VersionHooks
from ferry.store.listing import Listing, Listings
from ferry.store.migrations import POSTGRESQL, SQLITE
from ferry.store.multipart import MIN_PART_SIZE_BYTES, CompletedPart, Uploads
from ferry.store.postgres import PostgresDatabase, migrate_postgres, redact_url
from ferry.store.quotas import BucketQuota, BucketUsage, Quotas, QuotaStatus
from ferry.store.records import (
    Body,
    Bucket,
    BucketAccess,
    Grant,
    Grants,
    ObjectAttributes,
    Pairs,
    Part,
    PartInfo,
    Upload,
    Version,
    VersioningStatus,
)
from ferry.store.replicas import Replicas
from ferry.store.sweeper import sweep_orphaned_blobs
from ferry.store.versions import DeleteOutcome, Objects, WriteCondition

__all__ = [
    "MIN_PART_SIZE_BYTES",
    "POSTGRESQL",
    "SQLITE",
    "STORE_MIGRATIONS",
    "Body",
    "Bucket",
    "BucketAccess",
    "BucketQuota",
    "BucketUsage",
    "Buckets",
    "CompletedPart",
    "Database",
    "DeleteOutcome",
    "FileBlobStore",
    "Grant",
    "Grants",
    "Listing",
    "Listings",
    "ObjectAttributes",
    "Objects",
    "Pairs",
    "Part",
    "PartInfo",
    "Payload",
    "PostgresDatabase",
    "PayloadDigest",
    "QuotaStatus",
    "Quotas",
    "Replicas",
    "SqliteDatabase",
    "Tx",
    "Upload",
    "Uploads",
    "Version",
    "VersionHook",
    "VersionHooks",
    "VersioningStatus",
    "WriteCondition",
    "migrate_postgres",
    "redact_url",
    "sweep_orphaned_blobs",
]
