"""Run `ferry serve` as a real subprocess on an ephemeral port, for live tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
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
