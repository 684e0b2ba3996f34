"""Account-level S3 settings kept in the control plane: Block Public Access of an account
(S3 Control's Put/Get/DeletePublicAccessBlock) and the e-mail address ACL grants may name.

Every region reads these on its requests, so answers are cached for `ttl_s` (1 s by default,
as identity policies are: a change reaches every region at most that long after it commits;
the region that made it drops its own entry at once).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ferry.store import Database, PublicAccessBlock, Tx

SETTINGS_CACHE_TTL_S = 1.0
MAX_CACHED_ACCOUNTS = 10_000


class AccountSettings:
    def __init__(
        self,
        db: Database,
        *,
        ttl_s: float = SETTINGS_CACHE_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._blocks: dict[str, tuple[float, PublicAccessBlock | None]] = {}

    async def public_access_block(self, account_id: str) -> PublicAccessBlock | None:
        """The account's Block Public Access settings; None: it has none."""
        now = self._monotonic()
        cached = self._blocks.get(account_id)
        if cached is not None and cached[0] > now:
            return cached[1]

        def read(tx: Tx) -> PublicAccessBlock | None:
            row = tx.execute(
                "SELECT settings FROM account_public_access_blocks WHERE account_id = ?",
                (account_id,),
            ).fetchone()
            return PublicAccessBlock.from_json(row[0]) if row is not None else None

        block = await self._db.read(read)
        if len(self._blocks) >= MAX_CACHED_ACCOUNTS:
            self._blocks.clear()
        self._blocks[account_id] = (now + self._ttl_s, block)
        return block

    async def set_public_access_block(
        self, account_id: str, block: PublicAccessBlock | None
    ) -> bool:
        """Store (None: delete) the account's settings; False: there was nothing to delete."""

        def write(tx: Tx) -> bool:
            if block is None:
                cursor = tx.execute(
                    "DELETE FROM account_public_access_blocks WHERE account_id = ?",
                    (account_id,),
                )
                return bool(cursor.rowcount)
            tx.execute(
                "INSERT INTO account_public_access_blocks (account_id, settings) VALUES (?, ?) "
                "ON CONFLICT (account_id) DO UPDATE SET settings = excluded.settings",
                (account_id, block.to_json()),
            )
            return True

        changed = await self._db.write(write)
        self._blocks.pop(account_id, None)
        return changed

    async def canonical_id_of_email(self, email: str) -> str | None:
        """The canonical user ID of the account registered with `email` (case-insensitive)."""

        def read(tx: Tx) -> str | None:
            row = tx.execute(
                "SELECT canonical_id FROM accounts WHERE email = ?", (email.strip().lower(),)
            ).fetchone()
            return str(row[0]) if row is not None else None

        return await self._db.read(read)
