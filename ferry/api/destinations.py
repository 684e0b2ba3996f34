"""PutBucketReplication's view of a destination bucket anywhere in the deployment: the bucket
directory says where it lives; a bucket of another region is asked through its S3 endpoint."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from ferry.api.context import DestinationInfo
from ferry.client import Credentials, RemoteS3, RemoteS3Error, TransportFailure
from ferry.control import BucketDirectory
from ferry.protocol.xml import parse_versioning_configuration
from ferry.store import Buckets, VersioningStatus
from ferry.store.errors import ObjectLockConfigurationNotFound

log = logging.getLogger("ferry.api")


class DeploymentDestinationChecker:
    def __init__(
        self,
        *,
        region: str,
        account_id: str,
        buckets: Buckets,
        directory: BucketDirectory,
        endpoints: dict[str, str],
        client: RemoteS3,
        credentials: Credentials,
        account_of_canonical_id: Callable[[str], Awaitable[str | None]] | None = None,
    ) -> None:
        """`account_id` is the deployment root's account: the owner of a bucket whose owner
        `account_of_canonical_id` (the control plane's accounts) does not know."""
        self._region = region
        self._account_id = account_id
        self._account_of_canonical_id = account_of_canonical_id
        self._buckets = buckets
        self._directory = directory
        self._endpoints = endpoints
        self._client = client
        self._credentials = credentials

    async def describe(self, bucket: str) -> DestinationInfo | None:
        entry = await self._directory.lookup(bucket)
        if entry is None:
            return None
        owner_account = await self._owner_account(entry.owner_id)
        if entry.region == self._region:
            local = await self._buckets.get(bucket)
            versioned = local.versioning is VersioningStatus.ENABLED
            return DestinationInfo(
                region=self._region, versioning_enabled=versioned, owner_account=owner_account
            )
        return DestinationInfo(
            region=entry.region,
            versioning_enabled=await self._remote_versioning(bucket, entry.region),
            owner_account=owner_account,
        )

    async def has_object_lock(self, bucket: str) -> bool:
        entry = await self._directory.lookup(bucket)
        if entry is None:
            return False
        if entry.region == self._region:
            try:
                await self._buckets.get_object_lock(bucket)
            except ObjectLockConfigurationNotFound:
                return False
            return True
        endpoint = self._endpoints.get(entry.region)
        if endpoint is None:
            return False
        try:
            await self._client.request(
                self._credentials_for(entry.region), "GET", f"{endpoint}/{bucket}",
                params={"object-lock": ""},
            )  # fmt: skip
        except RemoteS3Error as exc:
            # any other answer cannot say: the engine reports DstBucketObjectLockConfigMissing
            return exc.code != "ObjectLockConfigurationNotFoundError"
        except TransportFailure:
            return True
        return True

    def _credentials_for(self, region: str) -> Credentials:
        return Credentials(
            access_key=self._credentials.access_key,
            secret_key=self._credentials.secret_key,
            region=region,
        )

    async def _owner_account(self, canonical_id: str) -> str:
        if self._account_of_canonical_id is None:
            return self._account_id
        return await self._account_of_canonical_id(canonical_id) or self._account_id

    async def _remote_versioning(self, bucket: str, region: str) -> bool:
        endpoint = self._endpoints.get(region)
        if endpoint is None:
            return False
        credentials = Credentials(
            access_key=self._credentials.access_key,
            secret_key=self._credentials.secret_key,
            region=region,
        )
        try:
            response = await self._client.request(
                credentials, "GET", f"{endpoint}/{bucket}", params={"versioning": ""}
            )
        except (RemoteS3Error, TransportFailure) as exc:
            # The destination region cannot say: accept the configuration, as AWS accepts
            # what it cannot check at PUT time; the engine reports DstBucketUnversioned later.
            log.warning(
                "destination versioning unknown", extra={"bucket": bucket, "error": str(exc)}
            )
            return True
        status = parse_versioning_configuration(response.content).status
        return status is not None and status.value == "Enabled"
