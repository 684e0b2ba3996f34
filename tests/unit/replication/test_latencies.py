from __future__ import annotations

from ferry.replication.latencies import WINDOW_MS, ReplicationLatencies


def test_latency_per_rule_is_summarised_over_the_recent_window_of_one_bucket() -> None:
    latencies = ReplicationLatencies()
    for created, finished in ((0, 1000), (0, 3000), (500, 1000)):
        latencies.record("src", "r1", created_ms=created, now_ms=finished)
    latencies.record("src", "r2", created_ms=0, now_ms=200)
    latencies.record("other", "r1", created_ms=0, now_ms=9000)
    [r1, r2] = latencies.summary("src", now_ms=3000)
    assert (r1.rule_id, r1.count, r1.p50_s, r1.max_s, r1.last_s) == ("r1", 3, 1.0, 3.0, 0.5)
    assert (r2.rule_id, r2.count, r2.max_s) == ("r2", 1, 0.2)
    assert latencies.summary("src", now_ms=3000 + WINDOW_MS) == []


def test_a_clock_step_backwards_never_makes_a_negative_latency() -> None:
    latencies = ReplicationLatencies()
    latencies.record("src", "r", created_ms=5000, now_ms=4000)
    [row] = latencies.summary("src", now_ms=4000)
    assert row.max_s == 0.0
