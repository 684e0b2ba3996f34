"""Ferry's settings: the deployment (`ferry.toml`), its regions and its root credentials.

A *deployment* is the set of regions listed in one `ferry.toml` (see docs/deployment.md), or
the embedded default (`default_deployment`: us-east-1 and eu-west-1 on 127.0.0.1). `ferry serve`
without a file runs a one-region deployment (`one_region_deployment`). Everything here is a
frozen dataclass; every error is a `ConfigError` naming the file, the key and the problem.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from ferry.core.secret import Secret

DEFAULT_ROOT_ACCESS_KEY = "FERRYROOTACCESSKEY00"
DEFAULT_ROOT_SECRET_KEY = "ferry-root-secret-key-change-me"
DEFAULT_ROOT_ACCOUNT_ID = "000000000001"
DEFAULT_VIRTUAL_HOST_DOMAINS = ("localhost", "s3.localhost", "localhost.localstack.cloud")
DEFAULT_DATA_DIR = Path("ferry-data")
DEFAULT_REGIONS = (("us-east-1", 9000), ("eu-west-1", 9001))
DEFAULT_HOST = "127.0.0.1"
SQLITE_DATABASE = "sqlite"
POSTGRESQL_URL_SCHEMES = ("postgresql://", "postgres://")
CONTROL_DIR_NAME = "control"

_REGION_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
T = TypeVar("T")


class ConfigError(Exception):
    """A setting is missing or wrong; the message names where and what."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RootCredentials:
    access_key: str
    secret_key: Secret
    account_id: str
    defaulted: bool

    @property
    def canonical_id(self) -> str:
        # S3 shows owners by a 64-hex canonical user ID; derive a stable one from the account.
        return hashlib.sha256(f"ferry-account:{self.account_id}".encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionConfig:
    """One region: where it listens, how clients reach it, where its data lives.

    `endpoint` is the public endpoint clients and other regions use; it defaults to
    `http://host:port`.
    """

    name: str
    host: str = DEFAULT_HOST
    port: int = 9000
    data_dir: Path = DEFAULT_DATA_DIR / "us-east-1"
    virtual_host_domains: tuple[str, ...] = field(default=DEFAULT_VIRTUAL_HOST_DOMAINS)
    endpoint: str = ""
    # "sqlite" (<data_dir>/metadata.sqlite3, the embedded default) or a postgresql:// URL.
    database: str = SQLITE_DATABASE
    # The region master key (ferry/crypto/master_key.py); None: <data_dir>/master.key,
    # generated on first start.
    master_key_file: Path | None = None
    # HTTPS: the certificate chain and its private key (PEM); both or neither.
    tls_cert: Path | None = None
    tls_key: Path | None = None

    def __post_init__(self) -> None:
        if not self.endpoint:
            scheme = "https" if self.tls_cert is not None else "http"
            object.__setattr__(self, "endpoint", f"{scheme}://{self.host}:{self.port}")

    @property
    def endpoint_host(self) -> str:
        """The endpoint's host[:port], as S3 names it in a PermanentRedirect."""
        return self.endpoint.split("://", 1)[-1].split("/", 1)[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationSettings:
    """How each region's replication engine runs."""

    workers: int = 32  # concurrent transfers per region (small objects need many in flight)
    retry_base_delay_s: float = 1.0
    retry_max_delay_s: float = 60.0
    lease_s: float = 15.0  # a claimed task returns to the queue if its worker goes silent
    # Replication Time Control's threshold (AWS: 15 minutes; shorter only for tests)
    rtc_threshold_s: float = 15 * 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricsSettings:
    """`GET /_ferry/metrics` on every region (`[metrics]`, docs/operations.md)."""

    enabled: bool = True  # false: no endpoint, no HTTP request metrics (replication's stay)
    public: bool = False  # true: anyone may scrape; false: root credentials or the bearer token
    bearer_token: Secret | None = None  # `Authorization: Bearer <token>` also opens it


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleSettings:
    """How each region applies its buckets' lifecycle rules (`[lifecycle]`, docs/lifecycle.md)."""

    day_seconds: float = 86400.0  # the length of a lifecycle "day" (shorten it for tests)
    pass_interval_s: float = 3600.0  # a pass over every bucket starts this often
    keys_per_pass: int = 10000  # per bucket and pass, at most; the next pass resumes after
    keys_per_transaction: int = 100  # keys judged (and changed) in one transaction


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleSettings:
    """The web console each region serves at /_console/ (`[console]`, docs/console.md)."""

    enabled: bool = True
    session_ttl_s: float = 8 * 3600.0  # a sign-in lasts this long, then the user signs in again


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSettings:
    """How each region delivers bucket notifications from its outbox (`[events]`)."""

    retry_base_delay_s: float = 1.0
    retry_max_delay_s: float = 60.0
    timeout_s: float = 10.0  # one delivery attempt to one target


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailSettings:
    """The audit trail each region keeps (`[trail]`, docs/operations.md)."""

    enabled: bool = True
    retention_days: float = 30.0
    dir: Path | None = None  # None: <region data dir>/trail; else <dir>/<region>
    flush_ms: float = 200.0  # a crash loses at most this long of events
    flush_records: int = 512
    segment_mb: float = 64.0
    segment_s: float = 3600.0

    def directory(self, region: RegionConfig) -> Path:
        return region.data_dir / "trail" if self.dir is None else self.dir / region.name


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessLogSettings:
    """S3 server access log delivery (`[access_logs]`)."""

    flush_seconds: float = 300.0  # AWS: "within a few hours"; Ferry: every five minutes


class TargetType(StrEnum):
    WEBHOOK = "webhook"
    NATS = "nats"
    AMQP = "amqp"
    REDIS = "redis"


# Keys each `[[notification_targets]]` type needs (besides arn and type), then may have.
_TARGET_KEYS: dict[TargetType, tuple[tuple[str, ...], tuple[str, ...]]] = {
    TargetType.WEBHOOK: (("url",), ()),
    TargetType.NATS: (("servers", "subject"), ("stream",)),
    TargetType.AMQP: (("url", "exchange", "routing_key"), ()),
    TargetType.REDIS: (("url", "stream"), ()),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationTarget:
    """Where bucket notifications addressed to `arn` are delivered (docs/deployment.md)."""

    arn: str
    type: TargetType
    url: str = ""  # webhook: the POST URL; amqp: amqp://…; redis: redis://…
    servers: tuple[str, ...] = ()  # nats: nats://host:port, …
    subject: str = ""  # nats
    stream: str = ""  # nats: JetStream stream (created if missing); redis: stream key
    exchange: str = ""  # amqp ("" is the default exchange)
    routing_key: str = ""  # amqp


@dataclass(frozen=True, slots=True, kw_only=True)
class DeploymentConfig:
    """Every region of one deployment, and what they share (credentials, control plane)."""

    data_dir: Path  # holds the control plane, and the regions' data unless they say otherwise
    regions: tuple[RegionConfig, ...]
    root: RootCredentials
    replication: ReplicationSettings = field(default_factory=ReplicationSettings)
    virtual_host_domains: tuple[str, ...] = DEFAULT_VIRTUAL_HOST_DOMAINS
    source: Path | None = None  # the ferry.toml it came from; None when built in
    notification_targets: tuple[NotificationTarget, ...] = ()
    events: EventSettings = field(default_factory=EventSettings)
    # The control plane's database: "sqlite" (<control_dir>/control.sqlite3) or a URL.
    control_database: str = SQLITE_DATABASE
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    trail: TrailSettings = field(default_factory=TrailSettings)
    access_logs: AccessLogSettings = field(default_factory=AccessLogSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    # CA certificates (PEM) that HTTPS endpoints of this deployment are verified against, for
    # private CAs; None: the public roots (certifi). Verification is never turned off.
    tls_ca_bundle: Path | None = None

    @property
    def control_dir(self) -> Path:
        """Where the global control plane (bucket directory, later IAM) keeps its database."""
        return self.data_dir / CONTROL_DIR_NAME

    def region(self, name: str) -> RegionConfig:
        for region in self.regions:
            if region.name == name:
                return region
        known = ", ".join(r.name for r in self.regions)
        where = str(self.source) if self.source else "the deployment"
        raise ConfigError(f"{where}: no region named {name!r} (regions: {known})")

    def find_region(self, name: str) -> RegionConfig | None:
        return next((r for r in self.regions if r.name == name), None)


def with_master_key_from_env(
    region: RegionConfig, environ: Mapping[str, str] | None = None
) -> RegionConfig:
    """`region` with FERRY_MASTER_KEY_FILE, when set, as its master key file (it overrides the
    file's `master_key_file`, as FERRY_ROOT_* override `[root]`)."""
    raw = (os.environ if environ is None else environ).get("FERRY_MASTER_KEY_FILE", "")
    if not raw:
        return region
    return replace(region, master_key_file=Path(raw).expanduser())


def root_credentials_from_env(environ: Mapping[str, str] | None = None) -> RootCredentials:
    return _root_credentials({}, os.environ if environ is None else environ, None)


def default_deployment(
    data_dir: Path = DEFAULT_DATA_DIR, environ: Mapping[str, str] | None = None
) -> DeploymentConfig:
    """The embedded default: us-east-1 on 127.0.0.1:9000 and eu-west-1 on 127.0.0.1:9001."""
    env = os.environ if environ is None else environ
    return DeploymentConfig(
        data_dir=data_dir,
        regions=tuple(
            RegionConfig(name=name, host=DEFAULT_HOST, port=port, data_dir=data_dir / name)
            for name, port in DEFAULT_REGIONS
        ),
        root=_root_credentials({}, env, None),
    )


def one_region_deployment(region: RegionConfig, root: RootCredentials) -> DeploymentConfig:
    """`ferry serve` without a file: the region is the whole deployment, and its control plane
    lives in `<region data dir>/control/`."""
    return DeploymentConfig(
        data_dir=region.data_dir,
        regions=(region,),
        root=root,
        virtual_host_domains=region.virtual_host_domains,
    )


def load_deployment(
    path: Path, *, data_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> DeploymentConfig:
    """Read a `ferry.toml`. Relative paths in it are relative to the file's directory;
    `data_dir` (e.g. `ferry up --data-dir`) overrides the file's `data_dir`."""
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    env = os.environ if environ is None else environ
    return _Reader(path).deployment(document, data_dir, env)


class _Reader:
    """Turns the parsed TOML document into typed settings; every error names file and key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {problem}" if key else f"{self.path}: {problem}")

    def deployment(
        self, doc: dict[str, Any], data_dir: Path | None, env: Mapping[str, str]
    ) -> DeploymentConfig:
        self.known(
            doc,
            "",
            {"data_dir", "virtual_host_domains", "root", "replication", "regions"}
            | {"notification_targets", "events", "control", "console", "lifecycle"}
            | {"trail", "access_logs", "metrics", "tls"},
        )
        deployment_dir = data_dir or self.path_of(doc, "", "data_dir", self.base / DEFAULT_DATA_DIR)
        domains = self.get(
            doc, "", "virtual_host_domains", list, list(DEFAULT_VIRTUAL_HOST_DOMAINS)
        )
        for index, domain in enumerate(domains):
            if not isinstance(domain, str) or not domain:
                raise self.error(f"virtual_host_domains[{index}]", "must be a non-empty string")
        root = self.table(doc, "root")
        self.known(root, "root", {"access_key", "secret_key", "account_id"})
        for key in ("access_key", "secret_key", "account_id"):
            self.get(root, "root", key, str, "")
        raw_regions = doc.get("regions")
        if raw_regions is None:
            raise self.error("regions", "missing: list at least one [[regions]] table")
        if not isinstance(raw_regions, list) or not raw_regions:
            raise self.error("regions", "must be a non-empty array of [[regions]] tables")
        regions = tuple(
            self.region(raw, f"regions[{i}]", deployment_dir, tuple(domains))
            for i, raw in enumerate(raw_regions)
        )
        self.check_unique(regions, deployment_dir / CONTROL_DIR_NAME)
        control = self.table(doc, "control")
        self.known(control, "control", {"database"})
        tls = self.table(doc, "tls")
        self.known(tls, "tls", {"ca_bundle"})
        return DeploymentConfig(
            data_dir=deployment_dir,
            regions=regions,
            root=_root_credentials(root, env, self.path),
            replication=self.replication(self.table(doc, "replication")),
            virtual_host_domains=tuple(domains),
            source=self.path,
            notification_targets=self.notification_targets(doc.get("notification_targets", [])),
            events=self.events(self.table(doc, "events")),
            control_database=self.database(control, "control"),
            console=self.console(self.table(doc, "console")),
            lifecycle=self.lifecycle(self.table(doc, "lifecycle")),
            trail=self.trail(self.table(doc, "trail")),
            access_logs=self.access_logs(self.table(doc, "access_logs")),
            metrics=self.metrics(self.table(doc, "metrics")),
            tls_ca_bundle=self.optional_path(tls, "tls", "ca_bundle"),
        )

    def region(
        self, raw: object, key: str, deployment_dir: Path, domains: tuple[str, ...]
    ) -> RegionConfig:
        if not isinstance(raw, dict):
            raise self.error(key, f"must be a table, got {_type_name(raw)}")
        allowed = {"name", "host", "port", "endpoint", "data_dir", "database", "master_key_file"}
        allowed |= {"tls_cert", "tls_key"}
        self.known(raw, key, allowed)
        if "name" not in raw:
            raise self.error(f"{key}.name", "missing")
        name = self.get(raw, key, "name", str, "")
        if not _REGION_NAME.match(name) or name == CONTROL_DIR_NAME:
            raise self.error(
                f"{key}.name", f"{name!r} is not a region name (like us-east-1: a-z, 0-9, '-')"
            )
        if "port" not in raw:
            raise self.error(f"{key}.port", "missing")
        port = self.get(raw, key, "port", int, 0)
        if not 1 <= port <= 65535:
            raise self.error(f"{key}.port", f"must be between 1 and 65535, got {port}")
        host = self.get(raw, key, "host", str, DEFAULT_HOST)
        if not host:
            raise self.error(f"{key}.host", "must not be empty")
        endpoint = self.get(raw, key, "endpoint", str, "").rstrip("/")
        if endpoint and not endpoint.startswith(("http://", "https://")):
            raise self.error(
                f"{key}.endpoint", f"must start with http:// or https://: {endpoint!r}"
            )
        database = self.database(raw, key)
        tls_cert = self.optional_path(raw, key, "tls_cert")
        tls_key = self.optional_path(raw, key, "tls_key")
        if (tls_cert is None) != (tls_key is None):
            missing = "tls_key" if tls_key is None else "tls_cert"
            raise self.error(f"{key}.{missing}", "missing: HTTPS needs both tls_cert and tls_key")
        if tls_cert is not None and endpoint.startswith("http://"):
            raise self.error(f"{key}.endpoint", f"must be https:// with tls_cert: {endpoint!r}")
        return RegionConfig(
            name=name,
            host=host,
            port=port,
            endpoint=endpoint,
            data_dir=self.path_of(raw, key, "data_dir", deployment_dir / name),
            virtual_host_domains=domains,
            database=database,
            master_key_file=self.optional_path(raw, key, "master_key_file"),
            tls_cert=tls_cert,
            tls_key=tls_key,
        )

    def database(self, raw: dict[str, Any], key: str) -> str:
        database = self.get(raw, key, "database", str, SQLITE_DATABASE)
        if database != SQLITE_DATABASE and not database.startswith(POSTGRESQL_URL_SCHEMES):
            raise self.error(
                f"{key}.database",
                f"unsupported database {database!r} "
                '(supported: "sqlite", or a URL postgresql://user@host:5432/dbname)',
            )
        return database

    def replication(self, raw: dict[str, Any]) -> ReplicationSettings:
        key = "replication"
        self.known(
            raw, key,
            {"workers", "retry_base_delay_s", "retry_max_delay_s", "lease_s", "rtc_threshold_s"},
        )  # fmt: skip
        defaults = ReplicationSettings()
        workers = self.get(raw, key, "workers", int, defaults.workers)
        if workers < 1:
            raise self.error(f"{key}.workers", f"must be at least 1, got {workers}")
        delays = {
            name: float(self.get(raw, key, name, float, getattr(defaults, name)))
            for name in ("retry_base_delay_s", "retry_max_delay_s", "lease_s", "rtc_threshold_s")
        }
        for name, value in delays.items():
            if value <= 0:
                raise self.error(f"{key}.{name}", f"must be greater than 0, got {value}")
        if delays["retry_max_delay_s"] < delays["retry_base_delay_s"]:
            raise self.error(
                f"{key}.retry_max_delay_s", "must not be smaller than retry_base_delay_s"
            )
        return ReplicationSettings(workers=workers, **delays)

    def events(self, raw: dict[str, Any]) -> EventSettings:
        key = "events"
        names = ("retry_base_delay_s", "retry_max_delay_s", "timeout_s")
        self.known(raw, key, set(names))
        defaults = EventSettings()
        values = {n: float(self.get(raw, key, n, float, getattr(defaults, n))) for n in names}
        for name, value in values.items():
            if value <= 0:
                raise self.error(f"{key}.{name}", f"must be greater than 0, got {value}")
        if values["retry_max_delay_s"] < values["retry_base_delay_s"]:
            raise self.error(
                f"{key}.retry_max_delay_s", "must not be smaller than retry_base_delay_s"
            )
        return EventSettings(**values)

    def lifecycle(self, raw: dict[str, Any]) -> LifecycleSettings:
        key = "lifecycle"
        self.known(raw, key, {"day_seconds", "pass_interval_s", "keys_per_pass",
                              "keys_per_transaction"})  # fmt: skip
        defaults = LifecycleSettings()
        times = {
            name: float(self.get(raw, key, name, float, getattr(defaults, name)))
            for name in ("day_seconds", "pass_interval_s")
        }
        counts = {
            name: self.get(raw, key, name, int, getattr(defaults, name))
            for name in ("keys_per_pass", "keys_per_transaction")
        }
        for name, value in (*times.items(), *counts.items()):
            if value <= 0:
                raise self.error(f"{key}.{name}", f"must be greater than 0, got {value}")
        return LifecycleSettings(
            day_seconds=times["day_seconds"],
            pass_interval_s=times["pass_interval_s"],
            keys_per_pass=counts["keys_per_pass"],
            keys_per_transaction=counts["keys_per_transaction"],
        )

    def metrics(self, raw: dict[str, Any]) -> MetricsSettings:
        self.known(raw, "metrics", {"enabled", "public", "bearer_token"})
        token = self.get(raw, "metrics", "bearer_token", str, "")
        return MetricsSettings(
            enabled=self.get(raw, "metrics", "enabled", bool, True),
            public=self.get(raw, "metrics", "public", bool, False),
            bearer_token=Secret(token) if token else None,
        )

    def console(self, raw: dict[str, Any]) -> ConsoleSettings:
        self.known(raw, "console", {"enabled", "session_ttl_s"})
        defaults = ConsoleSettings()
        enabled = self.get(raw, "console", "enabled", bool, defaults.enabled)
        ttl = float(self.get(raw, "console", "session_ttl_s", float, defaults.session_ttl_s))
        if ttl <= 0:
            raise self.error("console.session_ttl_s", f"must be greater than 0, got {ttl}")
        return ConsoleSettings(enabled=enabled, session_ttl_s=ttl)

    def trail(self, raw: dict[str, Any]) -> TrailSettings:
        key = "trail"
        numbers = ("retention_days", "flush_ms", "segment_mb", "segment_s")
        self.known(raw, key, {"enabled", "dir", "flush_records", *numbers})
        defaults = TrailSettings()
        values = {n: float(self.get(raw, key, n, float, getattr(defaults, n))) for n in numbers}
        for name, value in values.items():
            if value <= 0:
                raise self.error(f"{key}.{name}", f"must be greater than 0, got {value}")
        records = self.get(raw, key, "flush_records", int, defaults.flush_records)
        if records < 1:
            raise self.error(f"{key}.flush_records", f"must be at least 1, got {records}")
        return TrailSettings(
            enabled=self.get(raw, key, "enabled", bool, defaults.enabled),
            dir=self.optional_path(raw, key, "dir"),
            flush_records=records,
            **values,
        )

    def access_logs(self, raw: dict[str, Any]) -> AccessLogSettings:
        key = "access_logs"
        self.known(raw, key, {"flush_seconds"})
        flush = float(self.get(raw, key, "flush_seconds", float, 300.0))
        if flush <= 0:
            raise self.error(f"{key}.flush_seconds", f"must be greater than 0, got {flush}")
        return AccessLogSettings(flush_seconds=flush)

    def notification_targets(self, raw: object) -> tuple[NotificationTarget, ...]:
        if not isinstance(raw, list):
            raise self.error("notification_targets", "must be an array of tables")
        targets: dict[str, NotificationTarget] = {}
        for index, table in enumerate(raw):
            target = self.notification_target(table, f"notification_targets[{index}]")
            if target.arn in targets:
                raise self.error(f"notification_targets[{index}].arn", "duplicate arn")
            targets[target.arn] = target
        return tuple(targets.values())

    def notification_target(self, raw: object, key: str) -> NotificationTarget:
        if not isinstance(raw, dict):
            raise self.error(key, f"must be a table, got {_type_name(raw)}")
        for name in ("arn", "type"):
            if not self.get(raw, key, name, str, ""):
                raise self.error(f"{key}.{name}", "missing")
        kinds = ", ".join(t.value for t in TargetType)
        try:
            kind = TargetType(raw["type"])
        except ValueError:
            raise self.error(f"{key}.type", f"must be one of: {kinds}") from None
        needed, optional = _TARGET_KEYS[kind]
        self.known(raw, key, {"arn", "type", *needed, *optional})
        values: dict[str, Any] = {}
        for name in (*needed, *optional):
            if name == "servers":
                servers = self.get(raw, key, name, list, [])
                if not servers or not all(isinstance(s, str) and s for s in servers):
                    raise self.error(f"{key}.servers", "must be a non-empty array of URLs")
                values[name] = tuple(servers)
                continue
            value = self.get(raw, key, name, str, "")
            if name in needed and name not in raw:
                raise self.error(f"{key}.{name}", f"missing (needed by type {kind.value!r})")
            if not value and name in raw and name not in ("exchange", "routing_key"):
                raise self.error(f"{key}.{name}", "must not be empty")
            values[name] = value
        return NotificationTarget(arn=raw["arn"], type=kind, **values)

    def check_unique(self, regions: tuple[RegionConfig, ...], control_dir: Path) -> None:
        seen_names: dict[str, int] = {}
        seen_ports: dict[tuple[str, int], int] = {}
        seen_dirs: dict[Path, int] = {}
        for index, region in enumerate(regions):
            key = f"regions[{index}]"
            if region.name in seen_names:
                first = seen_names[region.name]
                raise self.error(
                    f"{key}.name", f"duplicate region {region.name!r} (also regions[{first}])"
                )
            seen_names[region.name] = index
            clash = next(
                (i for (host, port), i in seen_ports.items() if _same_socket(host, port, region)),
                None,
            )
            if clash is not None:
                raise self.error(
                    f"{key}.port", f"duplicate port {region.port} (also regions[{clash}])"
                )
            seen_ports[(region.host, region.port)] = index
            data_dir = region.data_dir.resolve()
            if data_dir in seen_dirs or data_dir == control_dir.resolve():
                raise self.error(
                    f"{key}.data_dir",
                    f"already used by another region or the control plane: {region.data_dir}",
                )
            seen_dirs[data_dir] = index

    def known(self, table: dict[str, Any], key: str, allowed: set[str]) -> None:
        for name in table:
            if name not in allowed:
                expected = ", ".join(sorted(allowed))
                raise self.error(_join(key, name), f"unknown key (expected one of: {expected})")

    def table(self, doc: dict[str, Any], key: str) -> dict[str, Any]:
        value = doc.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, got {_type_name(value)}")
        return value

    def get(self, table: dict[str, Any], key: str, name: str, kind: type[T], default: T) -> T:
        if name not in table:
            return default
        value = table[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return value  # type: ignore[return-value]  # TOML `1` is a fine float setting
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.error(
                _join(key, name), f"must be {_type_name(kind)}, got {_type_name(value)}"
            )
        return value

    def optional_path(self, table: dict[str, Any], key: str, name: str) -> Path | None:
        return self.path_of(table, key, name, Path()) if name in table else None

    def path_of(self, table: dict[str, Any], key: str, name: str, default: Path) -> Path:
        raw = self.get(table, key, name, str, "")
        if not raw:
            if name in table:
                raise self.error(_join(key, name), "must not be empty")
            return default
        path = Path(raw).expanduser()
        return path if path.is_absolute() else self.base / path


def _root_credentials(
    table: Mapping[str, Any], env: Mapping[str, str], path: Path | None
) -> RootCredentials:
    """The file's `[root]` table; FERRY_ROOT_* variables override it."""
    access = env.get("FERRY_ROOT_ACCESS_KEY", "")
    secret = env.get("FERRY_ROOT_SECRET_KEY", "")
    if access or secret:
        if not (access and secret):
            raise ConfigError(
                "FERRY_ROOT_ACCESS_KEY and FERRY_ROOT_SECRET_KEY must be set together"
            )
        access_key_name = "FERRY_ROOT_ACCESS_KEY"
    else:
        access, secret = table.get("access_key", ""), table.get("secret_key", "")
        if bool(access) != bool(secret):
            missing = "secret_key" if access else "access_key"
            raise ConfigError(f"{path}: root.{missing}: missing (set access_key and secret_key)")
        access_key_name = f"{path}: root.access_key"
    if access and len(access) < 3:
        raise ConfigError(f"{access_key_name}: must be at least 3 characters")
    account = env.get("FERRY_ROOT_ACCOUNT_ID") or table.get("account_id", "")
    return RootCredentials(
        access_key=access or DEFAULT_ROOT_ACCESS_KEY,
        secret_key=Secret(secret or DEFAULT_ROOT_SECRET_KEY),
        account_id=account or DEFAULT_ROOT_ACCOUNT_ID,
        defaulted=not access,
    )


def _same_socket(host: str, port: int, region: RegionConfig) -> bool:
    """Would the two listen on the same socket? Regions on distinct remote hosts may share a
    port; on one machine (loopback or wildcard addresses) they may not."""
    if port != region.port:
        return False
    return host == region.host or (_is_local(host) and _is_local(region.host))


def _is_local(host: str) -> bool:
    return host in ("localhost", "0.0.0.0", "::", "::1", "") or host.startswith("127.")


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _type_name(value: object) -> str:
    kind = value if isinstance(value, type) else type(value)
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        list: "an array",
        dict: "a table",
    }.get(kind, kind.__name__)
