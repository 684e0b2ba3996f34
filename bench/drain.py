"""Drain of a backlog: with the destination region down, write N objects to the source; bring
the destination back and time from its health check answering 200 until every object is there.

Arrival is watched with listings of the destination prefix (ListObjectsV2, pages of 1,000 keys,
via `bench.probe.Lister`), from the first missing key to the last (keys before the first are
known to be there). Listing 10,000 keys costs the destination real CPU (a watcher that listed
every 0.25 s took more of its time than replication did), so listings are spaced adaptively:
the next one comes after half the time the current arrival rate needs to finish (at most
MAX_LIST_GAP_S; MIN_LIST_GAP_S while nothing arrives), and never sooner than LIST_GAP_FACTOR
times the last listing's duration, which bounds the watcher's share of the time. Once few keys
are missing, only those are probed with HEAD, every HEAD_POLL_S, which pins the end of the
drain to within that interval. Every sample (time, objects present) is kept for the JSON.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.loadgen import TRANSPORT_ERRORS, Connection, PhaseResult, Reply, run_phase
from bench.probe import Lister, ListingFailed, ProbeCalls
from bench.s3client import S3Calls
from bench.stats import MB

MIN_LIST_GAP_S = 0.1
MAX_LIST_GAP_S = 3.0
LIST_GAP_FACTOR = 2.0
HEAD_THRESHOLD = 32
HEAD_POLL_S = 0.1
HEAD_TIMEOUT_S = 5.0
MAX_SAMPLES_KEPT = 5000


@dataclass(frozen=True, slots=True, kw_only=True)
class Backlog:
    label: str
    prefix: str
    count: int
    size: int
    concurrency: int
    op_timeout_s: float
    write_budget_s: float


@dataclass(slots=True)
class DrainResult:
    expected: int
    arrived: int = 0
    drain_s: float | None = None  # health 200 → the poll that saw the last object
    resolution_s: float | None = None  # gap between that poll and the one before it
    first_arrival_s: float | None = None
    timed_out: bool = False
    probe_errors: list[str] = field(default_factory=list)
    list_requests: int = 0
    head_requests: int = 0
    watch_busy_s: float = 0.0  # time spent waiting on listings and HEADs
    samples: list[tuple[float, int]] = field(default_factory=list)

    def figures(self, size: int) -> dict[str, Any]:
        drain = self.drain_s
        rate = self.arrived / drain if drain else None
        return {
            "expected": self.expected,
            "arrived": self.arrived,
            "missing": self.expected - self.arrived,
            "drain_s": drain,
            "resolution_s": self.resolution_s,
            "first_arrival_s": self.first_arrival_s,
            "objects_per_s": rate,
            "mb_per_s": None if rate is None else rate * size / MB,
            "timed_out": self.timed_out,
            "probe_errors": self.probe_errors[:5],
            "list_requests": self.list_requests,
            "head_requests": self.head_requests,
            "watch_busy_fraction": self.watch_busy_s / drain if drain else None,
            "samples": self.samples[:MAX_SAMPLES_KEPT],
        }


def backlog_keys(backlog: Backlog, written: PhaseResult) -> list[str]:
    return [f"{backlog.prefix}{index:07d}" for index in sorted(written.ok_indices)]


async def write_backlog(backlog: Backlog, source: S3Calls, bucket: str, body: bytes) -> PhaseResult:
    """PUT `count` objects concurrently with the lean client (loadgen's phase runner)."""
    view = memoryview(body)

    async def put(conn: Connection, index: int) -> Reply:
        key = f"{backlog.prefix}{index:07d}"
        return await source.put_object(conn, bucket, key, view)

    return await run_phase(
        host=source.endpoint.host,
        port=source.endpoint.port,
        op=put,
        concurrency=backlog.concurrency,
        max_ops=backlog.count,
        max_seconds=backlog.write_budget_s,
        op_timeout_s=backlog.op_timeout_s,
        payload_bytes=backlog.size,
    )


async def watch_arrivals(
    keys: list[str],
    *,
    bucket: str,
    prefix: str,
    lister: Lister,
    probe: ProbeCalls,
    since: float,
    timeout_s: float,
) -> DrainResult:
    """Wait until every key is at `bucket` (or timeout_s after `since`); times from `since`."""
    result = DrainResult(expected=len(keys))
    missing = set(keys)
    ordered = sorted(keys)
    position = {key: index for index, key in enumerate(ordered)}
    conns = [Connection(probe.endpoint.host, probe.endpoint.port) for _ in range(HEAD_THRESHOLD)]
    previous = 0.0
    deadline = since + timeout_s
    try:
        while missing and time.perf_counter() < deadline:
            began = time.perf_counter()
            listed_before = lister.requests
            try:
                if len(missing) > HEAD_THRESHOLD:
                    first = min(missing)  # keys before it are known to be there: skip them
                    start_after = ordered[position[first] - 1] if position[first] else ""
                    missing -= await lister.keys(
                        bucket, prefix, start_after=start_after, stop_at=max(missing)
                    )
                else:
                    result.head_requests += len(missing)
                    missing -= await _present_by_head(probe, conns, bucket, sorted(missing))
            except (httpx.HTTPError, ListingFailed, *TRANSPORT_ERRORS) as exc:
                result.probe_errors.append(f"{type(exc).__name__}: {exc}"[:240])
            now = time.perf_counter()
            result.list_requests += lister.requests - listed_before
            result.watch_busy_s += now - began
            arrived = len(keys) - len(missing)
            result.samples.append((round(now - since, 4), arrived))
            if arrived and result.first_arrival_s is None:
                result.first_arrival_s = now - since
            if not missing:
                result.drain_s, result.resolution_s = now - since, now - since - previous
                break
            previous = now - since
            await asyncio.sleep(_gap(result.samples, len(missing), now - began))
    finally:
        for conn in conns:
            conn.close()
    result.arrived = len(keys) - len(missing)
    result.timed_out = bool(missing)
    return result


def _gap(samples: list[tuple[float, int]], missing: int, last_probe_s: float) -> float:
    """Seconds until the next look: see the module docstring."""
    if missing <= HEAD_THRESHOLD:
        return HEAD_POLL_S
    rate = 0.0
    if len(samples) > 1:
        (t0, n0), (t1, n1) = samples[-2], samples[-1]
        rate = (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0
    gap = MIN_LIST_GAP_S if rate <= 0 else min(missing / rate / 2, MAX_LIST_GAP_S)
    return max(MIN_LIST_GAP_S, LIST_GAP_FACTOR * last_probe_s, gap)


async def _present_by_head(
    probe: ProbeCalls, conns: list[Connection], bucket: str, keys: list[str]
) -> set[str]:
    async def head(conn: Connection, key: str) -> str | None:
        try:
            async with asyncio.timeout(HEAD_TIMEOUT_S):
                reply = await probe.head_object(conn, bucket, key)
        except TRANSPORT_ERRORS:
            conn.close()
            return None
        return key if reply.status == 200 else None

    found = await asyncio.gather(*(head(c, k) for c, k in zip(conns, keys, strict=False)))
    return {key for key in found if key is not None}


async def measure_drain(
    backlog: Backlog,
    keys: list[str],
    *,
    bucket: str,
    restart: Callable[[], Awaitable[float]],
    lister: Lister,
    probe: ProbeCalls,
    timeout_s: float,
) -> tuple[float, DrainResult]:
    """Restart the destination (returns when health said 200) and watch the backlog arrive.
    Returns (seconds from spawn to health 200, the drain)."""
    spawned = time.perf_counter()
    healthy = await restart()
    drain = await watch_arrivals(
        keys,
        bucket=bucket,
        prefix=backlog.prefix,
        lister=lister,
        probe=probe,
        since=healthy,
        timeout_s=timeout_s,
    )
    return healthy - spawned, drain
