"""The stored access keys, looked up synchronously on every request's path.

Authentication (`api/auth.py`) is synchronous, so this reads the control database with a
synchronous read (`Database.read_now`: on SQLite the reader connection, which never waits for
the writers of any region process; on PostgreSQL a pooled connection) and keeps each answer,
found or not, for `ttl_s`. That TTL bounds how long a deleted or deactivated key keeps working
in a region that had just used it: at most `ttl_s` (0.5 s by default); a key created in one
region works in every other one after at most the same delay, when some client tried it just
before its creation (the cached "unknown").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ferry.control.iam_records import AccessKeyStatus
from ferry.control.identifiers import root_arn, user_arn
from ferry.control.sealing import SecretSealer, UnsealFailed
from ferry.core.errors import FerryError
from ferry.core.secret import Secret
from ferry.store import Database, Tx

log = logging.getLogger("ferry.control.keys")

KEY_CACHE_TTL_S = 0.5
MAX_CACHED_KEYS = 10_000


class KeyHolderKind(StrEnum):
    ACCOUNT_ROOT = "account-root"
    USER = "user"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredKey:
    """A verified-usable key: its secret and whom it belongs to."""

    access_key_id: str
    secret: Secret
    account_id: str
    holder: KeyHolderKind
    arn: str  # the user's ARN, or the account root's


_QUERY = (
    "SELECT k.account_id, k.user_name, k.sealed_secret, k.status, u.path, u.name"
    " FROM access_keys k LEFT JOIN iam_users u"
    " ON u.account_id = k.account_id AND u.name = k.user_name"
    " WHERE k.access_key_id = ?"
)


class StoredKeyLookup:
    def __init__(
        self,
        db: Database,
        sealer: SecretSealer,
        *,
        ttl_s: float = KEY_CACHE_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._sealer = sealer
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, StoredKey | None]] = {}

    def lookup(self, access_key_id: str) -> StoredKey | None:
        now = self._monotonic()
        cached = self._cache.get(access_key_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            found = self._read(access_key_id)
        except FerryError as exc:
            # Unreadable for a moment (a migration, a lock): better the last answer than none.
            log.warning("access key lookup failed", extra={"error": str(exc)})
            return cached[1] if cached is not None else None
        if len(self._cache) >= MAX_CACHED_KEYS:
            self._cache.clear()  # a flood of made-up keys must not grow memory without bound
        self._cache[access_key_id] = (now + self._ttl_s, found)
        return found

    def forget(self, access_key_id: str) -> None:
        """Drop a cached answer (this process just changed the key)."""
        self._cache.pop(access_key_id, None)

    def _read(self, access_key_id: str) -> StoredKey | None:
        def fetch(tx: Tx) -> Any:
            return tx.execute(_QUERY, (access_key_id,)).fetchone()

        row = self._db.read_now(fetch)
        if row is None or row[3] != AccessKeyStatus.ACTIVE.value:
            return None
        account_id, user_name, sealed, _, path, stored_name = row
        if user_name is not None and stored_name is None:
            return None  # the user is gone (keys are deleted first, but be safe)
        try:
            secret = self._sealer.unseal(access_key_id, bytes(sealed))
        except UnsealFailed:
            log.warning("stored access key cannot be unsealed", extra={"key": access_key_id})
            return None
        if user_name is None:
            holder, arn = KeyHolderKind.ACCOUNT_ROOT, root_arn(account_id)
        else:
            holder, arn = KeyHolderKind.USER, user_arn(account_id, path, stored_name)
        return StoredKey(
            access_key_id=access_key_id,
            secret=secret,
            account_id=account_id,
            holder=holder,
            arn=arn,
        )
