"""Run `ferry serve` (one region) or `ferry up` (a deployment) as real subprocesses on
ephemeral ports, for live tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ACCESS_KEY = "LIVETESTACCESSKEY000"
SECRET_KEY = "live-test-secret-key"
READY_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FerryServer:
    data_dir: Path
    region: str = "us-east-1"
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            FERRY_ROOT_ACCESS_KEY=ACCESS_KEY,
            FERRY_ROOT_SECRET_KEY=SECRET_KEY,
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_DEFAULT_REGION=self.region,
        )
        return env

    def start(self) -> FerryServer:
        if not self.port:
            self.port = free_port()
        self.log_path = self.data_dir.parent / f"ferry-{self.region}-{self.port}.log"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ferry",
                    "serve",
                    "--region",
                    self.region,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                ],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"ferry exited with {self.process.returncode}")
            try:
                if httpx.get(self.endpoint + "/_ferry/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("ferry did not become ready")

    def kill(self) -> None:
        """kill -9: no chance to flush or clean up."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class FerryDeployment:
    """`ferry up` over a generated ferry.toml: every region on an ephemeral port, under `root`.

    `ferry up` writes `<data dir>/run/<region>.pid` for each running region, which is how
    tests find (and kill) one region's process.
    """

    root: Path
    regions: tuple[str, ...] = ("us-east-1", "eu-west-1")
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def config_path(self) -> Path:
        return self.root / "ferry.toml"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "ferry-up.log"

    def endpoint(self, region: str) -> str:
        return f"http://127.0.0.1:{self.ports[region]}"

    def write_config(self) -> None:
        lines = [
            'data_dir = "data"',
            "[root]",
            f'access_key = "{ACCESS_KEY}"',
            f'secret_key = "{SECRET_KEY}"',
            "[replication]",
            "retry_base_delay_s = 0.1",
            "retry_max_delay_s = 1.0",
        ]
        for region in self.regions:
            self.ports.setdefault(region, free_port())
            lines += ["[[regions]]", f'name = "{region}"', f"port = {self.ports[region]}"]
        self.config_path.write_text("\n".join(lines) + "\n")

    def start(self) -> FerryDeployment:
        self.root.mkdir(parents=True, exist_ok=True)
        self.write_config()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FERRY_ROOT_")}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ferry", "up", "--config", str(self.config_path)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_until(lambda: "deployment up" in self.log(), "ferry up never got ready")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_until(self, condition: Callable[[], bool], failure: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"ferry up exited with {self.process.returncode}:\n{self.log()}")
            if condition():
                return
            time.sleep(0.05)
        raise RuntimeError(f"{failure}:\n{self.log()}")

    def pid_of(self, region: str) -> int | None:
        try:
            text = (self.data_dir / "run" / f"{region}.pid").read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text else None

    def is_healthy(self, region: str) -> bool:
        try:
            response = httpx.get(self.endpoint(region) + "/_ferry/health", timeout=1)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def kill_region(self, region: str) -> int:
        """kill -9 one region's process; returns its pid."""
        pid = self.pid_of(region)
        assert pid is not None, f"no pid file for {region}"
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_restarted(self, region: str, old_pid: int) -> int:
        """Wait until `ferry up` has restarted the region and it serves again; its new pid."""
        self.wait_until(
            lambda: self.pid_of(region) not in (None, old_pid) and self.is_healthy(region),
            f"{region} was not restarted",
        )
        pid = self.pid_of(region)
        assert pid is not None
        return pid

    def stop(self, sig: signal.Signals = signal.SIGINT, timeout_s: float = 30.0) -> int:
        """Signal `ferry up` and wait for it; its exit code (SIGKILL if it hangs)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


def processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains `text` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
        except (OSError, IndexError):
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry.name))
    return found
