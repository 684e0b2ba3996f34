"""One task: read the source version, write it to the destination region through its S3
endpoint (never its database), and classify what went wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from ferry.client import Credentials, RemoteS3, RemoteS3Error, TransportFailure
from ferry.client.s3 import object_path
from ferry.core.clock import epoch_ms
from ferry.core.errors import FerryError
from ferry.protocol import replica
from ferry.replication.retry import FailureReason
from ferry.replication.tasks import Operation, Task
from ferry.store import Objects, Version
from ferry.store.errors import NoSuchBucket


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


class Replicator:
    def __init__(
        self,
        objects: Objects,
        locator: DestinationLocator,
        client: RemoteS3,
        credentials: Credentials,
    ) -> None:
        self._objects = objects
        self._locator = locator
        self._client = client
        self._credentials = credentials

    async def replicate(self, task: Task) -> None:
        source = await self._read_source(task)
        destination = await self._locator.locate(task.destination_bucket)
        if destination is None:
            raise ReplicationFailure(
                FailureReason.DstBucketNotFound, f"no bucket {task.destination_bucket}"
            )
        url = destination.endpoint + object_path(task.destination_bucket, task.key)
        credentials = Credentials(
            access_key=self._credentials.access_key,
            secret_key=self._credentials.secret_key,
            region=destination.region,
        )
        descriptor = describe(source, task.storage_class)
        try:
            match task.operation:
                case Operation.OBJECT:
                    await self._put_object(credentials, url, source, descriptor)
                case Operation.DELETE_MARKER:
                    headers = {replica.REPLICA_HEADER: replica.to_header(descriptor)}
                    await self._client.request(credentials, "DELETE", url, headers=headers)
                case Operation.METADATA:
                    headers = {replica.REPLICA_HEADER: replica.to_header(descriptor)}
                    await self._client.request(
                        credentials, "PUT", url, params={"tagging": ""}, headers=headers
                    )
        except RemoteS3Error as exc:
            raise ReplicationFailure(
                classify_remote(exc, task.operation), str(exc),
                destination_region=destination.region,
            ) from exc  # fmt: skip
        except TransportFailure as exc:
            raise ReplicationFailure(
                FailureReason.DstRegionUnavailable, str(exc),
                destination_region=destination.region,
            ) from exc  # fmt: skip

    async def _read_source(self, task: Task) -> Version:
        try:
            source = await self._objects.version(task.bucket, task.key, task.version_id)
        except NoSuchBucket as exc:
            raise ReplicationFailure(FailureReason.SrcBucketNotFound, str(exc)) from exc
        if source is None:
            raise ReplicationFailure(
                FailureReason.SrcVersionNotFound,
                f"version {task.version_id} of {task.key} no longer exists",
            )
        return source

    async def _put_object(
        self,
        credentials: Credentials,
        url: str,
        source: Version,
        descriptor: replica.ReplicaDescriptor,
    ) -> None:
        prefix = replica.frame_prefix(descriptor)

        async def framed() -> AsyncIterator[bytes]:
            yield prefix
            async for chunk in self._objects.read_body(source):
                yield chunk

        headers = {
            replica.REPLICA_HEADER: replica.FRAMED,
            "content-length": str(len(prefix) + source.attrs.size),
            "content-type": "application/octet-stream",
        }
        await self._client.request(credentials, "PUT", url, headers=headers, content=framed())


def describe(source: Version, storage_class: str | None) -> replica.ReplicaDescriptor:
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
        tags=attrs.tags,
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
    if status == 403:
        return _DENIED[operation]
    if code in ("NoSuchVersion", "NoSuchKey", "MethodNotAllowed"):
        return FailureReason.DstVersionNotFound
    if code == "BadDigest":
        return FailureReason.ChecksumMismatch
    if code in ("SlowDown", "ServiceUnavailable") or status == 503:
        return FailureReason.DstThrottled
    if status >= 500:
        return FailureReason.DstServerError
    return FailureReason.Unknown
