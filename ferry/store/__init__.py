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
from ferry.store.bucket_logging import BucketLogging
from ferry.store.buckets import (
    Buckets,
    fetch_bucket_access,
    fetch_bucket_state,
    find_bucket_state,
)
from ferry.store.db import Database, SqliteDatabase, Tx
from ferry.store.hooks import VersionHook, VersionHooks, WriteOrigin
from ferry.store.lifecycle import (
    BucketLifecycle,
    LifecycleProgress,
    abort_upload,
    delete_version_for_good,
    expire_current,
    fetch_key_versions,
    fetch_lifecycle,
    fetch_lifecycle_progress,
    fetch_stale_uploads,
    scan_keys,
    set_lifecycle_progress,
    set_storage_class,
)
from ferry.store.listing import Listing, Listings
from ferry.store.migrations import POSTGRESQL, SQLITE
from ferry.store.multipart import MIN_PART_SIZE_BYTES, CompletedPart, Uploads
from ferry.store.object_lock import Retention, is_locked, is_version_locked
from ferry.store.postgres import PostgresDatabase, migrate_postgres, redact_url
from ferry.store.queue import Queue
from ferry.store.quotas import BucketQuota, BucketUsage, Quotas, QuotaStatus
from ferry.store.records import (
    BLOCK_ALL_PUBLIC_ACCESS,
    NO_PUBLIC_ACCESS_BLOCK,
    Body,
    Bucket,
    BucketAccess,
    BucketObjectLock,
    DefaultRetention,
    Grant,
    Grants,
    ObjectAttributes,
    ObjectLockMode,
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
    "BucketObjectLock",
    "BucketEncryptionDefault",
    "BucketLifecycle",
    "BucketLogging",
    "BucketQuota",
    "BucketUsage",
    "Buckets",
    "CompletedPart",
    "Database",
    "DefaultRetention",
    "DeleteOutcome",
    "FileBlobStore",
    "Grant",
    "Grants",
    "LifecycleProgress",
    "Listing",
    "Listings",
    "ObjectAttributes",
    "ObjectLockMode",
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
    "Retention",
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
    "WriteOrigin",
    "migrate_postgres",
    "redact_url",
    "abort_upload",
    "delete_bucket_encryption",
    "delete_version_for_good",
    "expire_current",
    "fetch_key_versions",
    "fetch_lifecycle",
    "fetch_lifecycle_progress",
    "fetch_stale_uploads",
    "fetch_bucket_access",
    "fetch_bucket_encryption",
    "fetch_bucket_state",
    "fetch_latest",
    "fetch_replication_configuration",
    "fetch_version",
    "find_bucket_state",
    "is_locked",
    "is_version_locked",
    "put_bucket_encryption",
    "scan_keys",
    "scan_versions",
    "set_lifecycle_progress",
    "set_replication_status",
    "set_storage_class",
    "sweep_orphaned_blobs",
]
