"""Start and stop the servers under test: Ferry, moto's server, s3rver and the do-nothing app.

Each server runs as a subprocess in its own session (so stopping it stops its children too),
on an ephemeral port, with its data and log in a private directory. A server that cannot be
prepared or does not become ready in time raises `ServerUnavailable` with the reason and the
tail of its log, and the caller benchmarks the others.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import pgdb
from bench.s3client import Endpoint

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
PEERS_DIR = BENCH_DIR / ".peers"
S3RVER_PACKAGE = "s3rver@3"
NPM_INSTALL_TIMEOUT_S = 300.0
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
PROBE_TIMEOUT_S = 1.0
LOG_TAIL_BYTES = 1500


class ServerUnavailable(Exception):
    """The server could not be prepared or did not become ready; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSpec:
    name: str
    argv: Callable[[int, Path], list[str]]  # (port, data_dir) -> command line
    env: dict[str, str] = field(default_factory=dict)
    access_key: str = "bench"
    secret_key: str = "bench-secret"
    ready_path: str = "/"
    ready_needs_200: bool = False  # else any HTTP reply means ready
    prepare: Callable[[], None] | None = None
    cleanup: Callable[[], None] | None = None  # after the server stopped (drop its database)
    database: str | None = None  # the PostgreSQL database it keeps its metadata in


@dataclass(slots=True, kw_only=True)
class RunningServer:
    spec: ServerSpec
    port: int
    proc: subprocess.Popen[bytes]
    workdir: Path
    log_path: Path

    @property
    def endpoint(self) -> Endpoint:
        spec = self.spec
        return Endpoint(
            host=HOST, port=self.port, access_key=spec.access_key, secret_key=spec.secret_key
        )


def _venv_tool(name: str) -> str | None:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def ferry_spec() -> ServerSpec:
    return _ferry_spec("ferry", [])


def ferry_notrail_spec() -> ServerSpec:
    """Ferry without its audit trail (`--no-trail`): the trail's cost is ferry / ferry-notrail."""
    return _ferry_spec("ferry-notrail", ["--no-trail"])


def ferry_pg_spec() -> ServerSpec:
    """Ferry with its region metadata and control plane in one fresh PostgreSQL database
    (created by prepare(), dropped by cleanup()); blobs stay in the data dir."""
    name = pgdb.fresh_name("storage")
    url = pgdb.url_for(name)

    def prepare() -> None:
        try:
            pgdb.create(name)
        except pgdb.PostgresUnavailable as exc:
            raise ServerUnavailable(str(exc)) from exc

    extra = ["--database", url, "--control-database", url, "--migrate"]
    spec = _ferry_spec("ferry-pg", extra, prepare=prepare, cleanup=lambda: pgdb.drop(name))
    return dataclasses.replace(spec, database=name)


def ferry_metrics_spec(enabled: bool, *, trail: bool = True) -> ServerSpec:
    """Ferry from a one-region ferry.toml with `[metrics] enabled` on or off: the HTTP request
    metrics and `GET /_ferry/metrics` (on) against neither (off), same code, same run.
    `trail=False` also turns the audit trail off (`ferry-unobserved`: neither trail nor
    metrics, the baseline of issue 13's "at most 10% slower")."""
    name = f"ferry-metrics-{'on' if enabled else 'off'}" if trail else "ferry-unobserved"
    tool = _venv_tool("ferry")
    base = [tool] if tool else [sys.executable, "-m", "ferry"]

    def argv(port: int, data: Path) -> list[str]:
        config = data.parent / f"{name}.toml"
        config.write_text(
            f'data_dir = "{data}"\n[metrics]\nenabled = {str(enabled).lower()}\n'
            f"[trail]\nenabled = {str(trail).lower()}\n"
            f'[[regions]]\nname = "us-east-1"\nhost = "{HOST}"\nport = {port}\n'
            f'data_dir = "{data}"\n'
        )
        return [*base, "serve", "--config", str(config), "--region", "us-east-1"]

    return dataclasses.replace(_ferry_spec(name, []), argv=argv)


def _ferry_spec(
    name: str,
    extra: list[str],
    *,
    prepare: Callable[[], None] | None = None,
    cleanup: Callable[[], None] | None = None,
) -> ServerSpec:
    access_key = os.environ.get("FERRY_ROOT_ACCESS_KEY", "")
    secret_key = os.environ.get("FERRY_ROOT_SECRET_KEY", "")
    if not (access_key and secret_key):  # both from the environment, or both the bench's
        access_key, secret_key = "ferrybenchroot", "ferry-bench-root-secret"
    tool = _venv_tool("ferry")
    base = [tool] if tool else [sys.executable, "-m", "ferry"]
    return ServerSpec(
        name=name,
        argv=lambda port, data: [
            *base,
            *("serve", "--region", "us-east-1", "--host", HOST),
            *("--port", str(port), "--data-dir", str(data), *extra),
        ],
        prepare=prepare,
        cleanup=cleanup,
        env={"FERRY_ROOT_ACCESS_KEY": access_key, "FERRY_ROOT_SECRET_KEY": secret_key},
        access_key=access_key,
        secret_key=secret_key,
        ready_path="/_ferry/health",
        ready_needs_200=True,
    )


def moto_spec() -> ServerSpec:
    tool = _venv_tool("moto_server")
    base = [tool] if tool else [sys.executable, "-m", "moto.server"]
    return ServerSpec(name="moto", argv=lambda port, data: [*base, "-H", HOST, "-p", str(port)])


def _s3rver_script() -> Path:
    return PEERS_DIR / "node_modules" / "s3rver" / "bin" / "s3rver.js"


def _install_s3rver() -> None:
    if _s3rver_script().exists():
        return
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        raise ServerUnavailable("s3rver needs node and npm on PATH")
    print(f"installing {S3RVER_PACKAGE} into {PEERS_DIR} (first use) ...", flush=True)
    command = [npm, "install", "--no-audit", "--no-fund", "--prefix", str(PEERS_DIR)]
    try:
        done = subprocess.run(
            [*command, S3RVER_PACKAGE],
            capture_output=True,
            timeout=NPM_INSTALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ServerUnavailable(f"npm install {S3RVER_PACKAGE} timed out") from exc
    if done.returncode != 0 or not _s3rver_script().exists():
        tail = done.stderr.decode(errors="replace")[-LOG_TAIL_BYTES:]
        raise ServerUnavailable(f"npm install {S3RVER_PACKAGE} failed:\n{tail}")


def s3rver_spec() -> ServerSpec:
    node = shutil.which("node") or "node"
    return ServerSpec(
        name="s3rver",
        argv=lambda port, data: [
            *(node, str(_s3rver_script()), "--address", HOST, "--port", str(port)),
            *("--directory", str(data), "--silent"),
        ],
        access_key="S3RVER",  # s3rver's built-in account
        secret_key="S3RVER",
        prepare=_install_s3rver,
    )


def noop_spec() -> ServerSpec:
    return ServerSpec(
        name="noop",
        argv=lambda port, data: [
            *(sys.executable, "-m", "uvicorn", "bench.noop_app:app", "--app-dir", str(REPO_ROOT)),
            *("--host", HOST, "--port", str(port), "--loop", "uvloop", "--http", "httptools"),
            *("--lifespan", "off", "--no-access-log", "--log-level", "warning"),
        ],
        ready_needs_200=True,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _probe(port: int, path: str) -> int | None:
    conn = http.client.HTTPConnection(HOST, port, timeout=PROBE_TIMEOUT_S)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def log_tail(path: Path) -> str:
    try:
        data = path.read_bytes()[-LOG_TAIL_BYTES:]
    except OSError:
        return ""
    return data.decode(errors="replace").strip()


def start(spec: ServerSpec, root: Path) -> RunningServer:
    """Start `spec` under `root`/<name> and wait until it answers; raise ServerUnavailable."""
    if spec.prepare is not None:
        spec.prepare()
    workdir = root / spec.name
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True)
    log_path = workdir / "server.log"
    port = free_port()
    argv = spec.argv(port, data_dir)
    with log_path.open("wb") as log:
        try:
            proc = subprocess.Popen(
                argv,
                cwd=REPO_ROOT,
                env={**os.environ, **spec.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            if spec.cleanup is not None:
                spec.cleanup()
            raise ServerUnavailable(f"cannot run {argv[0]}: {exc}") from exc
    server = RunningServer(spec=spec, port=port, proc=proc, workdir=workdir, log_path=log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            reason = f"exited with code {proc.returncode} before it was ready"
            stop(server)  # runs the spec's cleanup
            raise ServerUnavailable(f"{reason}\n{log_tail(log_path)}")
        status = _probe(port, spec.ready_path)
        if status is not None and (status == 200 or not spec.ready_needs_200):
            return server
        time.sleep(0.1)
    stop(server)
    reason = f"not ready after {START_TIMEOUT_S:.0f}s (GET {spec.ready_path})"
    raise ServerUnavailable(f"{reason}\n{log_tail(log_path)}")


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop(server: RunningServer) -> None:
    """SIGTERM the server's process group; SIGKILL whatever of the group is left after that."""
    proc = server.proc
    _signal_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=STOP_TIMEOUT_S)
    _signal_group(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=STOP_TIMEOUT_S)
    if server.spec.cleanup is not None:
        server.spec.cleanup()
