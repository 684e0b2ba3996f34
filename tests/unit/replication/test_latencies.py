from __future__ import annotations

import pytest

from ferry.replication.latencies import (
    INFINITY_MS,
    LATENCY_BOUNDS_MS,
    LatencyHistogram,
    bound_for,
    merge,
)


def test_a_latency_falls_in_the_first_bucket_that_holds_it() -> None:
    assert bound_for(0) == LATENCY_BOUNDS_MS[0]
    assert bound_for(100) == 100 and bound_for(101) == 250
    assert bound_for(LATENCY_BOUNDS_MS[-1] + 1) == INFINITY_MS


def test_quantiles_interpolate_within_a_bucket_as_prometheus_does() -> None:
    histogram = LatencyHistogram(counts={100: 50, 250: 50}, sum_ms=10_000)
    assert histogram.count == 100
    assert histogram.quantile_s(0.5) == pytest.approx(0.1)
    assert histogram.quantile_s(0.75) == pytest.approx(0.175)  # halfway into (100, 250]
    assert histogram.quantile_s(0.99) == pytest.approx(0.247)
    cumulative = dict(histogram.cumulative())
    assert (cumulative[100], cumulative[250], cumulative[INFINITY_MS]) == (50, 100, 100)


def test_the_open_bucket_answers_its_lower_bound_and_nothing_answers_none() -> None:
    late = LatencyHistogram(counts={INFINITY_MS: 1}, sum_ms=10**9)
    assert late.quantile_s(0.99) == LATENCY_BOUNDS_MS[-1] / 1000
    assert LatencyHistogram(counts={}, sum_ms=0).quantile_s(0.5) is None


def test_histograms_merge_by_bucket() -> None:
    a = LatencyHistogram(counts={100: 1, 500: 2}, sum_ms=900)
    b = LatencyHistogram(counts={500: 1}, sum_ms=400)
    assert merge([a, b]) == LatencyHistogram(counts={100: 1, 500: 3}, sum_ms=1300)
