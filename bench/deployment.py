"""A two-region Ferry deployment for the replication benchmark, one process per region.

Each region runs `python -m ferry serve --config FILE --region NAME` in its own session (so
killing it kills nothing else), on an ephemeral port, from a generated `ferry.toml` in the
benchmark's temp dir; its log is `<root>/<region>.log`. The benchmark decides when a region
dies (SIGKILL) and when it comes back. Setup calls (buckets, versioning, the replication rule)
go through boto3, the way a user would make them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import pgdb
from bench.loadgen import TRANSPORT_ERRORS, Connection
from bench.s3client import Endpoint
from bench.servers import HOST, REPO_ROOT, free_port, log_tail

SOURCE_REGION = "us-east-1"
DESTINATION_REGION = "eu-west-1"
ACCOUNT_ID = "000000000001"
BENCH_ACCESS_KEY = "ferrybenchroot"
BENCH_SECRET_KEY = "ferry-bench-root-secret"
HEALTH_PATH = "/_ferry/health"
READY_TIMEOUT_S = 60.0
HEALTH_POLL_S = 0.02
HEALTH_TIMEOUT_S = 1.0
STOP_TIMEOUT_S = 15.0
KILL_WAIT_S = 10.0
SQLITE, POSTGRESQL = "sqlite", "postgresql"
ENGINES = (SQLITE, POSTGRESQL)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationSettings:
    """The `[replication]` table written to ferry.toml; None leaves a setting out, so the
    regions run with Ferry's own default (what the benchmark measures unless told)."""

    workers: int | None = None
    retry_base_delay_s: float | None = None
    retry_max_delay_s: float | None = None
    lease_s: float | None = None

    def toml_lines(self) -> list[str]:
        return [
            f"{name} = {value}"
            for name, value in (
                ("workers", self.workers),
                ("retry_base_delay_s", self.retry_base_delay_s),
                ("retry_max_delay_s", self.retry_max_delay_s),
                ("lease_s", self.lease_s),
            )
            if value is not None
        ]


def root_credentials() -> tuple[str, str]:
    """FERRY_ROOT_ACCESS_KEY / _SECRET_KEY when both are set, else the benchmark's own."""
    access = os.environ.get("FERRY_ROOT_ACCESS_KEY", "")
    secret = os.environ.get("FERRY_ROOT_SECRET_KEY", "")
    return (access, secret) if access and secret else (BENCH_ACCESS_KEY, BENCH_SECRET_KEY)


@dataclass
class Deployment:
    root: Path
    settings: ReplicationSettings
    log_level: str = "warning"
    regions: tuple[str, ...] = (SOURCE_REGION, DESTINATION_REGION)
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    credentials: tuple[str, str] = field(default_factory=root_credentials)
    # every bucket created gets SSE-S3 default encryption: objects (and replicas, and rclone's
    # copies) are encrypted at rest, so replication decrypts and encrypts every byte
    sse_s3: bool = False
    # "sqlite" (each region's own file, Ferry's default) or "postgresql": each region's metadata
    # and the control plane in fresh databases of their own, created by start(), dropped by stop()
    engine: str = SQLITE
    databases: dict[str, str] = field(default_factory=dict)  # region or "control" -> name

    @property
    def config_path(self) -> Path:
        return self.root / "ferry.toml"

    def log_path(self, region: str) -> Path:
        return self.root / f"{region}.log"

    def endpoint(self, region: str) -> Endpoint:
        access, secret = self.credentials
        return Endpoint(
            host=HOST, port=self.ports[region], access_key=access, secret_key=secret, region=region
        )

    def url(self, region: str) -> str:
        return f"http://{HOST}:{self.ports[region]}"

    def write_config(self) -> None:
        access, secret = self.credentials
        lines = [
            'data_dir = "data"',
            "[root]",
            f'access_key = "{access}"',
            f'secret_key = "{secret}"',
            f'account_id = "{ACCOUNT_ID}"',
            "[replication]",
            *self.settings.toml_lines(),
        ]
        if "control" in self.databases:
            lines += ["[control]", f'database = "{pgdb.url_for(self.databases["control"])}"']
        for region in self.regions:
            self.ports.setdefault(region, free_port())
            lines += ["[[regions]]", f'name = "{region}"', f'host = "{HOST}"']
            lines.append(f"port = {self.ports[region]}")
            if region in self.databases:
                lines.append(f'database = "{pgdb.url_for(self.databases[region])}"')
        self.config_path.write_text("\n".join(lines) + "\n")

    def spawn(self, region: str) -> None:
        """Start the region's process (not waiting for it): the caller awaits `wait_healthy`."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("FERRY_ROOT_")}
        argv = [sys.executable, "-m", "ferry", "serve", "--config", str(self.config_path)]
        argv += ["--region", region, "--log-level", self.log_level, "--no-banner"]
        if self.databases:
            argv.append("--migrate")  # a fresh PostgreSQL database gets its schema
        with self.log_path(region).open("ab") as log:
            self.processes[region] = subprocess.Popen(
                argv,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def wait_healthy(self, region: str) -> float:
        """Poll GET /_ferry/health until 200; return the perf_counter() of that answer."""
        deadline = time.perf_counter() + READY_TIMEOUT_S
        conn = Connection(HOST, self.ports[region])
        try:
            while time.perf_counter() < deadline:
                process = self.processes[region]
                if process.poll() is not None:
                    tail = log_tail(self.log_path(region))
                    raise RuntimeError(f"{region} exited with {process.returncode}:\n{tail}")
                with contextlib.suppress(*TRANSPORT_ERRORS):
                    async with asyncio.timeout(HEALTH_TIMEOUT_S):
                        headers = {"host": f"{HOST}:{self.ports[region]}"}
                        reply = await conn.request("GET", HEALTH_PATH, headers)
                    if reply.status == 200:
                        return time.perf_counter()
                conn.close()  # refused or not ready: a fresh connection next time
                await asyncio.sleep(HEALTH_POLL_S)
        finally:
            conn.close()
        raise RuntimeError(f"{region} not healthy after {READY_TIMEOUT_S:.0f}s")

    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.engine == POSTGRESQL:
            for owner in (*self.regions, "control"):
                self.databases[owner] = pgdb.fresh_name(f"repl_{owner}")
                pgdb.create(self.databases[owner])
        self.write_config()
        for region in self.regions:
            self.spawn(region)
        for region in self.regions:
            await self.wait_healthy(region)

    def kill(self, region: str) -> None:
        """SIGKILL the region's process group and reap it."""
        process = self.processes[region]
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=KILL_WAIT_S)

    def stop(self) -> None:
        """SIGTERM every region, SIGKILL whatever is left after STOP_TIMEOUT_S."""
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for region, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill(region)
        for name in self.databases.values():
            pgdb.drop(name)
        self.databases.clear()

    def boto3_client(self, region: str, service: str = "s3") -> Any:
        import boto3
        from botocore.config import Config

        access, secret = self.credentials
        return boto3.client(
            service,
            endpoint_url=self.url(region),
            region_name=region,
            aws_access_key_id=access,
            aws_secret_access_key=secret,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )

    def create_bucket(self, region: str, bucket: str, *, versioned: bool = True) -> None:
        s3 = self.boto3_client(region)
        kwargs: dict[str, Any] = {}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(Bucket=bucket, **kwargs)
        if versioned:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        if self.sse_s3:
            rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            s3.put_bucket_encryption(
                Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]}
            )

    def replicate(self, source: str, destination: str) -> None:
        """One V2 rule: every key (Filter {}), delete markers not replicated. boto3 adds the
        Content-MD5 / x-amz-checksum-* header PutBucketReplication requires."""
        rule = {
            "ID": "bench",
            "Priority": 1,
            "Status": "Enabled",
            "Filter": {},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
        }
        self.boto3_client(SOURCE_REGION).put_bucket_replication(
            Bucket=source,
            ReplicationConfiguration={"Role": self.replication_role(), "Rules": [rule]},
        )

    def replication_role(self, name: str = "ferry-replication") -> str:
        """Replication acts as the rule's IAM role (as on AWS): one that trusts S3 and may
        read the source and write replicas. Created once; returns its ARN."""
        iam = self.boto3_client(SOURCE_REGION, "iam")
        try:
            return str(iam.get_role(RoleName=name)["Role"]["Arn"])
        except iam.exceptions.NoSuchEntityException:
            pass
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
                "Service": ["s3.amazonaws.com", "batchoperations.s3.amazonaws.com"]}}],
        }  # fmt: skip
        arn = str(
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
                "Arn"
            ]
        )
        allow = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
        iam.put_role_policy(
            RoleName=name, PolicyName="replication", PolicyDocument=json.dumps(allow)
        )
        return arn
