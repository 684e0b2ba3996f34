"""Access keys of IAM users and of account root users (`user_name` None).

At most two keys per user, as AWS (`LimitExceeded`). The secret is sealed before it is stored
(`sealing.py`) and returned once, by `create`; `keys.py` opens it again to verify signatures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ferry.control.iam_errors import LimitExceeded, NoSuchEntity, no_such_user
from ferry.control.iam_records import AccessKey, AccessKeyStatus, NewAccessKey, Page
from ferry.control.identifiers import new_access_key_id, new_secret_access_key
from ferry.control.paging import page_of
from ferry.control.sealing import SecretSealer
from ferry.core.clock import Clock, epoch_ms, from_epoch_ms
from ferry.core.secret import Secret
from ferry.store import Database, Tx

MAX_KEYS_PER_USER = 2
_COLUMNS = "access_key_id, account_id, user_name, status, created_ms"


def _key(row: Any) -> AccessKey:
    return AccessKey(
        access_key_id=row[0],
        account_id=row[1],
        user_name=row[2],
        status=AccessKeyStatus(row[3]),
        created=from_epoch_ms(row[4]),
    )


def _check_user(tx: Tx, account_id: str, user_name: str | None) -> None:
    if user_name is None:
        return
    found = tx.execute(
        "SELECT 1 FROM iam_users WHERE account_id = ? AND name = ?", (account_id, user_name)
    ).fetchone()
    if found is None:
        raise no_such_user(user_name)


def insert_key(
    tx: Tx, sealer: SecretSealer, account_id: str, user_name: str | None, now: datetime
) -> NewAccessKey:
    """Create a key for `user_name` (None: the account root) inside the caller's transaction."""
    # Count, then insert: concurrent creations for one holder take turns (PostgreSQL).
    tx.lock(f"access-keys/{account_id}/{(user_name or '').lower()}")
    count = tx.execute(
        "SELECT COUNT(*) FROM access_keys"
        " WHERE account_id = ? AND user_name IS NOT DISTINCT FROM ?",
        (account_id, user_name),
    ).fetchone()[0]
    if count >= MAX_KEYS_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}")
    key_id = new_access_key_id()
    while tx.execute("SELECT 1 FROM access_keys WHERE access_key_id = ?", (key_id,)).fetchone():
        key_id = new_access_key_id()
    secret = Secret(new_secret_access_key())
    tx.execute(
        f"INSERT INTO access_keys ({_COLUMNS}, sealed_secret) VALUES (?, ?, ?, ?, ?, ?)",
        (
            key_id,
            account_id,
            user_name,
            AccessKeyStatus.ACTIVE.value,
            epoch_ms(now),
            sealer.seal(key_id, secret),
        ),
    )
    key = AccessKey(
        access_key_id=key_id,
        account_id=account_id,
        user_name=user_name,
        status=AccessKeyStatus.ACTIVE,
        created=now,
    )
    return NewAccessKey(key=key, secret=secret)


def _no_such_key(key_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")


class AccessKeys:
    def __init__(self, db: Database, clock: Clock, sealer: SecretSealer) -> None:
        self._db = db
        self._clock = clock
        self._sealer = sealer

    async def create(self, account_id: str, user_name: str | None) -> NewAccessKey:
        now = self._clock.now()

        def create(tx: Tx) -> NewAccessKey:
            _check_user(tx, account_id, user_name)
            return insert_key(tx, self._sealer, account_id, user_name, now)

        return await self._db.write(create)

    async def list(
        self, account_id: str, user_name: str | None, *, marker: str | None, max_items: int
    ) -> Page[AccessKey]:
        def list_keys(tx: Tx) -> Page[AccessKey]:
            _check_user(tx, account_id, user_name)
            rows = tx.execute(
                f"SELECT {_COLUMNS} FROM access_keys"
                " WHERE account_id = ? AND user_name IS NOT DISTINCT FROM ?"
                " AND access_key_id > ? ORDER BY access_key_id LIMIT ?",
                (account_id, user_name, marker or "", max_items + 1),
            ).fetchall()
            return page_of(rows, max_items, _key, lambda k: k.access_key_id)

        return await self._db.read(list_keys)

    async def delete(self, account_id: str, user_name: str | None, key_id: str) -> None:
        def delete(tx: Tx) -> None:
            _check_user(tx, account_id, user_name)
            cursor = tx.execute(
                "DELETE FROM access_keys WHERE access_key_id = ? AND account_id = ?"
                " AND user_name IS NOT DISTINCT FROM ?",
                (key_id, account_id, user_name),
            )
            if cursor.rowcount == 0:
                raise _no_such_key(key_id)

        await self._db.write(delete)

    async def update_status(
        self, account_id: str, user_name: str | None, key_id: str, status: AccessKeyStatus
    ) -> None:
        def update(tx: Tx) -> None:
            _check_user(tx, account_id, user_name)
            cursor = tx.execute(
                "UPDATE access_keys SET status = ? WHERE access_key_id = ? AND account_id = ?"
                " AND user_name IS NOT DISTINCT FROM ?",
                (status.value, key_id, account_id, user_name),
            )
            if cursor.rowcount == 0:
                raise _no_such_key(key_id)

        await self._db.write(update)

    async def find(self, key_id: str) -> AccessKey | None:
        def find(tx: Tx) -> AccessKey | None:
            row = tx.execute(
                f"SELECT {_COLUMNS} FROM access_keys WHERE access_key_id = ?", (key_id,)
            ).fetchone()
            return None if row is None else _key(row)

        return await self._db.read(find)
