"""Tasks to transfers: read the source versions, write them to the destination region through
its S3 endpoint (never its database), and classify what went wrong.

Small replicas (objects up to BATCH_ITEM_MAX_BYTES, delete markers, tags) for one destination
bucket travel together in one ReplicateBatch request, whose answer has one result per item;
larger objects stream one per request. Either way each task gets its own outcome.

Encrypted sources (reference §3.3): an SSE-S3 or SSE-KMS version is decrypted here and sent
as plaintext for the destination to encrypt again (SSE-S3 as SSE-S3, SSE-KMS under the rule's
ReplicaKmsKeyID); an SSE-C version travels as stored, since only its customer holds the key.
A source key that cannot be used fails the task before anything is sent.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from ferry.client import Credentials, RemoteS3, RemoteS3Error, TransportFailure
from ferry.client.s3 import object_path
from ferry.core.clock import epoch_ms
from ferry.core.errors import FerryError
from ferry.crypto import (
    CryptoError,
    KmsAccessDenied,
    KmsKeyDisabled,
    KmsKeyInvalidState,
    KmsKeyNotFound,
)
from ferry.crypto.sse import ObjectEncryption, OpenKey, stored_body_size
from ferry.protocol import replica
from ferry.replication.identity import REPLICATION_ROLE_HEADER
from ferry.replication.retry import FailureReason
from ferry.replication.role_access import RoleGrant
from ferry.replication.tasks import Operation, Task
from ferry.store import Objects, Tx, Version
from ferry.store.buckets import fetch_bucket_state
from ferry.store.errors import NoSuchBucket
from ferry.store.records import Encryption, EncryptionKind
from ferry.store.versions import fetch_version

KiB, MiB = 1024, 1024 * 1024
BATCH_ITEM_MAX_BYTES = 256 * KiB  # larger objects stream in a request of their own
BATCH_MAX_ITEMS = 50
BATCH_MAX_BYTES = 1 * MiB  # object bytes per batch: bounds memory on both sides
SEND_CHUNK_BYTES = 256 * KiB
BATCH_REFUSAL_MEMORY_S = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionEndpoint:
    region: str
    endpoint: str  # http://host:port


class DestinationLocator(Protocol):
    async def locate(self, bucket: str) -> RegionEndpoint | None:
        """Where a destination bucket lives, or None if it exists nowhere."""
        ...


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
        if task.operation is not Operation.OBJECT or source.attrs.encryption is None:
            return descriptor
        replica_key = grant.replica_kms_key_id if grant is not None else None
        return replace(descriptor, encryption=replica_encryption(source, replica_key))

    @property
    def headers(self) -> dict[str, str]:
        """Headers every request of this transfer carries."""
        return {REPLICATION_ROLE_HEADER: self.role_arn} if self.role_arn else {}


class Replicator:
    def __init__(
        self,
        objects: Objects,
        locator: DestinationLocator,
        client: RemoteS3,
        credentials: Credentials,
        encryption: ObjectEncryption | None = None,  # None: encrypted sources cannot be read
    ) -> None:
        self._objects = objects
        self._encryption = encryption
        self._locator = locator
        self._client = client
        self._credentials = credentials
        self._endpoints: dict[str, str] = {}  # region → endpoint, as destinations were located
        # region → until when its replicas go one per request: it refused the batch request
        # as a whole (AccessDenied), so each item must get its own answer and reason
        self._batch_refused_until: dict[str, float] = {}

    def plan(
        self,
        tasks: Sequence[Task],
        sources: Sequence[Version | ReplicationFailure],
        grants: Mapping[int, RoleGrant] | None = None,
    ) -> tuple[list[Transfer], list[Outcome]]:
        """Group tasks (with their sources, from `read_sources`, and what their rules' roles
        allow, by task ID) into transfers. Tasks whose source is gone fail here (the second
        list)."""
        grants = grants or {}
        failed: list[Outcome] = []
        by_destination: dict[tuple[str, str | None], list[tuple[Task, Version]]] = {}
        transfers: list[Transfer] = []
        for task, source in zip(tasks, sources, strict=True):
            grant = grants.get(task.task_id)
            role = grant.role_arn if grant is not None else None
            if isinstance(source, ReplicationFailure):
                failed.append(Outcome(task, source))
            elif (refusal := _encryption_refusal(task, source, grant)) is not None:
                failed.append(Outcome(task, refusal))
            elif _batchable(task, source):
                key = (task.destination_bucket, role)
                by_destination.setdefault(key, []).append((task, source))
            else:
                transfers.append(
                    Transfer(((task, source),), batched=False, role_arn=role, grants=grants)
                )
        for (_, role), items in by_destination.items():
            transfers.extend(group_transfers(items, role_arn=role, grants=grants))
        return transfers, failed

    async def run(self, transfer: Transfer) -> list[Outcome]:
        """Carry out one transfer; every task of it gets its outcome, never an exception
        (except cancellation)."""
        try:
            destination = await self._destination(transfer.items[0][0].destination_bucket)
        except ReplicationFailure as failure:
            return [Outcome(task, failure) for task in transfer.tasks]
        opened, failed = await self._open_keys(transfer)
        if opened is None:
            return failed
        if opened.batched and not self._refuses_batches(destination.region):
            outcomes = await self._send_batch(opened, destination)
            if outcomes is not None:
                return failed + outcomes
        return failed + list(
            await asyncio.gather(
                *(self._one(opened, task, source, destination) for task, source in opened.items)
            )
        )

    async def _open_keys(self, transfer: Transfer) -> tuple[Transfer | None, list[Outcome]]:
        """The data keys of SSE-S3/SSE-KMS sources, whose plaintext travels; tasks whose key
        cannot be used fail (the second list) before anything is sent."""
        keys: dict[int, OpenKey] = {}
        items: list[tuple[Task, Version]] = []
        failed: list[Outcome] = []
        for task, source in transfer.items:
            encryption = source.attrs.encryption
            if task.operation is Operation.OBJECT and _sent_as_plaintext(encryption):
                try:
                    keys[task.task_id] = await self._open_key(source)
                except ReplicationFailure as failure:
                    failed.append(Outcome(task, failure))
                    continue
            items.append((task, source))
        if not keys and not failed:
            return transfer, []
        if not items:
            return None, failed
        return replace(transfer, items=tuple(items), keys=keys), failed

    async def _open_key(self, source: Version) -> OpenKey:
        if self._encryption is None:
            raise ReplicationFailure(
                FailureReason.InternalError, "this region cannot read encrypted objects"
            )
        try:
            key = await self._encryption.open(
                source.attrs.encryption, None, bucket=source.bucket, key=source.key
            )
        except KmsAccessDenied as exc:
            raise ReplicationFailure(FailureReason.SrcGetObjectNotPermitted, exc.message) from exc
        except (KmsKeyNotFound, KmsKeyDisabled, KmsKeyInvalidState) as exc:
            raise ReplicationFailure(FailureReason.SrcKmsKeyInvalidState, exc.message) from exc
        except CryptoError as exc:  # the key is unavailable here: retried
            raise ReplicationFailure(FailureReason.InternalError, exc.message) from exc
        assert key is not None
        return key

    def _source_bytes(
        self, transfer: Transfer, task: Task, source: Version
    ) -> AsyncIterator[bytes]:
        """Plaintext, or the stored bytes of an SSE-C version (and of a plaintext one)."""
        key = transfer.keys.get(task.task_id)
        if key is not None and self._encryption is not None:
            return self._encryption.read(source, key)
        return self._objects.read_body(source)

    async def _one(
        self, transfer: Transfer, task: Task, source: Version, destination: RegionEndpoint
    ) -> Outcome:
        try:
            await self._replicate_one(transfer, task, source, destination)
        except ReplicationFailure as failure:
            return Outcome(task, failure)
        return Outcome(task, None)

    def _refuses_batches(self, region: str) -> bool:
        until = self._batch_refused_until.get(region)
        return until is not None and time.monotonic() < until

    async def _destination(self, bucket: str) -> RegionEndpoint:
        destination = await self._locator.locate(bucket)
        if destination is None:
            raise ReplicationFailure(FailureReason.DstBucketNotFound, f"no bucket {bucket}")
        self._endpoints[destination.region] = destination.endpoint
        return destination

    async def region_is_up(self, region: str) -> bool:
        """Whether a destination region that could not be reached answers again."""
        endpoint = self._endpoints.get(region)
        return endpoint is not None and await self._client.is_healthy(endpoint)

    def _credentials_for(self, destination: RegionEndpoint) -> Credentials:
        return Credentials(
            access_key=self._credentials.access_key,
            secret_key=self._credentials.secret_key,
            region=destination.region,
        )

    async def _send_batch(
        self, transfer: Transfer, destination: RegionEndpoint
    ) -> list[Outcome] | None:
        """Every task's outcome, or None when the destination refused the batch request itself
        (AccessDenied): the items then go one per request, each judged on its own."""
        bucket = transfer.items[0][0].destination_bucket
        frames: list[tuple[bytes, AsyncIterator[bytes] | None]] = []
        length = 0
        for task, source in transfer.items:
            item = replica.BatchItem(
                key=task.key, operation=task.operation.value,
                descriptor=transfer.describe(task, source),
            )  # fmt: skip
            header = replica.item_header(item)
            is_object = task.operation is Operation.OBJECT
            frames.append(
                (header, self._source_bytes(transfer, task, source) if is_object else None)
            )
            length += len(header) + item.body_size
        headers = {
            replica.REPLICA_HEADER: replica.BATCH,
            "content-length": str(length),
            "content-type": "application/octet-stream",
            **transfer.headers,
        }
        try:
            response = await self._client.request(
                self._credentials_for(destination), "POST",
                destination.endpoint + object_path(bucket, "").rstrip("/"),
                headers=headers, content=self._batch_body(frames),
            )  # fmt: skip
            results = replica.results_from_json(response.content)
            if len(results) != len(frames):
                raise ValueError("one result per item expected")
        except RemoteS3Error as exc:
            if exc.status == 403:
                self._batch_refused_until[destination.region] = (
                    time.monotonic() + BATCH_REFUSAL_MEMORY_S
                )
                return None
            # the batch as a whole was refused (no such bucket, 301, ...), so was each item
            return [
                Outcome(task, _remote_failure(exc, task.operation, destination))
                for task in transfer.tasks
            ]
        except TransportFailure as exc:
            failure = ReplicationFailure(
                FailureReason.DstRegionUnavailable, str(exc), destination_region=destination.region
            )
            return [Outcome(task, failure) for task in transfer.tasks]
        except ValueError as exc:
            failure = ReplicationFailure(
                FailureReason.DstServerError, f"malformed batch answer: {exc}",
                destination_region=destination.region,
            )  # fmt: skip
            return [Outcome(task, failure) for task in transfer.tasks]
        return [
            Outcome(task, None if result.ok else _remote_failure(
                RemoteS3Error(result.code, result.status, result.message),
                task.operation, destination,
            ))
            for task, result in zip(transfer.tasks, results, strict=True)
        ]  # fmt: skip

    async def _batch_body(
        self, frames: Iterable[tuple[bytes, AsyncIterator[bytes] | None]]
    ) -> AsyncIterator[bytes]:
        """Each item's header, then the object's bytes (objects only), streamed in writes of
        about SEND_CHUNK_BYTES: a socket write per tiny piece would cost more than the copy."""
        pending: list[bytes] = []
        size = 0
        for header, body in frames:
            pending.append(header)
            size += len(header)
            if body is not None:
                async for chunk in body:
                    pending.append(chunk)
                    size += len(chunk)
            if size >= SEND_CHUNK_BYTES:
                yield b"".join(pending)
                pending, size = [], 0
        if pending:
            yield b"".join(pending)

    async def _replicate_one(
        self, transfer: Transfer, task: Task, source: Version, destination: RegionEndpoint
    ) -> None:
        url = destination.endpoint + object_path(task.destination_bucket, task.key)
        credentials = self._credentials_for(destination)
        descriptor = transfer.describe(task, source)
        try:
            match task.operation:
                case Operation.OBJECT:
                    body = self._source_bytes(transfer, task, source)
                    await self._put_object(credentials, url, body, descriptor, transfer.headers)
                case Operation.DELETE_MARKER:
                    headers = {
                        replica.REPLICA_HEADER: replica.to_header(descriptor),
                        **transfer.headers,
                    }
                    await self._client.request(credentials, "DELETE", url, headers=headers)
                case Operation.METADATA:
                    headers = {
                        replica.REPLICA_HEADER: replica.to_header(descriptor),
                        **transfer.headers,
                    }
                    await self._client.request(
                        credentials, "PUT", url, params={"tagging": ""}, headers=headers
                    )
        except RemoteS3Error as exc:
            raise _remote_failure(exc, task.operation, destination) from exc
        except TransportFailure as exc:
            raise ReplicationFailure(
                FailureReason.DstRegionUnavailable, str(exc),
                destination_region=destination.region,
            ) from exc  # fmt: skip

    async def _put_object(
        self,
        credentials: Credentials,
        url: str,
        body: AsyncIterator[bytes],
        descriptor: replica.ReplicaDescriptor,
        extra_headers: Mapping[str, str],
    ) -> None:
        prefix = replica.frame_prefix(descriptor)

        async def framed() -> AsyncIterator[bytes]:
            yield prefix
            async for chunk in body:
                yield chunk

        headers = {
            **replica.encryption_headers(descriptor),
            replica.REPLICA_HEADER: replica.FRAMED,
            "content-length": str(len(prefix) + descriptor.wire_size),
            "content-type": "application/octet-stream",
            **extra_headers,
        }
        await self._client.request(credentials, "PUT", url, headers=headers, content=framed())


def read_sources(
    tx: Tx, tasks: Sequence[Task], *, with_body: bool = True
) -> list[Version | ReplicationFailure]:
    """Every task's source version in one read transaction (one trip to the database for a
    whole claim, rather than one per task), or why it cannot be replicated. Without
    `with_body`, small (inline) bodies are left out: enough to plan transfers."""
    buckets: dict[str, bool] = {}
    sources: list[Version | ReplicationFailure] = []
    for task in tasks:
        if task.bucket not in buckets:
            try:
                fetch_bucket_state(tx, task.bucket)
                buckets[task.bucket] = True
            except NoSuchBucket:
                buckets[task.bucket] = False
        if not buckets[task.bucket]:
            sources.append(
                ReplicationFailure(FailureReason.SrcBucketNotFound, f"no bucket {task.bucket}")
            )
            continue
        source = fetch_version(tx, task.bucket, task.key, task.version_id, with_body=with_body)
        sources.append(source if source is not None else _version_gone(task))
    return sources


def _version_gone(task: Task) -> ReplicationFailure:
    return ReplicationFailure(
        FailureReason.SrcVersionNotFound,
        f"version {task.version_id} of {task.key} no longer exists",
    )


def _batchable(task: Task, source: Version) -> bool:
    return task.operation is not Operation.OBJECT or source.attrs.size <= BATCH_ITEM_MAX_BYTES


def _sent_as_plaintext(encryption: Encryption | None) -> bool:
    """SSE-S3 and SSE-KMS versions are decrypted here; SSE-C ones travel as stored."""
    return encryption is not None and encryption.kind is not EncryptionKind.SSE_C


def _encryption_refusal(
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


def _remote_failure(
    error: RemoteS3Error, operation: Operation, destination: RegionEndpoint
) -> ReplicationFailure:
    return ReplicationFailure(
        classify_remote(error, operation), str(error), destination_region=destination.region
    )


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
    )


_DENIED = {
    Operation.OBJECT: FailureReason.DstPutObjectNotPermitted,
    Operation.DELETE_MARKER: FailureReason.DstDelObjNotPermitted,
    Operation.METADATA: FailureReason.DstPutTaggingNotPermitted,
}


def classify_remote(error: RemoteS3Error, operation: Operation) -> FailureReason:
    """The one mapping from a destination's answer to an AWS failure reason."""
    code, status = error.code, error.status
    if code in ("NoSuchBucket", "PermanentRedirect"):
        return FailureReason.DstBucketNotFound
    if code == "InvalidBucketState":
        return FailureReason.DstBucketUnversioned
    if code == "KMS.NotFoundException":  # the rule's ReplicaKmsKeyID names no key there
        return FailureReason.DstKmsKeyNotFound
    if code in ("KMS.DisabledException", "KMS.KMSInvalidStateException"):
        return FailureReason.DstKmsKeyInvalidState
    if status == 403:
        return _DENIED[operation]
    if code in ("NoSuchVersion", "NoSuchKey", "MethodNotAllowed"):
        return FailureReason.DstVersionNotFound
    if code == "BadDigest":
        return FailureReason.ChecksumMismatch
    if code == "XMinioAdminBucketQuotaExceeded":  # the destination's bucket quota (MinIO's code)
        return FailureReason.DstBucketQuotaExceeded
    if code in ("SlowDown", "ServiceUnavailable") or status == 503:
        return FailureReason.DstThrottled
    if status >= 500:
        return FailureReason.DstServerError
    return FailureReason.Unknown
