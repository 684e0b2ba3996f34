"""The rclone baseline: `rclone copy east:<bucket>/<prefix> west:<fresh bucket>`, timed.

rclone is configured entirely through environment variables (one S3 remote per region,
provider Other, path-style, the region's endpoint and keys); `RCLONE_CONFIG` points at a file
in the temp dir that does not exist, and RCLONE_* / AWS_* variables of the caller are dropped,
so no user configuration leaks in. The benchmark never
installs rclone: `check_rclone()` says how when it is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.s3client import Endpoint

INSTALL_HINT = (
    "rclone not found on PATH. Install it with `sudo apt-get update && sudo apt-get install -y "
    "rclone` (Debian/Ubuntu), `brew install rclone` (macOS) or from https://rclone.org/install/,"
    " or pass --no-rclone to skip the comparison."
)
VERSION_TIMEOUT_S = 15.0
OUTPUT_TAIL_CHARS = 2000
KILL_WAIT_S = 10.0
_DEFAULT = re.compile(r"--(transfers|checkers) int\s.*\(default (\d+)\)")


class RcloneMissing(Exception):
    """rclone is not installed or does not run; the message says how to install it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RcloneInfo:
    path: str
    version: str
    default_transfers: int | None
    default_checkers: int | None


async def _output(*argv: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        async with asyncio.timeout(VERSION_TIMEOUT_S):
            out, _ = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return out.decode(errors="replace")


async def check_rclone() -> RcloneInfo:
    path = shutil.which("rclone")
    if path is None:
        raise RcloneMissing(INSTALL_HINT)
    try:
        version = (await _output(path, "version")).splitlines()[0].strip()
        flags = await _output(path, "help", "flags")
    except (OSError, TimeoutError, IndexError) as exc:
        raise RcloneMissing(f"{path} does not run ({exc!r}). {INSTALL_HINT}") from exc
    defaults = {name: int(value) for name, value in _DEFAULT.findall(flags)}
    return RcloneInfo(
        path=path,
        version=version,
        default_transfers=defaults.get("transfers"),
        default_checkers=defaults.get("checkers"),
    )


def remote_env(name: str, endpoint: Endpoint) -> dict[str, str]:
    prefix = f"RCLONE_CONFIG_{name.upper()}_"
    return {
        prefix + "TYPE": "s3",
        prefix + "PROVIDER": "Other",
        prefix + "ENDPOINT": f"http://{endpoint.authority}",
        prefix + "ACCESS_KEY_ID": endpoint.access_key,
        prefix + "SECRET_ACCESS_KEY": endpoint.secret_key,
        prefix + "FORCE_PATH_STYLE": "true",
        prefix + "REGION": endpoint.region,
    }


async def copy(
    info: RcloneInfo,
    *,
    source: str,
    destination: str,
    extra_flags: list[str],
    env: dict[str, str],
    workdir: Path,
    timeout_s: float,
) -> dict[str, Any]:
    """Run one `rclone copy` in its own session; kill it on timeout or cancellation."""
    argv = [info.path, "copy", source, destination, "--s3-no-check-bucket", *extra_flags]
    # AWS_* variables are dropped too: rclone's AWS SDK fails on AWS_CA_BUNDLE ("unable to
    # load custom CA bundle, HTTPClient's transport unsupported type"), even for http://.
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("RCLONE_", "AWS_"))}
    full_env.update(env, RCLONE_CONFIG=str(workdir / "rclone.conf"))
    log_path = workdir / f"rclone-{destination.replace(':', '-').replace('/', '-')}.log"
    started = time.perf_counter()
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            *argv, env=full_env, stdout=log, stderr=log, start_new_session=True
        )
        timed_out = False
        try:
            async with asyncio.timeout(timeout_s):
                await proc.wait()
        except TimeoutError:
            timed_out = True
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(KILL_WAIT_S):
                        await proc.wait()
    elapsed = time.perf_counter() - started
    output = log_path.read_text(errors="replace")
    return {
        "argv": argv,
        "exit_code": proc.returncode,
        "timed_out": timed_out,
        "elapsed_s": elapsed,
        "output_tail": output[-OUTPUT_TAIL_CHARS:],
    }
