"""What a handler receives: the verified principal, the addressed resource, the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ferry.api.auth import Authenticated, Principal
from ferry.api.http import Request
from ferry.config import DeploymentConfig, RegionConfig
from ferry.control import BucketDirectory
from ferry.core.clock import Clock
from ferry.events import NotificationConfigs, Outbox
from ferry.replication import FailureStore
from ferry.replication.jobs import BatchJobs
from ferry.store import Buckets, Listings, Objects, Replicas, Uploads


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationInfo:
    """What PutBucketReplication must know of a destination bucket."""

    region: str
    versioning_enabled: bool
    owner_account: str  # 12-digit account ID of the bucket's owner


class DestinationChecker(Protocol):
    """Describes a replication destination bucket, wherever in the deployment it lives."""

    async def describe(self, bucket: str) -> DestinationInfo | None:
        """None: no such bucket anywhere."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """Facades of one region; built only by `region.py`."""

    buckets: Buckets
    objects: Objects
    uploads: Uploads
    listings: Listings
    replicas: Replicas  # the destination side of replication
    clock: Clock
    region: RegionConfig
    owner_id: str  # canonical ID of the root account, shown as Owner
    directory: BucketDirectory  # the deployment's bucket → region map (control plane)
    deployment: DeploymentConfig  # every region of the deployment and its endpoint
    destinations: DestinationChecker  # replication destinations, for PutBucketReplication
    failures: FailureStore  # the replication failure store, for the admin API
    notifications: NotificationConfigs | None = None  # bucket notification configurations
    outbox: Outbox | None = None  # undelivered events, for the admin API
    jobs: BatchJobs | None = None  # S3 Batch Replication jobs (S3 Control API)


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestContext:
    request: Request
    auth: Authenticated
    bucket: str
    key: str
    request_id: str
    services: Services

    @property
    def principal(self) -> Principal:
        return self.auth.principal

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.request.params.get(name, default)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.request.headers.get(name, default)
