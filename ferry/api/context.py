"""What a handler receives: the verified principal, the addressed resource, the services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ferry.api.auth import Authenticated, KeyLookup, Principal
from ferry.api.http import Request
from ferry.api.post_form import PostForm
from ferry.api.request_metrics import RequestMetrics
from ferry.config import DeploymentConfig, RegionConfig
from ferry.control import AccountSettings, BucketDirectory, Iam
from ferry.control.policy import Policy
from ferry.core.clock import Clock
from ferry.crypto import KeyService
from ferry.crypto.sse import ObjectEncryption
from ferry.events import NotificationConfigs, Outbox
from ferry.events.trail import TrailEvent
from ferry.replication import FailureStore, ReplicationMetrics
from ferry.replication.jobs import BatchJobs
from ferry.replication.repairs import RepairQueue
from ferry.replication.roles import ReplicationRoles
from ferry.store import (
    BucketLifecycle,
    BucketLogging,
    Buckets,
    Listings,
    Objects,
    Quotas,
    Replicas,
    Uploads,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationInfo:
    """What PutBucketReplication must know of a destination bucket."""

    region: str
    versioning_enabled: bool
    owner_account: str  # 12-digit account ID of the bucket's owner


class Identities(Protocol):
    """IAM as request authorisation needs it (implemented by the control plane)."""

    async def identity_policies(self, principal_arn: str) -> Sequence[Policy]:
        """The user's or role's inline and attached policies; [] when it has none."""
        ...

    async def account_of_canonical_id(self, canonical_id: str) -> str | None:
        """The 12-digit account whose canonical user ID this is; None: unknown."""
        ...


class ObjectAccess(Protocol):
    """Judges permissions a handler discovers only in the body (DeleteObjects' keys)."""

    async def require(self, action: str, key: str) -> None:
        """Raises `control.errors.AccessDenied` unless `action` is allowed on the request's
        bucket's object `key`."""
        ...

    async def require_replica_write(
        self, action: str, key: str, context: Mapping[str, str] | None = None
    ) -> None:
        """The same for a replica write (`s3:ReplicateObject`/`ReplicateDelete`/
        `ReplicateTags`) judged as the replication role the request names, with `context`'s
        extra condition keys."""
        ...

    async def require_key_use(self, action: str, key_arn: str, bucket: str, key: str) -> None:
        """Raises AccessDenied unless the caller may use KMS key `key_arn` (`action`:
        kms:GenerateDataKey, kms:Decrypt, kms:Encrypt) for object `key` of `bucket`."""
        ...

    async def require_pass_role(self, role_arn: str) -> None:
        """Raises AccessDenied unless the caller may hand S3 the role (iam:PassRole)."""
        ...

    @property
    def account_id(self) -> str | None:
        """The account the request acts as (a replica write: the role's); None: unrestricted."""
        ...


class DestinationChecker(Protocol):
    """Describes a replication destination bucket, wherever in the deployment it lives."""

    async def describe(self, bucket: str) -> DestinationInfo | None:
        """None: no such bucket anywhere."""
        ...

    async def has_object_lock(self, bucket: str) -> bool:
        """Whether the (existing) bucket has Object Lock; True when its region cannot say."""
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
    quotas: Quotas | None = None  # bucket quotas, for the admin API
    kms: KeyService | None = None  # the regional key service (KMS API, SSE-KMS)
    encryption: ObjectEncryption | None = None  # SSE data path; None: SSE requests refused
    # IAM users, roles and their policies; None: only roots act (see api/access.py)
    identities: Identities | None = None
    iam: Iam | None = None  # the IAM API's stores (control plane); None: IAM not served
    # replication roles as the engine resolves them, and `ferry verify --repair`'s task queue
    # (the admin API of replication/doctor.py, verify.py, explain.py)
    replication_roles: ReplicationRoles | None = None
    repairs: RepairQueue | None = None
    lifecycle: BucketLifecycle | None = None  # lifecycle configurations; None: refused
    trail: TrailSink | None = None  # the audit trail; None: requests are not recorded
    logging: BucketLogging | None = None  # server access logging configurations
    # account-level Block Public Access and e-mail → canonical ID (ACL grants by e-mail)
    account_settings: AccountSettings | None = None
    # exact replication metrics (`GET /_ferry/metrics`, the admin API's replication status)
    replication_metrics: ReplicationMetrics | None = None
    request_metrics: RequestMetrics | None = None  # None: [metrics] enabled = false


class TrailSink(Protocol):
    """Where the pipeline hands each request's audit event (`events.trail.TrailWriter`)."""

    def wants(self, bucket: str) -> bool:
        """Whether requests addressing `bucket` ("": none) are recorded at all."""
        ...

    def record(self, event: TrailEvent) -> None: ...


@dataclass(slots=True, kw_only=True)
class ItemNote:
    """One replica of a replica batch, as its own request would have been recorded."""

    operation: str  # the CloudTrail name of what the item wrote (PutObject, DeleteObject…)
    key: str
    version_id: str
    status: int = 200  # the HTTP status the item's own request would have had
    error_code: str = ""
    error_message: str = ""
    size: int = 0


@dataclass(slots=True, kw_only=True)
class CallNote:
    """What an API family's pipeline learnt about a request, for its audit event
    (`api/audit.py`): filled as the pipeline goes, read once the response is sent."""

    principal: Principal | None = None  # None: authentication did not get that far
    operation: str = ""  # the family's operation name (S3: the route's `Op`)
    bucket: str = ""
    key: str = ""
    items: list[ItemNote] = field(default_factory=list)  # a replica batch's items


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiCall:
    """A request as `api/app.py`'s table hands it to an API family's pipeline, before any
    step of that family (authentication included) has run."""

    request: Request
    request_id: str
    services: Services
    keys: KeyLookup  # every access key the region accepts, for the family's authentication
    ready: bool  # the app has finished starting up (`/_ferry/health` answers 200)
    note: CallNote = field(default_factory=CallNote)


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestContext:
    request: Request
    auth: Authenticated
    bucket: str
    key: str
    request_id: str
    services: Services
    access: ObjectAccess | None = None  # None: the handler needs no per-object check
    note: CallNote | None = None  # the request's audit note (a replica batch adds its items)
    form: PostForm | None = None  # PostObject's form (api/post_form.py)

    @property
    def principal(self) -> Principal:
        return self.auth.principal

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.request.params.get(name, default)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.request.headers.get(name, default)
