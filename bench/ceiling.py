"""What this machine allows at best, measured in the same run as the servers.

- `noop`: the load generator against a do-nothing ASGI app (uvicorn, httptools, uvloop) with the
  same signed small GETs at concurrency 16: above this req/s no server can be measured.
- `fsync`: durable 4 KiB file creates per second (write, fsync, rename, fsync dir).
- `md5`: MD5 throughput of one core, the cost of an S3 ETag.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.loadgen import Connection, Reply, run_phase
from bench.s3client import Endpoint, S3Calls
from bench.signer import SignFn
from bench.stats import summarise

FSYNC_FILE_BYTES = 4096
MD5_BLOCK_BYTES = 1 << 20
NOOP_CONCURRENCY = 16
NOOP_MAX_OPS = 1_000_000
NOOP_OP_TIMEOUT_S = 10.0


def measure_fsync_creates(seconds: float, parent: Path) -> dict[str, Any]:
    """Create 4 KiB files durably for `seconds` in a fresh directory under `parent`."""
    payload = os.urandom(FSYNC_FILE_BYTES)
    with tempfile.TemporaryDirectory(prefix="fsync-", dir=parent) as name:
        directory = Path(name)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            count = 0
            start = time.perf_counter()
            deadline = start + seconds
            while time.perf_counter() < deadline:
                tmp, final = directory / f"{count}.tmp", directory / f"{count}.blob"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                try:
                    os.write(fd, payload)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.rename(tmp, final)
                os.fsync(dir_fd)
                count += 1
            elapsed = time.perf_counter() - start
        finally:
            os.close(dir_fd)
    return {"creates": count, "elapsed_s": elapsed, "creates_per_s": count / elapsed}


def measure_md5(seconds: float) -> dict[str, Any]:
    """Hash a 1 MiB block repeatedly on one core for `seconds`."""
    block = os.urandom(MD5_BLOCK_BYTES)
    digest = hashlib.md5(usedforsecurity=False)
    hashed = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        digest.update(block)
        hashed += MD5_BLOCK_BYTES
    elapsed = time.perf_counter() - start
    return {"bytes": hashed, "elapsed_s": elapsed, "mb_per_s": hashed / elapsed / 1e6}


async def measure_noop(endpoint: Endpoint, sign: SignFn, seconds: float) -> dict[str, Any]:
    """Signed small GETs at concurrency 16 against the do-nothing app."""
    calls = S3Calls(endpoint, sign)

    async def get(conn: Connection, index: int) -> Reply:
        return await calls.get_object(conn, "ceiling", f"key-{index % 1024}")

    result = await run_phase(
        host=endpoint.host,
        port=endpoint.port,
        op=get,
        concurrency=NOOP_CONCURRENCY,
        max_ops=NOOP_MAX_OPS,
        max_seconds=seconds,
        op_timeout_s=NOOP_OP_TIMEOUT_S,
        payload_bytes=0,
    )
    return summarise(result)
