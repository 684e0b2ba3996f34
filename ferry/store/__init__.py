"""Regional persistence: metadata database, blobs, versioning, multipart, listing, hooks.

Knows nothing of HTTP or replication. May import protocol, config and core only.
"""

from __future__ import annotations

from ferry.store.blobs import FileBlobStore, Payload, PayloadDigest
from ferry.store.bucket_encryption import (
    BucketEncryptionDefault,
    delete_bucket_encryption,
    fetch_bucket_encryption,
    put_bucket_encryption,
)
from ferry.store.buckets import (
    Buckets,
    fetch_bucket_access,
    fetch_bucket_state,
    find_bucket_state,
)
from ferry.store.db import Database, SqliteDatabase, Tx
from ferry.store.hooks import VersionHook, VersionHooks
from ferry.store.listing import Listing, Listings
from ferry.store.migrations import POSTGRESQL, SQLITE
from ferry.store.multipart import MIN_PART_SIZE_BYTES, CompletedPart, Uploads
from ferry.store.postgres import PostgresDatabase, migrate_postgres, redact_url
from ferry.store.queue import Queue
from ferry.store.quotas import BucketQuota, BucketUsage, Quotas, QuotaStatus
from ferry.store.records import (
    BLOCK_ALL_PUBLIC_ACCESS,
    NO_PUBLIC_ACCESS_BLOCK,
    Body,
    Bucket,
    BucketAccess,
    Grant,
    Grants,
    ObjectAttributes,
    ObjectOwnership,
    Pairs,
    Part,
    PartInfo,
    PublicAccessBlock,
    ReplicationStatus,
    Upload,
    Version,
    VersioningStatus,
)
from ferry.store.replicas import Replicas
from ferry.store.replication_state import (
    fetch_replication_configuration,
    scan_versions,
    set_replication_status,
)
from ferry.store.sweeper import sweep_orphaned_blobs
from ferry.store.versions import DeleteOutcome, Objects, WriteCondition, fetch_latest, fetch_version

__all__ = [
    "BLOCK_ALL_PUBLIC_ACCESS",
    "NO_PUBLIC_ACCESS_BLOCK",
    "ObjectOwnership",
    "PublicAccessBlock",
    "MIN_PART_SIZE_BYTES",
    "POSTGRESQL",
    "SQLITE",
    "Body",
    "Bucket",
    "BucketAccess",
    "BucketEncryptionDefault",
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
    "Queue",
    "QuotaStatus",
    "Quotas",
    "Replicas",
    "ReplicationStatus",
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
    "delete_bucket_encryption",
    "fetch_bucket_access",
    "fetch_bucket_encryption",
    "fetch_bucket_state",
    "fetch_latest",
    "fetch_replication_configuration",
    "fetch_version",
    "find_bucket_state",
    "put_bucket_encryption",
    "scan_versions",
    "set_replication_status",
    "sweep_orphaned_blobs",
]
