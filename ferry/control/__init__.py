"""The global control plane, shared by every region of a deployment: the bucket directory
(later accounts, users, keys, roles and policies).

May import store, protocol, config and core. Its database is its own (`CONTROL_MIGRATIONS`),
opened by every region process of the deployment.
"""

from __future__ import annotations

from ferry.control.directory import BucketDirectory, DirectoryEntry, Reconciled

CONTROL_MIGRATIONS = "ferry.control.sql"
CONTROL_DATABASE_NAME = "control.sqlite3"

__all__ = [
    "CONTROL_DATABASE_NAME",
    "CONTROL_MIGRATIONS",
    "BucketDirectory",
    "DirectoryEntry",
    "Reconciled",
]
