"""Composition root: builds one region's services and its ASGI app. The only module that
instantiates concrete implementations."""

from __future__ import annotations

import asyncio
import hmac
import logging
import socket
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from ferry.api.app import S3App
from ferry.api.auth import Principal, PrincipalKind
from ferry.api.context import Services
from ferry.api.destinations import DeploymentDestinationChecker
from ferry.api.request_metrics import RequestMetrics
from ferry.client import Credentials, RemoteS3
from ferry.config import (
    SQLITE_DATABASE,
    ConfigError,
    DeploymentConfig,
    RegionConfig,
    RootCredentials,
    one_region_deployment,
)
from ferry.console import ASGIApp, ConsoleApp, ConsoleDeps, Sessions
from ferry.control import (
    CONTROL_DATABASE_NAME,
    CONTROL_MIGRATIONS,
    AccessKeys,
    Accounts,
    AccountSettings,
    BucketDirectory,
    DirectoryEntry,
    Iam,
    IdentityPolicies,
    KeyHolderKind,
    Policies,
    Roles,
    SecretSealer,
    StoredKeyLookup,
    Users,
)
from ferry.core.clock import Clock, SystemClock
from ferry.core.secret import Secret
from ferry.core.tls import TLSFileError, client_verification
from ferry.crypto import KeyService, load_or_create_master_key
from ferry.crypto.bucket_defaults import BucketEncryptionDefaults
from ferry.crypto.sse import ObjectEncryption
from ferry.events import DeliverySettings, EventDelivery, EventOutbox, NotificationConfigs, Outbox
from ferry.events.trail import AccessLogDelivery, StoreLogSink, TrailWriter, WriterSettings
from ferry.lifecycle import LifecycleWorker
from ferry.replication.backlog import ReplicationBacklog
from ferry.replication.failures import FailureStore
from ferry.replication.identity import (
    REPLICATION_ACCESS_KEY,
    replication_role_arn,
    replication_secret,
)
from ferry.replication.job_runner import BatchJobRunner
from ferry.replication.jobs import BatchJobs
from ferry.replication.locator import DirectoryLocator
from ferry.replication.metrics import ReplicationMetrics
from ferry.replication.planner import ReplicationPlanner
from ferry.replication.repairs import RepairQueue
from ferry.replication.replicator import Replicator
from ferry.replication.retry import RetryPolicy
from ferry.replication.roles import ReplicationRoles
from ferry.replication.rtc import ThresholdWatch
from ferry.replication.source_access import SourceAuthorizer
from ferry.replication.worker import ReplicationWorker, WorkerSettings
from ferry.store import (
    BucketLifecycle,
    BucketLogging,
    Buckets,
    Database,
    FileBlobStore,
    Listings,
    Objects,
    PostgresDatabase,
    Quotas,
    Replicas,
    SqliteDatabase,
    Uploads,
    VersionHooks,
    migrate_postgres,
    redact_url,
    sweep_orphaned_blobs,
)
from ferry.store.errors import DatabaseUnavailable, SchemaMismatch
from ferry.store.migrations import check_sqlite, migrate_sqlite

log = logging.getLogger("ferry.region")


DEPLOYMENT_ROOT_ACCOUNT_NAME = "deployment-root"
REGION_DATABASE_NAME = "metadata.sqlite3"
REGION_COMPONENT, CONTROL_COMPONENT = "region", "control"  # the two kinds of database
# What building a region may fail with that is the operator's to fix (printed, exit 2).
STARTUP_ERRORS: tuple[type[Exception], ...] = (
    ConfigError,
    DatabaseUnavailable,
    SchemaMismatch,
    TLSFileError,
)


class DeploymentKeys:
    """Every key the deployment accepts: the root credentials (ferry.toml), the internal
    replication identity, and the keys stored in the control plane (account roots' and IAM
    users', `control.keys`)."""

    def __init__(self, root: RootCredentials, stored: StoredKeyLookup) -> None:
        self._root = root
        self._stored = stored
        self._principal = Principal(
            access_key=root.access_key,
            account_id=root.account_id,
            arn=f"arn:aws:iam::{root.account_id}:root",
            is_root=True,
            kind=PrincipalKind.DEPLOYMENT_ROOT,
        )
        self._replication_secret = replication_secret(root.secret_key)
        self._replication = Principal(
            access_key=REPLICATION_ACCESS_KEY,
            account_id=root.account_id,
            arn=replication_role_arn(root.account_id),
            kind=PrincipalKind.REPLICATION,
        )

    def lookup(self, access_key: str) -> tuple[Secret, Principal] | None:
        if access_key == self._root.access_key:
            return self._root.secret_key, self._principal
        if access_key == REPLICATION_ACCESS_KEY:
            return self._replication_secret, self._replication
        found = self._stored.lookup(access_key)
        if found is None:
            return None
        kind = (
            PrincipalKind.USER if found.holder is KeyHolderKind.USER else PrincipalKind.ACCOUNT_ROOT
        )
        principal = Principal(
            access_key=access_key, account_id=found.account_id, arn=found.arn, kind=kind
        )
        return found.secret, principal


# The packages whose tables make up a region's database, in dependency order (each package's
# migrations live in `<package>/sql/sqlite/`).
REGION_MIGRATIONS = ("ferry.store", "ferry.crypto", "ferry.replication", "ferry.events")


@dataclass(slots=True)
class Region:
    config: RegionConfig
    db: Database
    services: Services
    app: S3App
    control_db: Database  # the deployment's control plane, shared with the other regions
    worker: ReplicationWorker
    job_runner: BatchJobRunner | None = None  # batch replication jobs
    lifecycle: LifecycleWorker | None = None  # applies the buckets' lifecycle rules
    delivery: EventDelivery | None = None  # the event outbox's delivery loop
    console: ConsoleApp | None = None  # /_console/ in front of `app`; None: disabled
    trail: TrailWriter | None = None  # the audit trail's writer
    access_logs: AccessLogDelivery | None = None  # server access log delivery

    @property
    def served(self) -> ASGIApp:
        """What the region's HTTP server runs: the console in front of the S3 app, if on."""
        return self.console if self.console is not None else self.app


def build_region(
    config: RegionConfig,
    root: RootCredentials,
    clock: Clock | None = None,
    *,
    deployment: DeploymentConfig | None = None,
    remote_transport: httpx.AsyncBaseTransport | None = None,
    run_workers: bool = True,
    migrate: bool = False,
) -> Region:
    """One region of `deployment` (by default a deployment of this region alone, whose
    control plane lives in `<data dir>/control/`). `migrate`: apply pending migrations to
    PostgreSQL databases (SQLite ones always migrate themselves)."""
    clock = clock or SystemClock()
    deployment = deployment or one_region_deployment(config, root)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    # The root of the region's key hierarchy (docs/encryption.md): before any data is served.
    master_key = load_or_create_master_key(config.master_key_file, config.data_dir)
    db = open_database(region_database(deployment, config), migrate=migrate)
    kms = KeyService(db, master_key, clock, config.name)
    control_db = open_database(control_database(deployment), migrate=migrate)
    directory = BucketDirectory(control_db, clock)
    sealer = SecretSealer(root.secret_key)
    stored_keys = StoredKeyLookup(control_db, sealer)
    accounts = Accounts(control_db, clock, sealer)
    policies = Policies(control_db, clock)
    iam = Iam(
        accounts=accounts,
        users=Users(control_db, clock),
        access_keys=AccessKeys(control_db, clock, sealer),
        roles=Roles(control_db, clock),
        policies=policies,
        identities=IdentityPolicies(policies, accounts),
    )
    blobs = FileBlobStore(config.data_dir / "blobs")
    hooks = VersionHooks()
    buckets = Buckets(db, clock, config.name)
    objects = Objects(db, blobs, hooks, clock)
    endpoints = {r.name: r.endpoint for r in deployment.regions}
    client = RemoteS3(
        transport=remote_transport, verify=client_verification(deployment.tls_ca_bundle)
    )
    identity = Credentials(
        access_key=REPLICATION_ACCESS_KEY,
        secret_key=replication_secret(root.secret_key),
        region=config.name,
    )
    encryption = ObjectEncryption(objects, master_key, kms, BucketEncryptionDefaults(db))
    roles = ReplicationRoles(iam.roles, iam.identities)
    worker = ReplicationWorker(
        db,
        Replicator(objects, DirectoryLocator(directory, endpoints), client, identity, encryption),
        clock,
        _worker_settings(deployment),
        authorizer=SourceAuthorizer(
            db,
            roles,
            iam.identities,
            root_account_id=root.account_id,
            root_canonical_id=root.canonical_id,
        ),
        rtc=ThresholdWatch(db, clock, threshold_s=deployment.replication.rtc_threshold_s),
    )
    hooks.register(
        ReplicationPlanner(
            clock, on_enqueue=worker.wake, rtc_threshold_s=deployment.replication.rtc_threshold_s
        )
    )
    job_runner = BatchJobRunner(
        db,
        objects,
        clock,
        region=config.name,
        owner_id=root.canonical_id,
        wake_workers=worker.wake,
        encryption=encryption,
        roles=roles,
    )
    delivery = EventDelivery(
        db, clock, deployment.notification_targets, _delivery_settings(deployment)
    )
    hooks.register(EventOutbox(clock, on_enqueue=delivery.wake))
    lifecycle = LifecycleWorker(db, hooks, blobs, clock, deployment.lifecycle)
    destinations = DeploymentDestinationChecker(
        region=config.name,
        account_id=root.account_id,
        buckets=buckets,
        directory=directory,
        endpoints=endpoints,
        client=client,
        credentials=identity,
        account_of_canonical_id=accounts.account_of_canonical_id,
    )
    bucket_logging = BucketLogging(db)
    trail = _trail_writer(deployment, config, clock, bucket_logging)
    access_logs = AccessLogDelivery(
        deployment.trail.directory(config), config.name, bucket_logging.enabled,
        StoreLogSink(objects, buckets, accounts.account_of_canonical_id),
        flush_s=deployment.access_logs.flush_seconds, now=clock.now,
    )  # fmt: skip
    replication_metrics = ReplicationMetrics(db, clock)
    services = Services(
        buckets=buckets,
        objects=objects,
        uploads=Uploads(db, blobs, hooks, clock),
        listings=Listings(db),
        replicas=Replicas(db, blobs, hooks, clock),
        clock=clock,
        region=config,
        owner_id=root.canonical_id,
        directory=directory,
        deployment=deployment,
        destinations=destinations,
        failures=FailureStore(db),
        notifications=NotificationConfigs(db, (t.arn for t in deployment.notification_targets)),
        outbox=Outbox(db),
        jobs=BatchJobs(db, clock, config.name, on_change=job_runner.wake),
        identities=iam.identities,
        iam=iam,
        quotas=Quotas(db),
        kms=kms,
        encryption=encryption,
        replication_roles=roles,
        repairs=RepairQueue(db, clock, on_enqueue=worker.wake),
        lifecycle=BucketLifecycle(db, on_change=lifecycle.wake),
        trail=trail,
        logging=bucket_logging,
        account_settings=AccountSettings(control_db),
        replication_metrics=replication_metrics,
        request_metrics=RequestMetrics() if deployment.metrics.enabled else None,
    )

    async def start() -> None:
        removed = sweep_orphaned_blobs(db, blobs)
        if removed:
            log.warning("removed orphaned blobs left by a crash", extra={"count": removed})
        await accounts.ensure(root.account_id, DEPLOYMENT_ROOT_ACCOUNT_NAME)
        await _reconcile_directory(services)
        if run_workers:
            worker.start()
            job_runner.start()
            lifecycle.start()
        delivery.start()
        trail.start()
        await bucket_logging.enabled()  # the request path reads it from the cache
        access_logs.start()

    async def stop() -> None:
        await lifecycle.stop()
        await access_logs.stop()
        await asyncio.to_thread(trail.stop)  # its last batch and seal, off the event loop
        await job_runner.stop()
        await worker.stop()
        await delivery.stop()
        await client.close()
        db.close()
        control_db.close()

    keys = DeploymentKeys(root, stored_keys)
    app = S3App(services, keys, on_startup=start, on_shutdown=stop)
    console = None
    if deployment.console.enabled:
        deps = ConsoleDeps(
            region=config.name, endpoints=endpoints, client=client, directory=directory,
            failures=services.failures,
            backlog=ReplicationBacklog(db, clock),
            metrics=replication_metrics,
            sessions=Sessions(console_signing_key(root), clock, deployment.console.session_ttl_s),
        )  # fmt: skip
        console = ConsoleApp(deps, app)
    return Region(
        config=config,
        db=db,
        services=services,
        app=app,
        control_db=control_db,
        worker=worker,
        delivery=delivery,
        job_runner=job_runner,
        lifecycle=lifecycle,
        console=console,
        trail=trail,
        access_logs=access_logs,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseSpec:
    """One database of a deployment, as its settings name it."""

    name: str  # "us-east-1" or "control"
    component: str  # "region" or "control": whose schema it holds
    url: str  # "sqlite" or a PostgreSQL URL
    sqlite_path: Path
    packages: Sequence[str]  # whose migrations make its schema
    key: str  # the setting it came from, for messages

    @property
    def where(self) -> str:
        """The database in messages: its setting and, for PostgreSQL, its URL (no password)."""
        return str(self.sqlite_path) if self.is_sqlite else f"{self.key} ({redact_url(self.url)})"

    @property
    def is_sqlite(self) -> bool:
        return self.url == SQLITE_DATABASE


def deployment_databases(deployment: DeploymentConfig) -> list[DatabaseSpec]:
    """Every database of `deployment`: each region's, then the control plane's."""
    specs = [region_database(deployment, region) for region in deployment.regions]
    return [*specs, control_database(deployment)]


def migrate_database(spec: DatabaseSpec, *, apply: bool) -> list[str]:
    """Bring one database to this Ferry's schema (`apply`) or only check it; returns the
    migrations applied. Raises SchemaMismatch for a newer schema, or pending ones unapplied.
    A SQLite database that does not exist yet is made, and migrated, when its region starts."""
    if spec.is_sqlite:
        if not spec.sqlite_path.exists():
            return []
        conn = sqlite3.connect(spec.sqlite_path)
        try:
            if apply:
                return migrate_sqlite(conn, spec.packages, where=spec.where)
            check_sqlite(conn, spec.packages, where=spec.where)  # pending ones apply on open
            return []
        finally:
            conn.close()
    database = PostgresDatabase(spec.url, key=spec.key)
    try:
        return _migrate_postgres(database, spec, apply=apply)
    finally:
        database.close()


def region_database(deployment: DeploymentConfig, region: RegionConfig) -> DatabaseSpec:
    return DatabaseSpec(
        name=region.name,
        component=REGION_COMPONENT,
        url=region.database,
        sqlite_path=region.data_dir / REGION_DATABASE_NAME,
        packages=REGION_MIGRATIONS,
        key=_database_key(deployment, f"regions[{region.name}].database"),
    )


def control_database(deployment: DeploymentConfig) -> DatabaseSpec:
    return DatabaseSpec(
        name="control",
        component=CONTROL_COMPONENT,
        url=deployment.control_database,
        sqlite_path=deployment.control_dir / CONTROL_DATABASE_NAME,
        packages=CONTROL_MIGRATIONS,
        key=_database_key(deployment, "control.database"),
    )


def open_database(spec: DatabaseSpec, *, migrate: bool) -> Database:
    """The database a setting names: "sqlite" (the file at `sqlite_path`, which migrates
    itself) or a PostgreSQL URL, checked against (and with `migrate`, brought to) the schema."""
    if spec.is_sqlite:
        return SqliteDatabase(spec.sqlite_path, migrations=spec.packages)
    database = PostgresDatabase(spec.url, key=spec.key)
    try:
        _migrate_postgres(database, spec, apply=migrate)
    except BaseException:
        database.close()
        raise
    return database


def _migrate_postgres(database: PostgresDatabase, spec: DatabaseSpec, *, apply: bool) -> list[str]:
    return migrate_postgres(
        database, spec.packages, component=spec.component, apply=apply, where=spec.where
    )


def _database_key(deployment: DeploymentConfig, key: str) -> str:
    """The setting a database came from, for error messages."""
    return f"{deployment.source}: {key}" if deployment.source else key


def console_signing_key(root: RootCredentials) -> bytes:
    """The console's cookie-signing key, derived from the root secret (stable per deployment,
    so a region's restart does not invalidate its own signature scheme; sessions themselves
    live in memory and end with the process)."""
    return hmac.new(root.secret_key.reveal().encode(), b"ferry-console-cookie", "sha256").digest()


def _trail_writer(
    deployment: DeploymentConfig, config: RegionConfig, clock: Clock, logging: BucketLogging
) -> TrailWriter:
    """The region's audit trail (docs/operations.md); with `[trail] enabled = false` it keeps
    only the events the access logs of buckets with logging on are delivered from."""
    settings = deployment.trail
    writer = f"{socket.gethostname()}-{config.port}".replace("/", "_")
    return TrailWriter(
        WriterSettings(
            directory=settings.directory(config), writer=_segment_writer_name(writer),
            flush_records=settings.flush_records, flush_ms=settings.flush_ms,
            segment_bytes=int(settings.segment_mb * 1024 * 1024), segment_s=settings.segment_s,
            retention_days=settings.retention_days,
        ),
        now_ms=lambda: int(clock.now().timestamp() * 1000),
        keeps=None if settings.enabled else logging.is_enabled_cached,
    )  # fmt: skip


def _segment_writer_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in name)


def _delivery_settings(deployment: DeploymentConfig) -> DeliverySettings:
    settings = deployment.events
    return DeliverySettings(
        retry_base_delay_s=settings.retry_base_delay_s,
        retry_max_delay_s=settings.retry_max_delay_s,
        timeout_s=settings.timeout_s,
    )


def _worker_settings(deployment: DeploymentConfig) -> WorkerSettings:
    settings = deployment.replication
    return WorkerSettings(
        concurrency=settings.workers,
        lease_s=settings.lease_s,
        retry=RetryPolicy(
            base_delay_s=settings.retry_base_delay_s, max_delay_s=settings.retry_max_delay_s
        ),
    )


async def _reconcile_directory(services: Services) -> None:
    """Bring the bucket directory in line with this region's buckets (a crash may have come
    between the directory and the regional store)."""
    region = services.region.name
    local = [
        DirectoryEntry(bucket=b.name, region=region, owner_id=b.owner_id, created=b.created)
        for b in await services.buckets.list_all()
    ]
    outcome = await services.directory.reconcile(region, local)
    for name in outcome.released:
        log.warning("released a bucket name this region does not hold", extra={"bucket": name})
    for name in outcome.claimed:
        log.warning("recorded a bucket missing from the directory", extra={"bucket": name})
    for entry in outcome.conflicts:
        log.error(
            "bucket exists here but the directory places it in another region",
            extra={"bucket": entry.bucket, "directory_region": entry.region},
        )
