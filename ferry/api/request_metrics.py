"""HTTP request metrics of one region's API: requests counted by operation (S3's operation name,
or the API family's name) and status, and their latency. Kept in this region's own Prometheus
registry (several regions may share a process in tests), exported by `GET /_ferry/metrics`.

The operation is the one the pipeline noted for the audit trail (`CallNote.operation`; S3's
route), else the API family's name: one fact, read by both."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

# Request latency buckets, seconds (a 4 KiB PUT takes milliseconds; a large GET, minutes).
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60)


class RequestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "ferry_http_requests",
            "HTTP requests served, by operation and status.",
            ("operation", "status"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "ferry_http_request_duration_seconds",
            "Time to serve an HTTP request, response body included, by operation.",
            ("operation",),
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )

    def observe(self, operation: str, status: int, elapsed_s: float) -> None:
        self._requests.labels(operation, str(status)).inc()
        self._latency.labels(operation).observe(elapsed_s)
