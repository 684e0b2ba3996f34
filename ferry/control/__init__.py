"""The global control plane, shared by every region of a deployment: the bucket directory
accounts, IAM users, access keys, roles and policies.

May import store, protocol, config and core. Its database is its own (`CONTROL_MIGRATIONS`),
opened by every region process of the deployment.
"""

from __future__ import annotations

from ferry.control.access_keys import AccessKeys
from ferry.control.account_settings import AccountSettings
from ferry.control.accounts import Accounts
from ferry.control.directory import BucketDirectory, DirectoryEntry, Reconciled
from ferry.control.iam import Iam
from ferry.control.identities import IdentityPolicies
from ferry.control.keys import KeyHolderKind, StoredKey, StoredKeyLookup
from ferry.control.policies import Policies
from ferry.control.roles import Roles
from ferry.control.sealing import SecretSealer
from ferry.control.users import Users

CONTROL_MIGRATIONS = ("ferry.control",)  # the packages whose migrations make up its database
CONTROL_DATABASE_NAME = "control.sqlite3"

__all__ = [
    "CONTROL_DATABASE_NAME",
    "CONTROL_MIGRATIONS",
    "AccessKeys",
    "AccountSettings",
    "Accounts",
    "BucketDirectory",
    "DirectoryEntry",
    "Iam",
    "IdentityPolicies",
    "KeyHolderKind",
    "Policies",
    "Reconciled",
    "Roles",
    "SecretSealer",
    "StoredKey",
    "StoredKeyLookup",
    "Users",
]
