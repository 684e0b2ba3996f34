"""Run the workloads against every server, interleaved, plus the machine ceiling, K times.

Order inside one repeat: ceiling first, then for each workload and each op (PUT, then GET) every
server in turn, so machine noise hits all servers alike. The server order rotates by one at each
repeat so that no server is always first after a pause. GETs read back the keys the same
server's PUT phase stored.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import ceiling
from bench.loadgen import TRANSPORT_ERRORS, Connection, Reply, run_phase
from bench.s3client import Endpoint, S3Calls
from bench.signer import SignFn
from bench.stats import summarise

KiB = 1024
MiB = 1024 * KiB
CREATE_BUCKET_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    label: str
    size: int
    concurrency: int
    max_ops: int
    max_seconds: float
    op_timeout_s: float
    key_space: int | None = None  # None: a new key per PUT; else keys are overwritten cyclically


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    workloads: tuple[Workload, ...]
    repeat: int
    noop_seconds: float
    fsync_seconds: float
    md5_seconds: float


# label, object size, concurrency, max ops in a full run, per-op timeout, key space
_WORKLOADS: tuple[tuple[str, int, int, int, float, int | None], ...] = (
    ("4KiB c1", 4 * KiB, 1, 4_000, 10.0, None),
    ("4KiB c16", 4 * KiB, 16, 40_000, 10.0, None),
    ("1MiB c16", MiB, 16, 4_000, 30.0, None),
    ("64MiB c4", 64 * MiB, 4, 32, 60.0, 8),
)


WORKLOAD_LABELS = tuple(w[0] for w in _WORKLOADS)


def make_plan(*, quick: bool, repeat: int, only: tuple[str, ...] = WORKLOAD_LABELS) -> Plan:
    """Full run: ~5 s per small phase, ~10 s per 64 MiB phase; --quick: ~1.5 s / ~3 s.
    `only`: the labels of the workloads to run."""
    small_s, large_s = (1.5, 3.0) if quick else (5.0, 10.0)
    workloads = tuple(
        Workload(
            label=label,
            size=size,
            concurrency=concurrency,
            max_ops=max_ops // 4 if quick else max_ops,
            max_seconds=large_s if size > MiB else small_s,
            op_timeout_s=op_timeout_s,
            key_space=key_space,
        )
        for label, size, concurrency, max_ops, op_timeout_s, key_space in _WORKLOADS
        if label in only
    )
    return Plan(
        workloads=workloads,
        repeat=repeat,
        noop_seconds=1.5 if quick else 3.0,
        fsync_seconds=1.0 if quick else 2.0,
        md5_seconds=0.5 if quick else 1.0,
    )


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _key(workload: Workload, repeat: int, index: int) -> str:
    slot = index if workload.key_space is None else index % workload.key_space
    slug = workload.label.replace(" ", "-").lower()
    return f"{slug}/r{repeat}/{slot:07d}"


async def _create_bucket(calls: S3Calls, bucket: str) -> dict[str, Any]:
    conn = Connection(calls.endpoint.host, calls.endpoint.port)
    try:
        async with asyncio.timeout(CREATE_BUCKET_TIMEOUT_S):
            reply = await calls.create_bucket(conn, bucket)
    except TRANSPORT_ERRORS as exc:
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    finally:
        conn.close()
    detail = reply.sample.decode("utf-8", "replace")
    return {"ok": 200 <= reply.status < 300, "status": reply.status, "detail": detail}


async def _run_op(
    calls: S3Calls,
    bucket: str,
    workload: Workload,
    op: str,
    repeat: int,
    keys: list[str],
    payload: memoryview,
) -> dict[str, Any]:
    body = (
        bytes(payload[: workload.size]) if workload.size <= 64 * KiB else payload[: workload.size]
    )

    async def put(conn: Connection, index: int) -> Reply:
        return await calls.put_object(conn, bucket, _key(workload, repeat, index), body)

    async def get(conn: Connection, index: int) -> Reply:
        key = keys[index % len(keys)] if keys else _key(workload, repeat, index)
        return await calls.get_object(conn, bucket, key)

    result = await run_phase(
        host=calls.endpoint.host,
        port=calls.endpoint.port,
        op=put if op == "PUT" else get,
        concurrency=workload.concurrency,
        max_ops=workload.max_ops,
        max_seconds=workload.max_seconds,
        op_timeout_s=workload.op_timeout_s,
        payload_bytes=workload.size,
    )
    if op == "PUT":
        keys[:] = sorted({_key(workload, repeat, index) for index in result.ok_indices})
    return summarise(result)


async def run_benchmark(
    plan: Plan,
    targets: dict[str, Endpoint],
    noop: Endpoint | None,
    sign: SignFn,
    scratch: Path,
) -> dict[str, Any]:
    """Run `plan`; return {"buckets", "ceiling", "runs"} with every raw figure."""
    payload = memoryview(os.urandom(max(w.size for w in plan.workloads)))
    bucket = f"ferry-bench-{os.getpid()}"
    calls = {name: S3Calls(endpoint, sign) for name, endpoint in targets.items()}
    buckets = {name: await _create_bucket(c, bucket) for name, c in calls.items()}
    for name, outcome in buckets.items():
        state = "created" if outcome["ok"] else f"FAILED {outcome.get('status', '')}"
        _progress(f"bucket {bucket} on {name}: {state} {outcome['detail'][:160]}".rstrip())
    ceilings: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    names = list(calls)
    for repeat in range(plan.repeat):
        _progress(f"-- repeat {repeat + 1}/{plan.repeat}: ceiling")
        ceilings.append(await _measure_ceiling(plan, noop, sign, scratch))
        order = names[repeat % len(names) :] + names[: repeat % len(names)] if names else []
        for workload in plan.workloads:
            keys: dict[str, list[str]] = {name: [] for name in names}
            for op in ("PUT", "GET"):
                for name in order:
                    figures = await _run_op(
                        calls[name], bucket, workload, op, repeat, keys[name], payload
                    )
                    runs.append(
                        {
                            "repeat": repeat,
                            "workload": workload.label,
                            "op": op,
                            "server": name,
                            "size_bytes": workload.size,
                            "concurrency": workload.concurrency,
                            **figures,
                        }
                    )
                    _progress(
                        f"{workload.label:>9} {op:<3} {name:<7} {figures['ops_per_s']:9.1f} ops/s"
                        f" {figures['mb_per_s']:8.1f} MB/s  ok={figures['ok']}"
                        f" errors={figures['errors']}"
                    )
    return {"bucket": bucket, "buckets": buckets, "ceiling": ceilings, "runs": runs}


async def _measure_ceiling(
    plan: Plan, noop: Endpoint | None, sign: SignFn, scratch: Path
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    if noop is not None:
        figures["noop"] = await ceiling.measure_noop(noop, sign, plan.noop_seconds)
    figures["fsync"] = await asyncio.to_thread(
        ceiling.measure_fsync_creates, plan.fsync_seconds, scratch
    )
    figures["md5"] = await asyncio.to_thread(ceiling.measure_md5, plan.md5_seconds)
    noop_text = f"{figures['noop']['ops_per_s']:.0f} req/s" if "noop" in figures else "not running"
    _progress(
        f"ceiling: no-op app {noop_text},"
        f" fsync'd creates {figures['fsync']['creates_per_s']:.0f}/s,"
        f" md5 {figures['md5']['mb_per_s']:.0f} MB/s"
    )
    return figures
