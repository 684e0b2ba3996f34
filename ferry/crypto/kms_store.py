"""The key service's rows in the region database (migration 0008_kms_keys.sql).

Plain functions over a `Tx`, called inside the key service's transactions; times are epoch
milliseconds here and aware datetimes outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ferry.core.clock import epoch_ms, from_epoch_ms
from ferry.crypto.kms_records import Alias, KeyManager, KeyMetadata, KeyState, alias_arn, key_arn
from ferry.store import Tx


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRow:
    metadata: KeyMetadata
    wrapped_material: bytes  # the key's material sealed under the region master key


def insert_key(tx: Tx, row: KeyRow) -> None:
    key = row.metadata
    tx.execute(
        "INSERT INTO kms_keys (key_id, account_id, description, key_state, key_manager,"
        " key_usage, key_spec, created_ms, deletion_ms, wrapped_material)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            key.key_id,
            key.account_id,
            key.description,
            key.state.value,
            key.manager.value,
            key.key_usage,
            key.key_spec,
            epoch_ms(key.created),
            _ms_or_none(key.deletion),
            row.wrapped_material,
        ),
    )


def fetch_key(tx: Tx, region: str, key_id: str) -> KeyRow | None:
    row = tx.execute("SELECT * FROM kms_keys WHERE key_id = ?", (key_id,)).fetchone()
    if row is None:
        return None
    return KeyRow(metadata=_metadata(region, row), wrapped_material=bytes(row["wrapped_material"]))


def update_key_state(tx: Tx, key_id: str, state: KeyState, deletion: datetime | None) -> None:
    tx.execute(
        "UPDATE kms_keys SET key_state = ?, deletion_ms = ? WHERE key_id = ?",
        (state.value, _ms_or_none(deletion), key_id),
    )


def delete_expired_keys(tx: Tx, now: datetime) -> int:
    """Keys whose deletion date has passed are gone (their aliases go with them)."""
    cursor = tx.execute(
        "DELETE FROM kms_keys WHERE key_state = ? AND deletion_ms <= ?",
        (KeyState.PENDING_DELETION.value, epoch_ms(now)),
    )
    return cursor.rowcount


def list_keys(
    tx: Tx, region: str, account_id: str, now: datetime, after: str, limit: int
) -> list[KeyMetadata]:
    rows = tx.execute(
        "SELECT * FROM kms_keys WHERE account_id = ? AND key_id > ?"
        " AND NOT (key_state = ? AND deletion_ms <= ?) ORDER BY key_id LIMIT ?",
        (account_id, after, KeyState.PENDING_DELETION.value, epoch_ms(now), limit),
    ).fetchall()
    return [_metadata(region, row) for row in rows]


def insert_alias(tx: Tx, account_id: str, name: str, key_id: str, now: datetime) -> None:
    tx.execute(
        "INSERT INTO kms_aliases (account_id, alias_name, key_id, created_ms, updated_ms)"
        " VALUES (?, ?, ?, ?, ?)",
        (account_id, name, key_id, epoch_ms(now), epoch_ms(now)),
    )


def fetch_alias(tx: Tx, region: str, account_id: str, name: str) -> Alias | None:
    row = tx.execute(
        "SELECT * FROM kms_aliases WHERE account_id = ? AND alias_name = ?", (account_id, name)
    ).fetchone()
    return None if row is None else _alias(region, row)


def delete_alias(tx: Tx, account_id: str, name: str) -> bool:
    cursor = tx.execute(
        "DELETE FROM kms_aliases WHERE account_id = ? AND alias_name = ?", (account_id, name)
    )
    return cursor.rowcount > 0


def list_aliases(
    tx: Tx,
    region: str,
    account_id: str,
    key_id: str | None,
    now: datetime,
    after: str,
    limit: int,
) -> list[Alias]:
    """Aliases of keys still alive (a key past its deletion date takes its aliases along)."""
    sql = (
        "SELECT * FROM kms_aliases WHERE account_id = ? AND alias_name > ? AND key_id NOT IN"
        " (SELECT key_id FROM kms_keys WHERE key_state = ? AND deletion_ms <= ?)"
    )
    params: list[Any] = [account_id, after, KeyState.PENDING_DELETION.value, epoch_ms(now)]
    if key_id is not None:
        sql += " AND key_id = ?"
        params.append(key_id)
    rows = tx.execute(sql + " ORDER BY alias_name LIMIT ?", (*params, limit)).fetchall()
    return [_alias(region, row) for row in rows]


def _metadata(region: str, row: Any) -> KeyMetadata:
    deletion_ms = row["deletion_ms"]
    return KeyMetadata(
        key_id=row["key_id"],
        arn=key_arn(region, row["account_id"], row["key_id"]),
        account_id=row["account_id"],
        description=row["description"],
        state=KeyState(row["key_state"]),
        manager=KeyManager(row["key_manager"]),
        created=from_epoch_ms(row["created_ms"]),
        deletion=None if deletion_ms is None else from_epoch_ms(deletion_ms),
        key_usage=row["key_usage"],
        key_spec=row["key_spec"],
    )


def _alias(region: str, row: Any) -> Alias:
    return Alias(
        name=row["alias_name"],
        arn=alias_arn(region, row["account_id"], row["alias_name"]),
        key_id=row["key_id"],
        created=from_epoch_ms(row["created_ms"]),
        updated=from_epoch_ms(row["updated_ms"]),
    )


def _ms_or_none(moment: datetime | None) -> int | None:
    return None if moment is None else epoch_ms(moment)
