"""Keeps one OS process per region running: start, health-wait, restart, stop.

Regions fail independently: a region process that dies (a crash, `kill -9`) is reported and
started again after a short delay that doubles while it keeps dying young, while the other
regions go on serving. Stopping sends SIGTERM to every region, waits, then SIGKILLs what is
left. Each region's pid is written to `<run dir>/<region>.pid` while it runs (for operators,
and for tests that kill a region on purpose).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from ferry.config import RegionConfig
from ferry.core.tls import loopback_probe

log = logging.getLogger("ferry.up")

RESTART_DELAY_S = 1.0
MAX_RESTART_DELAY_S = 30.0
YOUNG_DEATH_S = 10.0  # a region dying sooner than this after its start backs off further
STOP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.2
HEALTH_TIMEOUT_S = 1.0
_PR_SET_PDEATHSIG = 1


@dataclass
class RegionProcess:
    region: RegionConfig
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    young_deaths: int = 0
    restarts: int = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    def __init__(self, children: list[RegionProcess], run_dir: Path) -> None:
        self.children = children
        self.run_dir = run_dir

    def start_all(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for child in self.children:
            self._start(child)

    def check(self) -> None:
        """Notice regions that died and restart those whose delay has passed."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is None and child.process is not None:
                code = child.process.poll()
                if code is not None:
                    self._schedule_restart(child, code, now)
            if child.restart_at is not None and now >= child.restart_at:
                child.restart_at = None
                child.restarts += 1
                log.warning("restarting region %s", child.region.name)
                self._start(child)

    def wait_ready(self, timeout_s: float, stopping: Callable[[], bool]) -> list[str]:
        """Wait until every region answers /_ferry/health with 200; returns the laggards."""
        deadline = time.monotonic() + timeout_s
        pending = list(self.children)
        probe = httpx.Client(timeout=HEALTH_TIMEOUT_S, trust_env=False, verify=loopback_probe())
        with probe as client:
            while pending and time.monotonic() < deadline and not stopping():
                self.check()
                pending = [c for c in pending if not _is_healthy(client, c)]
                if pending:
                    time.sleep(POLL_INTERVAL_S)
        return [c.region.name for c in pending]

    def stop_all(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM every region, wait up to `timeout_s`, then SIGKILL the rest."""
        running = [c for c in self.children if c.is_running()]
        for child in running:
            assert child.process is not None
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("region %s ignored SIGTERM; killing it", child.region.name)
                child.process.kill()
                child.process.wait()
        for child in self.children:
            child.restart_at = None
            self._pid_file(child).unlink(missing_ok=True)

    def _start(self, child: RegionProcess) -> None:
        child.process = subprocess.Popen(
            child.argv, preexec_fn=_die_with_parent, start_new_session=True
        )
        child.started_at = time.monotonic()
        self._pid_file(child).write_text(f"{child.process.pid}\n")

    def _schedule_restart(self, child: RegionProcess, code: int, now: float) -> None:
        if now - child.started_at < YOUNG_DEATH_S:
            child.young_deaths += 1
        else:
            child.young_deaths = 0
        delay = min(RESTART_DELAY_S * 2 ** max(0, child.young_deaths - 1), MAX_RESTART_DELAY_S)
        how = _describe_exit(code)
        log.error(
            "region %s (pid %s) died with %s; restarting it in %.1fs",
            child.region.name,
            child.pid,
            how,
            delay,
        )
        self._pid_file(child).unlink(missing_ok=True)
        child.restart_at = now + delay

    def _pid_file(self, child: RegionProcess) -> Path:
        return self.run_dir / f"{child.region.name}.pid"


def _describe_exit(code: int) -> str:
    if code >= 0:
        return f"exit code {code}"
    try:
        return f"signal {signal.Signals(-code).name}"
    except ValueError:
        return f"signal {-code}"


def health_url(region: RegionConfig) -> str:
    """Where this machine reaches the region directly (not through its public endpoint)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(region.host, region.host)
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if region.tls_cert is not None else "http"
    return f"{scheme}://{host}:{region.port}/_ferry/health"


def _is_healthy(client: httpx.Client, child: RegionProcess) -> bool:
    if not child.is_running():
        return False
    try:
        return client.get(health_url(child.region)).status_code == 200
    except httpx.HTTPError:
        return False


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if `ferry up` itself dies (even by SIGKILL), so
    no region outlives its supervisor. Linux only; elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
