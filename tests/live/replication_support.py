"""Helpers for live replication tests: a deployment's regions as separate `ferry serve`
processes (so a test decides when a killed region comes back), clients, and waiting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests import postgres
from tests.live.conftest import make_client
from tests.live.iam_support import ensure_replication_role
from tests.live.server import ACCESS_KEY, READY_TIMEOUT_S, SECRET_KEY, free_port


@dataclass
class Deployment:
    """Each region is its own `ferry serve --config FILE --region NAME` process."""

    root: Path
    regions: tuple[str, ...] = ("us-east-1", "eu-west-1")
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # "postgresql": every region's metadata and the control plane on PostgreSQL databases
    # made for this deployment (dropped by `stop`); "sqlite": the embedded default.
    engine: str = "sqlite"
    databases: dict[str, str] = field(default_factory=dict)  # region or "control" -> URL
    extra_config: tuple[str, ...] = ()  # more ferry.toml lines (whole tables), at the end
    # more `[replication]` settings (`rtc_threshold_s = 2`)
    replication_settings: tuple[str, ...] = ()
    # HTTPS: region -> (certificate, key) it serves, and the CA bundle ([tls] ca_bundle).
    tls: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    ca_bundle: Path | None = None

    @property
    def config_path(self) -> Path:
        return self.root / "ferry.toml"

    def endpoint(self, region: str) -> str:
        scheme = "https" if region in self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.ports[region]}"

    def client(self, region: str) -> Any:
        return make_client(self.endpoint(region), region=region, retries={"max_attempts": 3})

    def run_cli(
        self, *args: str, region: str = "us-east-1", timeout_s: float = 180.0
    ) -> subprocess.CompletedProcess[str]:
        """`ferry ARGS --config <this deployment's file> --region REGION` as an operator runs
        it: no AWS_*/FERRY_ROOT_* credentials from the test's environment (the file's root)."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FERRY_ROOT_"))}
        return subprocess.run(
            [sys.executable, "-m", "ferry", *args, "--config", str(self.config_path),
             "--region", region],
            env=clean, capture_output=True, text=True, timeout=timeout_s,
        )  # fmt: skip

    def write_config(self) -> None:
        lines = [
            'data_dir = "data"',
            "[root]",
            f'access_key = "{ACCESS_KEY}"',
            f'secret_key = "{SECRET_KEY}"',
            "[replication]",
            "retry_base_delay_s = 0.2",
            "retry_max_delay_s = 2.0",
            "lease_s = 6.0",
            *self.replication_settings,
        ]
        if self.engine == "postgresql" and not self.databases:
            for name in ("control", *self.regions):
                self.databases[name] = postgres.create_database(name.replace("-", "_"))
        if "control" in self.databases:
            lines += ["[control]", f'database = "{self.databases["control"]}"']
        if self.ca_bundle is not None:
            lines += ["[tls]", f'ca_bundle = "{self.ca_bundle}"']
        for region in self.regions:
            self.ports.setdefault(region, free_port())
            lines += ["[[regions]]", f'name = "{region}"', f"port = {self.ports[region]}"]
            if region in self.databases:
                lines.append(f'database = "{self.databases[region]}"')
            if region in self.tls:
                cert, key = self.tls[region]
                lines += [f'tls_cert = "{cert}"', f'tls_key = "{key}"']
        lines += self.extra_config
        self.config_path.write_text("\n".join(lines) + "\n")

    def start(self) -> Deployment:
        self.root.mkdir(parents=True, exist_ok=True)
        self.write_config()
        for region in self.regions:
            self.start_region(region)
        return self

    def start_region(self, region: str, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FERRY_ROOT_")}
        with open(self.root / f"{region}.log", "ab") as log:
            self.processes[region] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ferry",
                    "serve",
                    "--config",
                    str(self.config_path),
                    "--region",
                    region,
                    *(["--migrate"] if self.databases else []),
                    *extra,
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.processes[region].poll() is not None:
                raise RuntimeError((self.root / f"{region}.log").read_text())
            try:
                # liveness only: whether the certificate verifies is what the tests judge
                health = httpx.get(
                    self.endpoint(region) + "/_ferry/health", timeout=1, verify=False
                )
                if health.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{region} did not become ready")

    def start_worker(self, region: str) -> subprocess.Popen[bytes]:
        """A separate `ferry worker` process for `region`; the caller stops it."""
        with open(self.root / f"{region}-worker.log", "ab") as log:
            return subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ferry",
                    "worker",
                    "--config",
                    str(self.config_path),
                    "--region",
                    region,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill_region(self, region: str) -> None:
        process = self.processes[region]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for url in self.databases.values():
            postgres.drop_database(url)
        self.databases.clear()


def wait_for(condition: Callable[[], bool], timeout_s: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.1)


def status(s3: Any, bucket: str, key: str, version_id: str | None = None) -> str | None:
    kwargs = {"VersionId": version_id} if version_id else {}
    head = s3.head_object(Bucket=bucket, Key=key, **kwargs)
    return head.get("ReplicationStatus")


def versioned_bucket(s3: Any, name: str, region: str) -> None:
    kwargs: dict[str, Any] = {}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(Bucket=name, **kwargs)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def v2_rule(
    destination: str,
    *,
    rule_id: str = "r",
    priority: int = 1,
    prefix: str = "",
    dmr: str = "Disabled",
    **destination_extra: Any,
) -> dict[str, Any]:
    return {
        "ID": rule_id,
        "Priority": priority,
        "Status": "Enabled",
        "Filter": {"Prefix": prefix},
        "DeleteMarkerReplication": {"Status": dmr},
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}", **destination_extra},
    }


def replicate(s3: Any, bucket: str, *rules: dict[str, Any]) -> None:
    """Configure `rules` on `bucket`, acting as role `r`: created first (or kept), trusting
    s3.amazonaws.com and holding the replication permissions, as AWS requires."""
    role = ensure_replication_role(s3.meta.endpoint_url, "r")
    s3.put_bucket_replication(
        Bucket=bucket, ReplicationConfiguration={"Role": role, "Rules": list(rules)}
    )
