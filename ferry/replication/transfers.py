"""Transfers: what one request to a destination carries, planned from claimed tasks and their
source versions. Small replicas (objects up to BATCH_ITEM_MAX_BYTES, delete markers, tags) for
one destination bucket share a batch within the item and byte limits; larger objects go one
per request. Each task's descriptor says what the replica is: its identity, metadata, tags and
ACL as the rule's role may read them, and how the destination encrypts it (reference §3.3).

Pure: no I/O (`replicator.py` sends the transfers).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ferry.core.clock import epoch_ms
from ferry.core.errors import FerryError
from ferry.crypto.sse import OpenKey, stored_body_size
from ferry.protocol import replica
from ferry.replication.identity import REPLICATION_ROLE_HEADER
from ferry.replication.retry import FailureReason
from ferry.replication.role_access import RoleGrant
from ferry.replication.tasks import Operation, Task
from ferry.store import Version
from ferry.store.records import Encryption, EncryptionKind

KiB, MiB = 1024, 1024 * 1024
BATCH_ITEM_MAX_BYTES = 256 * KiB  # larger objects stream in a request of their own
BATCH_MAX_ITEMS = 50
BATCH_MAX_BYTES = 1 * MiB  # object bytes per batch: bounds memory on both sides


class ReplicationFailure(FerryError):
    """A task did not complete; `reason` decides between retrying and FAILED.
    `destination_region` is known once the destination bucket was located."""

    def __init__(
        self, reason: FailureReason, message: str, *, destination_region: str | None = None
    ) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason
        self.destination_region = destination_region


@dataclass(frozen=True, slots=True)
class Outcome:
    task: Task
    failure: ReplicationFailure | None  # None: the destination has it


@dataclass(frozen=True, slots=True)
class Transfer:
    """One request's worth of work for one destination bucket: several small replicas
    (`batched`), or one task on its own, with the source versions it was planned from (read
    without their inline bodies: see `needs_bodies`)."""

    items: tuple[tuple[Task, Version], ...]
    batched: bool
    role_arn: str | None = None  # the rule's role the destination judges the writes as
    grants: Mapping[int, RoleGrant] = field(default_factory=dict)  # by task ID
    # by task ID: the data keys of encrypted sources sent as plaintext (opened by `run`)
    keys: Mapping[int, OpenKey] = field(default_factory=dict)

    @property
    def tasks(self) -> list[Task]:
        return [task for task, _ in self.items]

    @property
    def is_large(self) -> bool:
        """One object too large to batch, streamed in a request of its own."""
        return not self.batched and any(
            task.operation is Operation.OBJECT and source.attrs.size > BATCH_ITEM_MAX_BYTES
            for task, source in self.items
        )

    @property
    def needs_bodies(self) -> bool:
        """Planned from metadata: some object's bytes live in the database row (inline)."""
        return any(
            task.operation is Operation.OBJECT
            and not source.body.segments
            and stored_body_size(source.attrs) > 0
            for task, source in self.items
        )

    def with_sources(
        self, sources: Sequence[Version | ReplicationFailure]
    ) -> tuple[Transfer | None, list[Outcome]]:
        """The same transfer with freshly read sources; items whose source is gone by now
        fail (the second list)."""
        items = []
        failed = []
        for task, source in zip(self.tasks, sources, strict=True):
            if isinstance(source, ReplicationFailure):
                failed.append(Outcome(task, source))
            else:
                items.append((task, source))
        return (replace(self, items=tuple(items)) if items else None), failed

    def describe(self, task: Task, source: Version) -> replica.ReplicaDescriptor:
        grant = self.grants.get(task.task_id)
        descriptor = describe(
            source, task.storage_class, include_tags=grant is None or grant.include_tags
        )
        if grant is not None and grant.owner_override:
            descriptor = replace(descriptor, acl=(), owner_override=True)
        if grant is not None and grant.source_object_lock:
            descriptor = replace(descriptor, source_object_lock=True)
        if task.operation is not Operation.OBJECT or source.attrs.encryption is None:
            return descriptor
        replica_key = grant.replica_kms_key_id if grant is not None else None
        return replace(descriptor, encryption=replica_encryption(source, replica_key))

    @property
    def headers(self) -> dict[str, str]:
        """Headers every request of this transfer carries."""
        return {REPLICATION_ROLE_HEADER: self.role_arn} if self.role_arn else {}


def is_batchable(task: Task, source: Version) -> bool:
    return task.operation is not Operation.OBJECT or source.attrs.size <= BATCH_ITEM_MAX_BYTES


def is_sent_as_plaintext(encryption: Encryption | None) -> bool:
    """SSE-S3 and SSE-KMS versions are decrypted here; SSE-C ones travel as stored."""
    return encryption is not None and encryption.kind is not EncryptionKind.SSE_C


def encryption_refusal(
    task: Task, source: Version, grant: RoleGrant | None
) -> ReplicationFailure | None:
    """An SSE-KMS object replicates only to a rule that names the replica's key (the rule
    may have changed since the version was planned)."""
    encryption = source.attrs.encryption
    if task.operation is not Operation.OBJECT or encryption is None:
        return None
    if encryption.kind is EncryptionKind.SSE_KMS and (
        grant is None or not grant.replica_kms_key_id
    ):
        return ReplicationFailure(
            FailureReason.SrcObjectNotEligible,
            f"rule {task.rule_id} does not replicate SSE-KMS objects (no ReplicaKmsKeyID)",
        )
    return None


def replica_encryption(
    source: Version, replica_kms_key_id: str | None
) -> replica.ReplicaEncryption | None:
    """How the destination must encrypt the replica of `source` (reference §3.3)."""
    encryption = source.attrs.encryption
    if encryption is None:
        return None  # the destination bucket's default encryption applies
    bucket_key = encryption.bucket_key_enabled
    match encryption.kind:
        case EncryptionKind.SSE_S3:
            return replica.ReplicaEncryption(
                algorithm=replica.SSE_S3, bucket_key_enabled=bucket_key
            )
        case EncryptionKind.SSE_KMS:
            return replica.ReplicaEncryption(
                algorithm=replica.SSE_KMS, kms_key_id=replica_kms_key_id,
                kms_context=encryption.kms_context, bucket_key_enabled=bucket_key,
            )  # fmt: skip
        case EncryptionKind.SSE_C:
            return replica.ReplicaEncryption(
                algorithm=replica.SSE_C, wrapped_key=_b64(encryption.wrapped_key),
                customer_key_salt=_b64(encryption.customer_key_salt),
                customer_key_hmac=_b64(encryption.customer_key_hmac),
                frame_bytes=encryption.frame_bytes, stored_size=stored_body_size(source.attrs),
            )  # fmt: skip


def _b64(value: bytes | None) -> str | None:
    return base64.b64encode(value).decode() if value is not None else None


def group_transfers(
    items: list[tuple[Task, Version]],
    *,
    role_arn: str | None = None,
    grants: Mapping[int, RoleGrant] | None = None,
) -> Iterable[Transfer]:
    """Consecutive runs within the item and byte limits; a run of one goes on its own."""
    grants = grants or {}
    run: list[tuple[Task, Version]] = []
    size = 0
    for task, source in items:
        body = source.attrs.size if task.operation is Operation.OBJECT else 0
        if run and (len(run) >= BATCH_MAX_ITEMS or size + body > BATCH_MAX_BYTES):
            yield Transfer(tuple(run), batched=len(run) > 1, role_arn=role_arn, grants=grants)
            run, size = [], 0
        run.append((task, source))
        size += body
    if run:
        yield Transfer(tuple(run), batched=len(run) > 1, role_arn=role_arn, grants=grants)


def describe(
    source: Version, storage_class: str | None, *, include_tags: bool = True
) -> replica.ReplicaDescriptor:
    """`include_tags` False: the role may not read the tags, and AWS then replicates the
    object without them."""
    attrs = source.attrs
    return replica.ReplicaDescriptor(
        version_id=source.version_id,
        last_modified_ms=epoch_ms(source.last_modified),
        owner_id=source.owner_id,
        is_delete_marker=source.is_delete_marker,
        size=attrs.size,
        etag=attrs.etag,
        storage_class=storage_class or attrs.storage_class,
        content_headers=attrs.content_headers,
        user_metadata=attrs.user_metadata,
        tags=attrs.tags if include_tags else (),
        acl=tuple((g.grantee_type, g.grantee, g.permission) for g in attrs.acl),
        checksum_algorithm=attrs.checksum_algorithm,
        checksum_value=attrs.checksum_value,
        checksum_type=attrs.checksum_type,
        parts=tuple((p.size, p.checksum_value) for p in attrs.parts),
        lock_mode=attrs.lock_mode.value if attrs.lock_mode is not None else None,
        lock_until_ms=epoch_ms(attrs.lock_until) if attrs.lock_until is not None else None,
        legal_hold=attrs.legal_hold,
    )
