"""`ferry down`: stop the deployment `ferry up` runs for this directory (or `--config`), as
Ctrl-C would: SIGTERM to its `ferry up`, which stops every region, then wait for it to exit.
Nothing running is not an error (exit 0), so scripts can call it unconditionally."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time

from ferry.cli.deployment_file import add_deployment_command
from ferry.cli.run_dir import is_alive, supervisor_pid
from ferry.cli.supervisor import POLL_INTERVAL_S, STOP_TIMEOUT_S
from ferry.config import DeploymentConfig

# `ferry up` gives its regions STOP_TIMEOUT_S before it SIGKILLs them; allow for that and more.
DOWN_TIMEOUT_S = 3 * STOP_TIMEOUT_S


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_deployment_command(commands, "down", "stop a deployment that `ferry up` runs", stop)


def stop(deployment: DeploymentConfig) -> int:
    pid = supervisor_pid(deployment)
    if pid is None:
        print(f"ferry down: no deployment running (data in {deployment.data_dir})", flush=True)
        return 0
    with contextlib.suppress(ProcessLookupError):  # it may have just exited on its own
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + DOWN_TIMEOUT_S
    while is_alive(pid):
        if time.monotonic() > deadline:
            print(f"ferry down: ferry up (pid {pid}) did not stop", file=sys.stderr, flush=True)
            return 1
        time.sleep(POLL_INTERVAL_S)
    print(f"ferry down: stopped (ferry up pid {pid})", flush=True)
    return 0
