"""Replication lag at a steady rate: PUT small objects to the source on a fixed schedule and,
for each, time from the PUT's acknowledgement until HEAD at the destination answers 200.

The schedule is open-loop (object i is due at start + i/rate, whatever earlier PUTs are doing)
and PUTs go through a pool of keep-alive connections, so a slow PUT delays nothing else; how
late each PUT started is recorded. After its PUT is acknowledged, an object's probe sends HEAD
to the destination every `poll_s` through a bounded pool of connections until 200 or until
`timeout_s` have passed (the object is then counted as never arrived). The lag is measured to
the moment the successful HEAD's answer was read, so it overstates the true lag by at most one
poll interval (the effective one, see below) plus one HEAD round trip.

All probes share one pacer of `max_head_rate` HEADs per second. Bounded concurrency alone does
not bound the rate: once lag grows, thousands of objects are outstanding and 16 connections
polling them every 10 ms kept the destination busy with ~2,000 HEAD/s, which slowed its
replica writes, which grew the lag further. With the pacer, an object is polled less often
when many are outstanding; the mean interval actually achieved is reported.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from bench.loadgen import ERROR_SAMPLE_BYTES, MAX_ERROR_SAMPLES, TRANSPORT_ERRORS, Connection
from bench.probe import ProbeCalls
from bench.s3client import S3Calls
from bench.stats import percentile

PUT_CONNECTIONS = 8
HEAD_CONNECTIONS = 16
PUT_TIMEOUT_S = 10.0
HEAD_TIMEOUT_S = 5.0
FINISH_GRACE_S = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SteadyPlan:
    bucket_src: str
    bucket_dst: str
    prefix: str
    rate_per_s: float
    seconds: float
    size: int
    poll_s: float
    max_head_rate: float
    timeout_s: float
    window_s: float


class Pacer:
    """At most `rate` acquisitions per second, granted in call order."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0

    async def acquire(self) -> None:
        now = time.perf_counter()
        slot = max(now, self._next)
        self._next = slot + self._interval
        await asyncio.sleep(slot - now)


@dataclass(slots=True)
class ObjectLag:
    index: int
    late_s: float = 0.0  # PUT start minus its due time
    acked_at_s: float | None = None  # since the phase started
    put_s: float | None = None
    lag_s: float | None = None
    heads: int = 0


@dataclass(slots=True)
class SteadyResult:
    objects: list[ObjectLag] = field(default_factory=list)
    put_errors: int = 0
    head_errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def record_error(self, what: str) -> None:
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(what[:ERROR_SAMPLE_BYTES])


async def run_steady(
    plan: SteadyPlan, source: S3Calls, destination: ProbeCalls, body: bytes
) -> SteadyResult:
    result = SteadyResult()
    puts: asyncio.Queue[Connection] = asyncio.Queue()
    heads: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(PUT_CONNECTIONS):
        e = source.endpoint
        puts.put_nowait(Connection(e.host, e.port))
    for _ in range(HEAD_CONNECTIONS):
        e = destination.endpoint
        heads.put_nowait(Connection(e.host, e.port))
    pacer = Pacer(plan.max_head_rate)
    start = time.perf_counter()

    async def one(record: ObjectLag, due: float) -> None:
        key = f"{plan.prefix}{record.index:07d}"
        conn = await puts.get()
        began = time.perf_counter()
        record.late_s = began - due
        try:
            async with asyncio.timeout(PUT_TIMEOUT_S):
                reply = await source.put_object(conn, plan.bucket_src, key, body)
        except TRANSPORT_ERRORS as exc:
            conn.close()
            result.put_errors += 1
            result.record_error(f"PUT {key}: {type(exc).__name__}: {exc}")
            return
        finally:
            puts.put_nowait(conn)
        acked = time.perf_counter()
        if not 200 <= reply.status < 300:
            result.put_errors += 1
            result.record_error(f"PUT {key}: HTTP {reply.status}: {reply.sample!r}")
            return
        record.acked_at_s, record.put_s = acked - start, acked - began
        record.lag_s = await _probe(plan, destination, heads, pacer, key, acked, record, result)

    tasks: list[asyncio.Task[None]] = []
    count = int(plan.rate_per_s * plan.seconds)
    budget = PUT_TIMEOUT_S + plan.timeout_s + FINISH_GRACE_S
    try:
        for index in range(count):
            due = start + index / plan.rate_per_s
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            record = ObjectLag(index)
            result.objects.append(record)
            tasks.append(asyncio.create_task(one(record, due)))
        async with asyncio.timeout(budget):
            await asyncio.gather(*tasks)
    except TimeoutError:  # probes still running are cancelled: their objects count as lost
        result.record_error(f"phase did not finish within {budget:g} s of its last PUT")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        result.elapsed_s = time.perf_counter() - start
        for queue in (puts, heads):
            while not queue.empty():
                queue.get_nowait().close()
    return result


async def _probe(
    plan: SteadyPlan,
    destination: ProbeCalls,
    pool: asyncio.Queue[Connection],
    pacer: Pacer,
    key: str,
    acked: float,
    record: ObjectLag,
    result: SteadyResult,
) -> float | None:
    """HEAD the destination every poll_s until 200; the lag, or None after timeout_s."""
    deadline = acked + plan.timeout_s
    while True:
        await pacer.acquire()
        conn = await pool.get()
        status = 0
        try:
            async with asyncio.timeout(HEAD_TIMEOUT_S):
                status = (await destination.head_object(conn, plan.bucket_dst, key)).status
        except TRANSPORT_ERRORS as exc:
            conn.close()
            result.head_errors += 1
            result.record_error(f"HEAD {key}: {type(exc).__name__}: {exc}")
        finally:
            pool.put_nowait(conn)
        now = time.perf_counter()
        record.heads += 1
        if status == 200:
            return now - acked
        if status not in (0, 404):
            result.head_errors += 1
            result.record_error(f"HEAD {key}: HTTP {status}")
        if now >= deadline:
            return None
        await asyncio.sleep(plan.poll_s)


def _lag_figures(lags: list[float]) -> dict[str, Any]:
    ordered = sorted(lags)
    p50, p99 = percentile(ordered, 0.5), percentile(ordered, 0.99)
    return {
        "arrived": len(ordered),
        "p50_ms": None if p50 is None else p50 * 1000,
        "p99_ms": None if p99 is None else p99 * 1000,
        "max_ms": ordered[-1] * 1000 if ordered else None,
    }


def summarise_steady(plan: SteadyPlan, result: SteadyResult) -> dict[str, Any]:
    """Overall and per-window lag figures (windows by PUT acknowledgement time)."""
    acked = [r for r in result.objects if r.acked_at_s is not None]
    lags = [r.lag_s for r in acked if r.lag_s is not None]
    windows = []
    for start in range(0, max(1, int(-(-plan.seconds // plan.window_s)))):
        low, high = start * plan.window_s, (start + 1) * plan.window_s
        inside = [r for r in acked if r.acked_at_s is not None and low <= r.acked_at_s < high]
        window_lags = [r.lag_s for r in inside if r.lag_s is not None]
        lost = len(inside) - len(window_lags)
        windows.append({"from_s": low, "to_s": high, "acked": len(inside), "never_arrived": lost})
        windows[-1].update(_lag_figures(window_lags))
    puts = sorted(r.put_s for r in acked if r.put_s is not None)
    late = sorted(r.late_s for r in result.objects)
    p99_put, p99_late = percentile(puts, 0.99), percentile(late, 0.99)
    heads = sum(r.heads for r in acked)
    waited = sum(plan.timeout_s if r.lag_s is None else r.lag_s for r in acked)
    return {
        "planned": int(plan.rate_per_s * plan.seconds),
        "acked": len(acked),
        "put_errors": result.put_errors,
        "never_arrived": len(acked) - len(lags),
        "achieved_put_per_s": len(acked) / plan.seconds if plan.seconds else 0.0,
        "put_p99_ms": None if p99_put is None else p99_put * 1000,
        "start_late_p99_ms": None if p99_late is None else p99_late * 1000,
        "head_requests": heads,
        "mean_head_interval_ms": waited / heads * 1000 if heads else None,
        "head_errors": result.head_errors,
        "error_samples": result.error_samples,
        **_lag_figures(lags),
        "windows": windows,
    }
