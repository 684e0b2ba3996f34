"""A deployment's run directory (`<data dir>/run/`): the pid of the `ferry up` supervising it
(`up.pid`) and of each region (`<region>.pid`), and whether their ports are free.

`ferry up` checks here before it writes anything, so a second `ferry up` refuses at once and
leaves the running deployment's pid files alone; `ferry status` and `ferry down` read them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from pathlib import Path
from typing import IO

from ferry.config import DeploymentConfig, RegionConfig

RUN_DIR_NAME = "run"
SUPERVISOR_PID_FILE = "up.pid"
LOCK_FILE = "up.lock"  # held (flock) by the running `ferry up` for its whole life


def run_dir_of(deployment: DeploymentConfig) -> Path:
    return deployment.data_dir / RUN_DIR_NAME


def read_pid(path: Path) -> int | None:
    """The pid in `path` if that process is alive; None for no file, garbage or a dead pid."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if is_alive(pid) else None


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, not ours to signal
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1] == "Z"
    return False


def supervisor_pid(deployment: DeploymentConfig) -> int | None:
    """The running `ferry up` of this deployment, if any."""
    return read_pid(run_dir_of(deployment) / SUPERVISOR_PID_FILE)


def region_pid(deployment: DeploymentConfig, region: str) -> int | None:
    return read_pid(run_dir_of(deployment) / f"{region}.pid")


def is_port_free(region: RegionConfig) -> bool:
    """Whether this region's listening socket could be bound now (SO_REUSEADDR, as uvicorn
    binds it, so a port in TIME_WAIT counts as free and a listening one as busy)."""
    family = socket.AF_INET6 if ":" in region.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((region.host, region.port))
        except OSError:
            return False
    return True


def busy_regions(deployment: DeploymentConfig) -> list[RegionConfig]:
    return [region for region in deployment.regions if not is_port_free(region)]


def lock_deployment(deployment: DeploymentConfig) -> IO[bytes] | None:
    """Take the deployment's lock for this `ferry up`; None when another holds it. Closes the
    gap between checking `up.pid` and writing it, should two start at the same moment; the
    kernel drops the lock when the holder dies, however it dies."""
    run_dir = run_dir_of(deployment)
    run_dir.mkdir(parents=True, exist_ok=True)
    handle = open(run_dir / LOCK_FILE, "ab")  # noqa: SIM115 - held until the process ends
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle
