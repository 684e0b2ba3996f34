"""Before a claim's tasks travel: may each rule's role read what it must replicate?

For every task whose source version was read, the source bucket's replication configuration
names the role (the current configuration, as AWS uses the role configured when it replicates);
`role_access.check_source` judges it against the role's policies and the source bucket's policy.
A denied task fails at once with AWS's reason (AssumeRoleNotPermitted,
SrcGetObjectNotPermitted, SrcGetAclNotPermitted); a role that may not read tags replicates the
object without them. The role's ARN travels with the replica writes, so the destination can
judge them as that role, and so do the rule's ReplicaKmsKeyID and owner override as configured
now (a rule fixed after a failure is what its re-drive uses, as with AWS's Batch Replication).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from ferry.control.errors import MalformedPolicy
from ferry.control.policy import Policy, PolicyKind, parse_policy
from ferry.protocol.xml.replication import ReplicationConfiguration, ReplicationDestination
from ferry.replication.role_access import RoleGrant, SourceDenied, check_source
from ferry.replication.roles import ReplicationRoles
from ferry.replication.tasks import Task
from ferry.replication.transfers import ReplicationFailure
from ferry.store import (
    Database,
    Tx,
    Version,
    fetch_bucket_access,
    fetch_replication_configuration,
    find_bucket_state,
)
from ferry.store.records import EncryptionKind


@dataclass(frozen=True, slots=True, kw_only=True)
class _SourceBucket:
    configuration: ReplicationConfiguration
    policy: Policy | None
    owner_canonical_id: str
    object_lock: bool = False  # the bucket has Object Lock: its lock replicates too

    @property
    def role_arn(self) -> str:
        return self.configuration.role.strip()

    def destination(self, rule_id: str) -> ReplicationDestination | None:
        """The rule's destination settings as configured now (None: the rule is gone)."""
        for rule in self.configuration.rules:
            if (rule.id or "") == rule_id:
                return rule.destination
        return None


class OwnerAccounts(Protocol):
    """Canonical ID → account ID, for accounts IAM knows."""

    async def account_of_canonical_id(self, canonical_id: str) -> str | None: ...


class SourceAuthorizer:
    def __init__(
        self,
        db: Database,
        roles: ReplicationRoles,
        accounts: OwnerAccounts,
        *,
        root_account_id: str,
        root_canonical_id: str,
    ) -> None:
        self._db = db
        self._roles = roles
        self._accounts = accounts
        self._root = (root_canonical_id, root_account_id)

    async def authorize(
        self, tasks: Sequence[Task], sources: Sequence[Version | ReplicationFailure]
    ) -> tuple[list[Version | ReplicationFailure], dict[int, RoleGrant]]:
        """`sources` with denied tasks replaced by their failure, and each allowed task's
        grant by task ID."""
        names = {t.bucket for t, s in zip(tasks, sources, strict=True) if isinstance(s, Version)}
        buckets = await self._db.read(lambda tx: {name: _source_bucket(tx, name) for name in names})
        # once per bucket, not per task: a claim holds many tasks of few buckets
        owners = {
            name: await self._account_of(bucket.owner_canonical_id)
            for name, bucket in buckets.items()
            if bucket is not None
        }
        judged: list[Version | ReplicationFailure] = []
        grants: dict[int, RoleGrant] = {}
        for task, source in zip(tasks, sources, strict=True):
            bucket = buckets.get(task.bucket)
            if isinstance(source, ReplicationFailure) or bucket is None:
                judged.append(source)
                continue
            verdict = check_source(
                await self._roles.resolve(bucket.role_arn),
                bucket=task.bucket,
                key=task.key,
                operation=task.operation,
                bucket_policy=bucket.policy,
                bucket_account=owners[task.bucket],
                kms_key_arn=_kms_key_of(source),
                object_lock=bucket.object_lock,
            )
            if isinstance(verdict, SourceDenied):
                judged.append(
                    ReplicationFailure(
                        verdict.reason,
                        f"role {bucket.role_arn or '(none)'} may not replicate "
                        f"{task.bucket}/{task.key}: {verdict.reason.value}"
                        + (f" (needs {verdict.permission})" if verdict.permission else ""),
                    )
                )
                continue
            judged.append(source)
            destination = bucket.destination(task.rule_id)
            grants[task.task_id] = RoleGrant(
                role_arn=bucket.role_arn,
                include_tags=verdict.include_tags,
                replica_kms_key_id=destination.replica_kms_key_id if destination else None,
                owner_override=destination is not None and destination.owner_override is not None,
                source_object_lock=bucket.object_lock,
            )
        return judged, grants

    async def _account_of(self, canonical_id: str) -> str:
        if canonical_id == self._root[0]:
            return self._root[1]
        return await self._accounts.account_of_canonical_id(canonical_id) or ""


def _source_bucket(tx: Tx, name: str) -> _SourceBucket | None:
    """None: no bucket, or no replication configuration left (the task fails elsewhere)."""
    configuration = fetch_replication_configuration(tx, name)
    if configuration is None:
        return None
    access = fetch_bucket_access(tx, name)
    state = find_bucket_state(tx, name)
    return _SourceBucket(
        configuration=configuration,
        policy=_policy(access.policy) if access.policy else None,
        owner_canonical_id=access.owner_id,
        object_lock=state is not None and state.object_lock is not None,
    )


def _kms_key_of(source: Version) -> str | None:
    encryption = source.attrs.encryption
    if encryption is None or encryption.kind is not EncryptionKind.SSE_KMS:
        return None
    return encryption.kms_key_arn


@lru_cache(maxsize=256)
def _policy(document: str) -> Policy | None:
    try:
        return parse_policy(document, PolicyKind.RESOURCE)
    except MalformedPolicy:
        return None  # validated when stored; a document that no longer parses grants nothing
