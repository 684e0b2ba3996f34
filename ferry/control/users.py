"""IAM users of an account. A user with access keys or policies cannot be deleted
(`DeleteConflict`, as AWS: the caller removes them first)."""

from __future__ import annotations

from typing import Any

from ferry.control.iam_errors import DeleteConflict, EntityAlreadyExists, no_such_user
from ferry.control.iam_records import Page, User
from ferry.control.identifiers import HolderKind, UniqueIdPrefix, new_unique_id, user_arn
from ferry.control.paging import page_of
from ferry.core.clock import Clock, epoch_ms, from_epoch_ms
from ferry.store import Database, Tx

_COLUMNS = "account_id, name, user_id, path, created_ms"


def _user(row: Any) -> User:
    return User(
        account_id=row[0],
        name=row[1],
        user_id=row[2],
        path=row[3],
        arn=user_arn(row[0], row[3], row[1]),
        created=from_epoch_ms(row[4]),
    )


def fetch_user(tx: Tx, account_id: str, name: str) -> User | None:
    row = tx.execute(
        f"SELECT {_COLUMNS} FROM iam_users WHERE account_id = ? AND name = ?", (account_id, name)
    ).fetchone()
    return None if row is None else _user(row)


def _has(tx: Tx, sql: str, params: tuple[str, ...]) -> bool:
    return tx.execute(sql, params).fetchone() is not None


class Users:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def create(self, account_id: str, name: str, path: str) -> User:
        now = self._clock.now()

        def create(tx: Tx) -> User:
            if fetch_user(tx, account_id, name) is not None:
                raise EntityAlreadyExists(f"User with name {name} already exists.")
            user = User(
                account_id=account_id,
                name=name,
                user_id=new_unique_id(UniqueIdPrefix.USER),
                path=path,
                arn=user_arn(account_id, path, name),
                created=now,
            )
            tx.execute(
                f"INSERT INTO iam_users ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                (account_id, name, user.user_id, path, epoch_ms(now)),
            )
            return user

        return await self._db.write(create)

    async def get(self, account_id: str, name: str) -> User:
        found = await self._db.read(lambda tx: fetch_user(tx, account_id, name))
        if found is None:
            raise no_such_user(name)
        return found

    async def delete(self, account_id: str, name: str) -> None:
        holder = (account_id, HolderKind.USER.value, name)

        def delete(tx: Tx) -> None:
            if fetch_user(tx, account_id, name) is None:
                raise no_such_user(name)
            if _has(
                tx,
                "SELECT 1 FROM access_keys WHERE account_id = ? AND user_name = ?",
                (account_id, name),
            ):
                raise DeleteConflict("Cannot delete entity, must delete access keys first.")
            if _has(
                tx,
                "SELECT 1 FROM iam_inline_policies WHERE account_id = ? AND holder_kind = ?"
                " AND holder_name = ?",
                holder,
            ):
                raise DeleteConflict("Cannot delete entity, must delete policies first.")
            if _has(
                tx,
                "SELECT 1 FROM iam_attachments WHERE account_id = ? AND holder_kind = ?"
                " AND holder_name = ?",
                holder,
            ):
                raise DeleteConflict("Cannot delete entity, must detach all policies first.")
            tx.execute(
                "DELETE FROM iam_users WHERE account_id = ? AND name = ?", (account_id, name)
            )

        await self._db.write(delete)

    async def list(
        self, account_id: str, *, path_prefix: str, marker: str | None, max_items: int
    ) -> Page[User]:
        def list_users(tx: Tx) -> Page[User]:
            rows = tx.execute(
                f"SELECT {_COLUMNS} FROM iam_users WHERE account_id = ? AND name > ?"
                " AND substr(path, 1, ?) = ? ORDER BY name LIMIT ?",
                (account_id, marker or "", len(path_prefix), path_prefix, max_items + 1),
            ).fetchall()
            return page_of(rows, max_items, _user, lambda u: u.name)

        return await self._db.read(list_users)
