"""Figures from a phase: throughput, latency percentiles, medians and ratios."""

from __future__ import annotations

import math
import statistics
from typing import Any

from bench.loadgen import PhaseResult

MB = 1_000_000


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an ascending list; None when it is empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(result: PhaseResult) -> dict[str, Any]:
    """The raw and derived figures of one phase, JSON-ready (latencies in milliseconds)."""
    latencies = sorted(result.latencies_s)
    elapsed = result.elapsed_s
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    return {
        "ok": result.ok,
        "errors": result.errors,
        "error_samples": result.error_samples,
        "timed_out": result.timed_out,
        "elapsed_s": elapsed,
        "bytes_ok": result.bytes_ok,
        "ops_per_s": result.ok / elapsed if elapsed > 0 else 0.0,
        "mb_per_s": result.bytes_ok / elapsed / MB if elapsed > 0 else 0.0,
        "p50_ms": None if p50 is None else p50 * 1000,
        "p99_ms": None if p99 is None else p99 * 1000,
        "latencies_ms": [round(value * 1000, 4) for value in result.latencies_s],
    }


def median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator
