"""IAM policies held by users and roles: inline policies (a named document on one holder)
and managed policies (a document with an ARN, attached to any number of holders).

Documents are validated by the caller (`policy_documents.py`) before they arrive here; this
module stores them as sent, since GetRolePolicy and friends return them as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ferry.control.iam_errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    no_such_policy,
    no_such_role,
    no_such_user,
)
from ferry.control.iam_records import AttachedPolicy, ManagedPolicy, Page
from ferry.control.identifiers import HolderKind, UniqueIdPrefix, new_unique_id, policy_arn
from ferry.control.paging import page_of
from ferry.core.clock import Clock, epoch_ms, from_epoch_ms
from ferry.store import Database, Tx

MAX_ATTACHED_PER_HOLDER = 10  # AWS's default quota of managed policies per user or role
_MANAGED = "arn, account_id, name, policy_id, path, description, document, created_ms"
_ATTACHMENTS = "(SELECT COUNT(*) FROM iam_attachments a WHERE a.policy_arn = p.arn)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Holder:
    """A user or role of an account: who holds an inline policy or an attachment."""

    account_id: str
    kind: HolderKind
    name: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.account_id, self.kind.value, self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySpec:
    """What CreatePolicy asks for (validated by the caller)."""

    name: str
    path: str
    document: str
    description: str | None


_HOLDER = "account_id = ? AND holder_kind = ? AND holder_name = ?"


def _managed(row: Any) -> ManagedPolicy:
    return ManagedPolicy(
        arn=row[0],
        account_id=row[1],
        name=row[2],
        policy_id=row[3],
        path=row[4],
        description=row[5],
        document=row[6],
        created=from_epoch_ms(row[7]),
        attachment_count=row[8],
    )


def _fetch_managed(tx: Tx, account_id: str, arn: str) -> ManagedPolicy | None:
    row = tx.execute(
        f"SELECT {_MANAGED}, {_ATTACHMENTS} FROM iam_managed_policies p"
        " WHERE arn = ? AND account_id = ?",
        (arn, account_id),
    ).fetchone()
    return None if row is None else _managed(row)


def _check_holder(tx: Tx, holder: Holder) -> None:
    table = "iam_users" if holder.kind is HolderKind.USER else "iam_roles"
    found = tx.execute(
        f"SELECT 1 FROM {table} WHERE account_id = ? AND name = ?",
        (holder.account_id, holder.name),
    ).fetchone()
    if found is None:
        raise (no_such_user if holder.kind is HolderKind.USER else no_such_role)(holder.name)


def _no_such_inline(holder: Holder, name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The {holder.kind.value} policy with name {name} cannot be found.")


class Policies:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # ---- inline policies ------------------------------------------------------------------

    async def put_inline(self, holder: Holder, name: str, document: str) -> None:
        def put(tx: Tx) -> None:
            _check_holder(tx, holder)
            tx.execute(
                "INSERT INTO iam_inline_policies"
                " (account_id, holder_kind, holder_name, policy_name, document)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (account_id, holder_kind, holder_name, policy_name)"
                " DO UPDATE SET document = excluded.document",
                (*holder.key, name, document),
            )

        await self._db.write(put)

    async def get_inline(self, holder: Holder, name: str) -> tuple[str, str]:
        """(the policy's name as stored, its document)."""

        def get(tx: Tx) -> tuple[str, str]:
            _check_holder(tx, holder)
            row = tx.execute(
                f"SELECT policy_name, document FROM iam_inline_policies WHERE {_HOLDER}"
                " AND policy_name = ?",
                (*holder.key, name),
            ).fetchone()
            if row is None:
                raise _no_such_inline(holder, name)
            return str(row[0]), str(row[1])

        return await self._db.read(get)

    async def delete_inline(self, holder: Holder, name: str) -> None:
        def delete(tx: Tx) -> None:
            _check_holder(tx, holder)
            cursor = tx.execute(
                f"DELETE FROM iam_inline_policies WHERE {_HOLDER} AND policy_name = ?",
                (*holder.key, name),
            )
            if cursor.rowcount == 0:
                raise _no_such_inline(holder, name)

        await self._db.write(delete)

    async def list_inline(self, holder: Holder, *, marker: str | None, max_items: int) -> Page[str]:
        def list_names(tx: Tx) -> Page[str]:
            _check_holder(tx, holder)
            rows = tx.execute(
                f"SELECT policy_name FROM iam_inline_policies WHERE {_HOLDER}"
                " AND policy_name > ? ORDER BY policy_name LIMIT ?",
                (*holder.key, marker or "", max_items + 1),
            ).fetchall()
            return page_of(rows, max_items, lambda row: str(row[0]), lambda name: name)

        return await self._db.read(list_names)

    # ---- managed policies -----------------------------------------------------------------

    async def create_managed(self, account_id: str, spec: PolicySpec) -> ManagedPolicy:
        now = self._clock.now()
        arn = policy_arn(account_id, spec.path, spec.name)

        def create(tx: Tx) -> ManagedPolicy:
            taken = tx.execute(
                "SELECT 1 FROM iam_managed_policies WHERE account_id = ? AND name = ?",
                (account_id, spec.name),
            ).fetchone()
            if taken:
                raise EntityAlreadyExists(
                    f"A policy called {spec.name} already exists. Duplicate names are not allowed."
                )
            tx.execute(
                f"INSERT INTO iam_managed_policies ({_MANAGED}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    arn, account_id, spec.name, new_unique_id(UniqueIdPrefix.POLICY), spec.path,
                    spec.description, spec.document, epoch_ms(now),
                ),
            )  # fmt: skip
            created = _fetch_managed(tx, account_id, arn)
            assert created is not None
            return created

        return await self._db.write(create)

    async def get_managed(self, account_id: str, arn: str) -> ManagedPolicy:
        found = await self._db.read(lambda tx: _fetch_managed(tx, account_id, arn))
        if found is None:
            raise no_such_policy(arn)
        return found

    async def delete_managed(self, account_id: str, arn: str) -> None:
        def delete(tx: Tx) -> None:
            found = _fetch_managed(tx, account_id, arn)
            if found is None:
                raise no_such_policy(arn)
            if found.attachment_count:
                raise DeleteConflict("Cannot delete a policy attached to entities.")
            tx.execute("DELETE FROM iam_managed_policies WHERE arn = ?", (arn,))

        await self._db.write(delete)

    async def list_managed(
        self,
        account_id: str,
        *,
        path_prefix: str,
        only_attached: bool,
        marker: str | None,
        max_items: int,
    ) -> Page[ManagedPolicy]:
        attached = f" AND {_ATTACHMENTS} > 0" if only_attached else ""

        def list_policies(tx: Tx) -> Page[ManagedPolicy]:
            rows = tx.execute(
                f"SELECT {_MANAGED}, {_ATTACHMENTS} FROM iam_managed_policies p"
                f" WHERE account_id = ? AND name > ? AND substr(path, 1, ?) = ?{attached}"
                " ORDER BY name LIMIT ?",
                (account_id, marker or "", len(path_prefix), path_prefix, max_items + 1),
            ).fetchall()
            return page_of(rows, max_items, _managed, lambda p: p.name)

        return await self._db.read(list_policies)

    # ---- attachments ----------------------------------------------------------------------

    async def attach(self, holder: Holder, arn: str) -> None:
        def attach(tx: Tx) -> None:
            _check_holder(tx, holder)
            # Count, then insert: concurrent attachments to one holder take turns (PostgreSQL).
            account, kind, name = holder.key
            tx.lock(f"attachments/{account}/{kind}/{name.lower()}")
            if _fetch_managed(tx, holder.account_id, arn) is None:
                raise no_such_policy(arn)
            count = tx.execute(
                f"SELECT COUNT(*) FROM iam_attachments WHERE {_HOLDER}", holder.key
            ).fetchone()[0]
            exists = tx.execute(
                f"SELECT 1 FROM iam_attachments WHERE {_HOLDER} AND policy_arn = ?",
                (*holder.key, arn),
            ).fetchone()
            if exists:
                return  # attaching twice is a no-op in AWS too
            if count >= MAX_ATTACHED_PER_HOLDER:
                quota = "PoliciesPerUser" if holder.kind is HolderKind.USER else "PoliciesPerRole"
                raise LimitExceeded(f"Cannot exceed quota for {quota}: {MAX_ATTACHED_PER_HOLDER}")
            tx.execute(
                "INSERT INTO iam_attachments (account_id, holder_kind, holder_name, policy_arn)"
                " VALUES (?, ?, ?, ?)",
                (*holder.key, arn),
            )

        await self._db.write(attach)

    async def detach(self, holder: Holder, arn: str) -> None:
        def detach(tx: Tx) -> None:
            _check_holder(tx, holder)
            cursor = tx.execute(
                f"DELETE FROM iam_attachments WHERE {_HOLDER} AND policy_arn = ?",
                (*holder.key, arn),
            )
            if cursor.rowcount == 0:
                raise NoSuchEntity(f"Policy {arn} was not found.")

        await self._db.write(detach)

    async def list_attached(
        self, holder: Holder, *, path_prefix: str, marker: str | None, max_items: int
    ) -> Page[AttachedPolicy]:
        def list_attached(tx: Tx) -> Page[AttachedPolicy]:
            _check_holder(tx, holder)
            rows = tx.execute(
                "SELECT p.name, p.arn FROM iam_attachments a"
                " JOIN iam_managed_policies p ON p.arn = a.policy_arn"
                " WHERE a.account_id = ? AND a.holder_kind = ? AND a.holder_name = ?"
                " AND p.name > ? AND substr(p.path, 1, ?) = ? ORDER BY p.name LIMIT ?",
                (*holder.key, marker or "", len(path_prefix), path_prefix, max_items + 1),
            ).fetchall()
            return page_of(
                rows,
                max_items,
                lambda row: AttachedPolicy(name=row[0], arn=row[1]),
                lambda p: p.name,
            )

        return await self._db.read(list_attached)

    # ---- for policy evaluation ------------------------------------------------------------

    async def documents_of(self, holder: Holder) -> list[str]:
        """Every document that applies to `holder`: inline, then attached, in name order."""

        def documents(tx: Tx) -> list[str]:
            inline = tx.execute(
                f"SELECT document FROM iam_inline_policies WHERE {_HOLDER} ORDER BY policy_name",
                holder.key,
            ).fetchall()
            attached = tx.execute(
                "SELECT p.document FROM iam_attachments a"
                " JOIN iam_managed_policies p ON p.arn = a.policy_arn"
                " WHERE a.account_id = ? AND a.holder_kind = ? AND a.holder_name = ?"
                " ORDER BY p.name",
                holder.key,
            ).fetchall()
            return [str(row[0]) for row in [*inline, *attached]]

        return await self._db.read(documents)
