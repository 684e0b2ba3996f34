"""IAM roles of an account: a trust policy (who may assume it), a description and a maximum
session duration. A role with policies cannot be deleted (`DeleteConflict`, as AWS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ferry.control.iam_errors import DeleteConflict, EntityAlreadyExists, no_such_role
from ferry.control.iam_records import Page, Role
from ferry.control.identifiers import HolderKind, UniqueIdPrefix, new_unique_id, role_arn
from ferry.control.paging import page_of
from ferry.core.clock import Clock, epoch_ms, from_epoch_ms
from ferry.store import Database, Tx

_COLUMNS = "account_id, name, role_id, path, trust_policy, description, max_session_s, created_ms"


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleSpec:
    """What CreateRole asks for (validated by the caller)."""

    name: str
    path: str
    trust_policy: str
    description: str | None
    max_session_s: int


def _role(row: Any) -> Role:
    return Role(
        account_id=row[0],
        name=row[1],
        role_id=row[2],
        path=row[3],
        arn=role_arn(row[0], row[3], row[1]),
        trust_policy=row[4],
        description=row[5],
        max_session_s=row[6],
        created=from_epoch_ms(row[7]),
    )


def fetch_role(tx: Tx, account_id: str, name: str) -> Role | None:
    row = tx.execute(
        f"SELECT {_COLUMNS} FROM iam_roles WHERE account_id = ? AND name = ?", (account_id, name)
    ).fetchone()
    return None if row is None else _role(row)


class Roles:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def create(self, account_id: str, spec: RoleSpec) -> Role:
        now = self._clock.now()

        def create(tx: Tx) -> Role:
            if fetch_role(tx, account_id, spec.name) is not None:
                raise EntityAlreadyExists(f"Role with name {spec.name} already exists.")
            role_id = new_unique_id(UniqueIdPrefix.ROLE)
            tx.execute(
                f"INSERT INTO iam_roles ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account_id, spec.name, role_id, spec.path, spec.trust_policy,
                    spec.description, spec.max_session_s, epoch_ms(now),
                ),
            )  # fmt: skip
            created = fetch_role(tx, account_id, spec.name)
            assert created is not None
            return created

        return await self._db.write(create)

    async def get(self, account_id: str, name: str) -> Role:
        found = await self._db.read(lambda tx: fetch_role(tx, account_id, name))
        if found is None:
            raise no_such_role(name)
        return found

    async def delete(self, account_id: str, name: str) -> None:
        holder = (account_id, HolderKind.ROLE.value, name)

        def delete(tx: Tx) -> None:
            if fetch_role(tx, account_id, name) is None:
                raise no_such_role(name)
            where = "WHERE account_id = ? AND holder_kind = ? AND holder_name = ?"
            if tx.execute(f"SELECT 1 FROM iam_inline_policies {where}", holder).fetchone():
                raise DeleteConflict("Cannot delete entity, must delete policies first.")
            if tx.execute(f"SELECT 1 FROM iam_attachments {where}", holder).fetchone():
                raise DeleteConflict("Cannot delete entity, must detach all policies first.")
            tx.execute(
                "DELETE FROM iam_roles WHERE account_id = ? AND name = ?", (account_id, name)
            )

        await self._db.write(delete)

    async def list(
        self, account_id: str, *, path_prefix: str, marker: str | None, max_items: int
    ) -> Page[Role]:
        def list_roles(tx: Tx) -> Page[Role]:
            rows = tx.execute(
                f"SELECT {_COLUMNS} FROM iam_roles WHERE account_id = ? AND name > ?"
                " AND substr(path, 1, ?) = ? ORDER BY name LIMIT ?",
                (account_id, marker or "", len(path_prefix), path_prefix, max_items + 1),
            ).fetchall()
            return page_of(rows, max_items, _role, lambda r: r.name)

        return await self._db.read(list_roles)
