"""Accounts: 12-digit IDs, a unique name, and a root user whose access keys live with the
IAM users' keys (`access_keys` rows with no user name).

The deployment root's account (`[root] account_id` in ferry.toml) is recorded at start-up by
`ensure`, so it is listed and owns buckets like any other; its credentials stay in the
configuration, never in the database.
"""

from __future__ import annotations

from typing import Any

from ferry.control.access_keys import insert_key
from ferry.control.iam_errors import AccountAlreadyExists, NoSuchAccount
from ferry.control.iam_records import Account, NewAccessKey
from ferry.control.identifiers import canonical_id, new_account_id
from ferry.control.sealing import SecretSealer
from ferry.core.clock import Clock, epoch_ms, from_epoch_ms
from ferry.store import Database, Tx

ACCOUNT_NAME_MAX = 64
_COLUMNS = "account_id, name, canonical_id, created_ms, email"
_EMAIL_MAX = 254


def _account(row: Any) -> Account:
    return Account(
        account_id=row[0],
        name=row[1],
        canonical_id=row[2],
        created=from_epoch_ms(row[3]),
        email=row[4],
    )


def _fetch(tx: Tx, account_id: str) -> Account | None:
    row = tx.execute(
        f"SELECT {_COLUMNS} FROM accounts WHERE account_id = ?", (account_id,)
    ).fetchone()
    return None if row is None else _account(row)


class Accounts:
    def __init__(self, db: Database, clock: Clock, sealer: SecretSealer) -> None:
        self._db = db
        self._clock = clock
        self._sealer = sealer

    async def ensure(self, account_id: str, name: str) -> Account:
        """Record `account_id` if it is not yet known (the deployment root's, at start-up)."""
        now = epoch_ms(self._clock.now())

        def ensure(tx: Tx) -> Account:
            found = _fetch(tx, account_id)
            if found is not None:
                return found
            taken = tx.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone()
            label = f"{name}-{account_id}" if taken else name
            tx.execute(
                f"INSERT INTO accounts ({_COLUMNS}) VALUES (?, ?, ?, ?, NULL)",
                (account_id, label, canonical_id(account_id), now),
            )
            found = _fetch(tx, account_id)
            assert found is not None
            return found

        return await self._db.write(ensure)

    async def create(self, name: str, *, email: str | None = None) -> tuple[Account, NewAccessKey]:
        """A new account and its root user's first access key pair. `email`: the address ACL
        grants by e-mail resolve to this account (unique, compared case-insensitively)."""
        if not name or len(name) > ACCOUNT_NAME_MAX or not name.isprintable():
            raise ValueError(f"an account name is 1 to {ACCOUNT_NAME_MAX} printable characters")
        if email is not None:
            email = email.strip().lower()
            if "@" not in email or len(email) > _EMAIL_MAX or not email.isprintable():
                raise ValueError("an account e-mail address is name@domain")
        now = self._clock.now()

        def create(tx: Tx) -> tuple[Account, NewAccessKey]:
            if tx.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
                raise AccountAlreadyExists(f"An account named {name} already exists.", name=name)
            if email and tx.execute("SELECT 1 FROM accounts WHERE email = ?", (email,)).fetchone():
                raise AccountAlreadyExists(f"An account with e-mail {email} exists.", name=name)
            account_id = new_account_id()
            while _fetch(tx, account_id) is not None:
                account_id = new_account_id()
            account = Account(
                account_id=account_id,
                name=name,
                canonical_id=canonical_id(account_id),
                created=now,
                email=email,
            )
            tx.execute(
                f"INSERT INTO accounts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                (account_id, name, account.canonical_id, epoch_ms(now), email),
            )
            return account, insert_key(tx, self._sealer, account_id, None, now)

        return await self._db.write(create)

    async def get(self, account_id: str) -> Account:
        found = await self._db.read(lambda tx: _fetch(tx, account_id))
        if found is None:
            raise NoSuchAccount(account_id=account_id)
        return found

    async def list(self) -> list[Account]:
        def list_accounts(tx: Tx) -> list[Account]:
            rows = tx.execute(f"SELECT {_COLUMNS} FROM accounts ORDER BY name").fetchall()
            return [_account(row) for row in rows]

        return await self._db.read(list_accounts)

    async def account_of_canonical_id(self, canonical: str) -> str | None:
        def find(tx: Tx) -> str | None:
            row = tx.execute(
                "SELECT account_id FROM accounts WHERE canonical_id = ?", (canonical,)
            ).fetchone()
            return None if row is None else str(row[0])

        return await self._db.read(find)
