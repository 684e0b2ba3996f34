"""The IAM role a replication rule names, as the engine needs it: its trust policy and its
identity policies, from the global control plane.

Answers are cached for `ttl_s` (1 s): a worker asks once per task, and a policy fixed by the
operator reaches the workers of every region within that bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ferry.control import IdentityPolicies, Roles
from ferry.control.errors import MalformedPolicy
from ferry.control.iam_errors import NoSuchEntity
from ferry.control.identifiers import HolderKind, parse_principal_arn
from ferry.control.policy import PolicyKind, parse_policy
from ferry.replication.role_access import ReplicationRole

ROLE_CACHE_TTL_S = 1.0
_NO_SIZE_LIMIT = 10**9  # stored documents passed their size check when written


class ReplicationRoles:
    def __init__(
        self,
        roles: Roles,
        identities: IdentityPolicies,
        *,
        ttl_s: float = ROLE_CACHE_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._roles = roles
        self._identities = identities
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, ReplicationRole | None]] = {}

    async def resolve(self, arn: str) -> ReplicationRole | None:
        """None when `arn` names no existing role (the engine's AssumeRoleNotPermitted)."""
        now = self._monotonic()
        cached = self._cache.get(arn)
        if cached is not None and cached[0] > now:
            return cached[1]
        role = await self._load(arn)
        if len(self._cache) > 1_000:
            self._cache.clear()
        self._cache[arn] = (now + self._ttl_s, role)
        return role

    async def _load(self, arn: str) -> ReplicationRole | None:
        name = parse_principal_arn(arn)
        if name is None or name.kind is not HolderKind.ROLE or ":assumed-role/" in arn:
            return None
        try:
            stored = await self._roles.get(name.account_id, name.name)
        except NoSuchEntity:
            return None
        if stored.arn != arn:  # same name, another path: not the role the rule names
            return None
        try:
            trust = parse_policy(stored.trust_policy, PolicyKind.TRUST, max_chars=_NO_SIZE_LIMIT)
        except MalformedPolicy:
            trust = None
        return ReplicationRole(
            arn=arn,
            account_id=name.account_id,
            trust_policy=trust,
            policies=tuple(await self._identities.identity_policies(arn)),
        )
