"""`ferry up`: run a whole deployment on this machine, one process per region.

`ferry up` (./ferry.toml if it exists, else the embedded default: us-east-1 on :9000 and
eu-west-1 on :9001, data in ./ferry-data/) or `ferry up --config ferry.toml`. Each region runs as
`python -m ferry serve --config FILE --region NAME` (or `--deployment-data-dir DIR` for the
default), so every region knows every other region's endpoint. Ctrl-C or SIGTERM stops them
all and exits 0; a region that dies is restarted (see `cli/supervisor.py`).

Before it writes anything, `ferry up` refuses (exit 1) when this deployment already runs or a
region's port is taken, so a second `ferry up` never touches the first one's pid files.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from types import FrameType

from ferry.cli.deployment_file import add_deployment_options, config_file, resolve_deployment
from ferry.cli.run_dir import (
    SUPERVISOR_PID_FILE,
    busy_regions,
    lock_deployment,
    run_dir_of,
    supervisor_pid,
)
from ferry.cli.supervisor import POLL_INTERVAL_S, RegionProcess, Supervisor
from ferry.config import DEFAULT_DATA_DIR, ConfigError, DeploymentConfig

log = logging.getLogger("ferry.up")

READY_TIMEOUT_S = 60.0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("up", help="run every region of a deployment")
    add_deployment_options(parser)
    parser.add_argument(
        "--log-level",
        default=os.environ.get("FERRY_LOG_LEVEL", "warning"),
        help="the regions' log level: debug, info, warning (default, or $FERRY_LOG_LEVEL), error",
    )
    parser.set_defaults(run=run)


def region_argv(args: argparse.Namespace, region: str) -> list[str]:
    """The command line of one region's process."""
    # `ferry up` is for trying Ferry out: its regions migrate their databases as they start.
    argv = [sys.executable, "-m", "ferry", "serve", "--region", region, "--no-banner", "--migrate"]
    if args.config is not None:
        argv += ["--config", str(args.config.resolve())]
    data_dir = args.data_dir
    if args.config is None and data_dir is None:
        data_dir = DEFAULT_DATA_DIR
    if data_dir is not None:
        argv += ["--deployment-data-dir", str(data_dir.resolve())]
    return [*argv, "--log-level", args.log_level]


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level="WARNING", format="%(asctime)s ferry up: %(message)s")
    log.setLevel(logging.INFO)  # our own events; libraries (httpx) stay quiet
    args.config = config_file(args.config)
    try:
        deployment = resolve_deployment(args.config, args.data_dir)
    except ConfigError as exc:
        print(f"ferry up: {exc}", flush=True)
        return 2
    refusal = why_not_start(deployment)
    lock = lock_deployment(deployment) if refusal is None else None
    if lock is None:
        refusal = refusal or "this deployment is starting in another `ferry up`"
        print(f"ferry up: {refusal}", file=sys.stderr, flush=True)
        return 1
    with lock:
        return _supervise(args, deployment)


def _supervise(args: argparse.Namespace, deployment: DeploymentConfig) -> int:
    run_dir = run_dir_of(deployment)
    supervisor = Supervisor(
        [RegionProcess(region=r, argv=region_argv(args, r.name)) for r in deployment.regions],
        run_dir,
    )
    stop = _StopFlag()
    signal.signal(signal.SIGINT, stop.set)
    signal.signal(signal.SIGTERM, stop.set)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / SUPERVISOR_PID_FILE).write_text(f"{os.getpid()}\n")
    try:
        supervisor.start_all()
        laggards = supervisor.wait_ready(READY_TIMEOUT_S, stop.is_set)
        if laggards and not stop.is_set():
            log.error("regions not ready after %.0fs: %s", READY_TIMEOUT_S, ", ".join(laggards))
            return 1
        if not stop.is_set():
            print(banner(deployment, supervisor), flush=True)
        while not stop.is_set():
            supervisor.check()
            time.sleep(POLL_INTERVAL_S)
        log.info("stopping every region")
        return 0
    finally:
        supervisor.stop_all()
        (run_dir / SUPERVISOR_PID_FILE).unlink(missing_ok=True)


def why_not_start(deployment: DeploymentConfig) -> str | None:
    """Why this deployment cannot start now (already running, a port taken); None: it can."""
    running = supervisor_pid(deployment)
    if running is not None:
        return (
            f"this deployment is already running (ferry up pid {running}, data in "
            f"{deployment.data_dir}); `ferry status` shows it, `ferry down` stops it"
        )
    busy = busy_regions(deployment)
    if busy:
        taken = ", ".join(f"{r.host}:{r.port} ({r.name})" for r in busy)
        return (
            f"port(s) already in use: {taken}; another Ferry or another program is listening "
            "there (`ferry status` shows a Ferry deployment; pick other ports in ferry.toml)"
        )
    return None


class _StopFlag:
    def __init__(self) -> None:
        self._set = False

    def set(self, signum: int, frame: FrameType | None) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


def banner(deployment: DeploymentConfig, supervisor: Supervisor) -> str:
    root = deployment.root
    lines = [f"ferry: deployment up (data in {deployment.data_dir})"]
    for child in supervisor.children:
        region = child.region
        lines.append(f"  {region.name:<16} {region.endpoint:<28} pid {child.pid}")
    secret = root.secret_key.reveal() if root.defaulted else "<your root secret key>"
    origin = (
        "defaults: set FERRY_ROOT_ACCESS_KEY / FERRY_ROOT_SECRET_KEY or [root] in ferry.toml"
        if root.defaulted
        else "from ferry.toml or FERRY_ROOT_*"
    )
    lines += [
        f"root credentials ({origin}):",
        f"  access key {root.access_key}",
        f"  secret key {secret}",
        "try it:",
        f"  export AWS_ACCESS_KEY_ID={root.access_key} AWS_SECRET_ACCESS_KEY={secret}",
    ]
    if deployment.tls_ca_bundle is not None:  # the aws CLI and boto3 read it, as does ferry
        lines.append(f"  export AWS_CA_BUNDLE={deployment.tls_ca_bundle}")
    for index, region in enumerate(deployment.regions[:2]):
        command = "s3 mb s3://my-first-bucket" if index == 0 else "s3 ls"
        lines.append(f"  aws --endpoint-url {region.endpoint} --region {region.name} {command}")
    if deployment.console.enabled:
        lines.append("console (sign in with an access key and its secret):")
        lines += [
            f"  {region.name:<16} {region.endpoint}/_console/" for region in deployment.regions
        ]
    lines.append("Ctrl-C stops every region.")
    return "\n".join(lines)
