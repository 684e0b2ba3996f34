"""IAM as request authorisation sees it (the `Identities` seam of `api/context.py`): a
principal's identity policies, and the account behind a canonical user ID.

Parsed policies are cached per principal for `ttl_s` (1 s by default). Every region is its own
process reading the one control database, so that TTL bounds how long a policy change (put,
delete, attach, detach) takes to reach every region: at most `ttl_s` after it commits. The
region that made the change drops its own entry at once (`forget`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from ferry.control.accounts import Accounts
from ferry.control.errors import MalformedPolicy
from ferry.control.identifiers import parse_principal_arn
from ferry.control.policies import Holder, Policies
from ferry.control.policy import Policy, PolicyKind, parse_policy

log = logging.getLogger("ferry.control.identities")

POLICY_CACHE_TTL_S = 1.0
MAX_CACHED_PRINCIPALS = 10_000
_NO_SIZE_LIMIT = 10**9  # stored documents passed their size check when they were written


class IdentityPolicies:
    def __init__(
        self,
        policies: Policies,
        accounts: Accounts,
        *,
        ttl_s: float = POLICY_CACHE_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._policies = policies
        self._accounts = accounts
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, tuple[Policy, ...]]] = {}

    async def identity_policies(self, principal_arn: str) -> Sequence[Policy]:
        """Inline then attached policies of the user or role `principal_arn` names (an STS
        assumed-role session gets its role's); () for roots and unknown principals."""
        now = self._monotonic()
        cached = self._cache.get(principal_arn)
        if cached is not None and cached[0] > now:
            return cached[1]
        name = parse_principal_arn(principal_arn)
        if name is None:
            return ()
        holder = Holder(account_id=name.account_id, kind=name.kind, name=name.name)
        parsed = tuple(_parse_stored(text) for text in await self._policies.documents_of(holder))
        policies = tuple(p for p in parsed if p is not None)
        if len(self._cache) >= MAX_CACHED_PRINCIPALS:
            self._cache.clear()
        self._cache[principal_arn] = (now + self._ttl_s, policies)
        return policies

    async def account_of_canonical_id(self, canonical_id: str) -> str | None:
        return await self._accounts.account_of_canonical_id(canonical_id)

    def forget(self) -> None:
        """Drop every cached answer (this process just changed some policy)."""
        self._cache.clear()


def _parse_stored(text: str) -> Policy | None:
    try:
        return parse_policy(text, PolicyKind.IDENTITY, max_chars=_NO_SIZE_LIMIT)
    except MalformedPolicy:
        # Validated when written; a document the parser now refuses grants nothing.
        log.warning("stored identity policy no longer parses")
        return None
