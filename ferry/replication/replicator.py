"""Transfers on the wire: read the source versions, write them to the destination region
through its S3 endpoint (never its database), and classify what went wrong.

A batched transfer (`transfers.py` plans them) travels in one ReplicateBatch request, whose
answer has one result per item; a large object streams in a request of its own. Either way
each task gets its own outcome.

Encrypted sources (reference §3.3): an SSE-S3 or SSE-KMS version is decrypted here and sent
as plaintext for the destination to encrypt again (SSE-S3 as SSE-S3, SSE-KMS under the rule's
ReplicaKmsKeyID); an SSE-C version travels as stored, since only its customer holds the key.
A source key that cannot be used fails the task before anything is sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from ferry.client import Credentials, RemoteS3, RemoteS3Error, TransportFailure
from ferry.client.s3 import object_path
from ferry.crypto import (
    CryptoError,
    KmsAccessDenied,
    KmsKeyDisabled,
    KmsKeyInvalidState,
    KmsKeyNotFound,
)
from ferry.crypto.sse import ObjectEncryption, OpenKey
from ferry.protocol import replica
from ferry.replication.retry import FailureReason
from ferry.replication.role_access import RoleGrant
from ferry.replication.tasks import Operation, Task
from ferry.replication.transfers import (
    Outcome,
    ReplicationFailure,
    Transfer,
    encryption_refusal,
    group_transfers,
    is_batchable,
    is_sent_as_plaintext,
)
from ferry.store import Objects, Tx, Version
from ferry.store.buckets import fetch_bucket_state
from ferry.store.errors import NoSuchBucket
from ferry.store.versions import fetch_version

OBJECT_LOCK_MISSING = "missing Object Lock Configuration"  # the destination's InvalidRequest
KiB = 1024
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
            elif (refusal := encryption_refusal(task, source, grant)) is not None:
                failed.append(Outcome(task, refusal))
            elif is_batchable(task, source):
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
            if task.operation is Operation.OBJECT and is_sent_as_plaintext(encryption):
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


def _remote_failure(
    error: RemoteS3Error, operation: Operation, destination: RegionEndpoint
) -> ReplicationFailure:
    return ReplicationFailure(
        classify_remote(error, operation), str(error), destination_region=destination.region
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
    if code == "InvalidRequest" and OBJECT_LOCK_MISSING in error.message:
        return FailureReason.DstBucketObjectLockConfigMissing
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
