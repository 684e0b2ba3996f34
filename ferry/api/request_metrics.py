"""HTTP request metrics of one region's API: requests counted by operation (S3's operation name,
or the API family's name) and status, and their latency. Kept in this region's own Prometheus
registry (several regions may share a process in tests), exported by `GET /_ferry/metrics`.

The operation is set by the pipeline that routes the request (`note_operation`, a context
variable: the pipeline runs in the request's own context)."""

from __future__ import annotations

from contextvars import ContextVar

from prometheus_client import CollectorRegistry, Counter, Histogram

_OPERATION: ContextVar[str | None] = ContextVar("ferry_operation", default=None)
# Request latency buckets, seconds (a 4 KiB PUT takes milliseconds; a large GET, minutes).
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60)


def note_operation(operation: str) -> None:
    """The request being served is `operation` (its label in the request metrics)."""
    _OPERATION.set(operation)


def noted_operation(default: str) -> str:
    return _OPERATION.get() or default


def clear_operation() -> None:
    _OPERATION.set(None)


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
