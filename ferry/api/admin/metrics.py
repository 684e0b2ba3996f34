"""`GET /_ferry/metrics`: the region's metrics in Prometheus' text format (docs/operations.md).

Replication's come from the region's database at scrape time (`replication.metrics`: exact,
kept in the transactions that change the queue), through a collector built for each scrape;
beside them the process (CPU, memory, file descriptors, GC), the HTTP requests this process
served (`api.request_metrics`), the replication queue's depth, the event outbox's depth per
target and the progress of batch jobs still running.

Who may scrape (`[metrics]`): anyone when `public = true`; otherwise the deployment's root
credentials (SigV4, as the rest of `/_ferry/`) or `Authorization: Bearer <bearer_token>`.
No credentials: 401; credentials that do not open it: 403. Errors are the admin API's JSON."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ferry.api.admin.errors import AdminError, error_response
from ferry.api.auth import authenticate
from ferry.api.context import ApiCall
from ferry.api.http import ClientDisconnected, Request, Response
from ferry.config import MetricsSettings
from ferry.replication import MetricsSnapshot, SeriesMetrics
from ferry.replication.latencies import INFINITY_MS

METRICS_PATH = "/_ferry/metrics"
_SERIES = ("bucket", "rule_id", "destination_bucket")
# The process's own metrics (CPU, memory, descriptors, GC), in a registry of their own.
_PROCESS = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=_PROCESS)
PlatformCollector(registry=_PROCESS)
GCCollector(registry=_PROCESS)


def is_metrics_request(request: Request) -> bool:
    return request.path == METRICS_PATH


async def handle_metrics(call: ApiCall) -> Response:
    request, services = call.request, call.services
    settings = services.deployment.metrics
    try:
        if not settings.enabled or services.replication_metrics is None:
            raise AdminError(404, "NotFound", "Metrics are disabled ([metrics] enabled = false).")
        if request.method not in ("GET", "HEAD"):
            raise AdminError(405, "MethodNotAllowed", f"{request.method} is not allowed here.")
        _authorize(call, settings)
        snapshot = await services.replication_metrics.snapshot()
        outbox = (await services.outbox.pending(0))[0] if services.outbox is not None else {}
        parts: list[Collector] = [_PROCESS, _Snapshot(snapshot, outbox)]
        if services.request_metrics is not None:
            parts.append(services.request_metrics.registry)
        body = generate_latest(_Scrape(parts))
        return Response(status=200, headers=[("content-type", CONTENT_TYPE_LATEST)], body=body)
    except ClientDisconnected:
        raise
    except Exception as exc:  # the endpoint's boundary: the admin API's JSON errors
        response = error_response(exc, call.request_id)
        if response.status == 401:
            response.headers.append(("www-authenticate", 'Bearer realm="ferry-metrics"'))
        return response


def _authorize(call: ApiCall, settings: MetricsSettings) -> None:
    if settings.public:
        return
    request, services = call.request, call.services
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        expected = settings.bearer_token
        if expected is None or not hmac.compare_digest(
            token.strip().encode(), expected.reveal().encode()
        ):
            raise AdminError(403, "AccessDenied", "The bearer token does not open the metrics.")
        return
    if not header and "X-Amz-Credential" not in request.params:
        raise AdminError(
            401,
            "Unauthorized",
            "The metrics need the root credentials or the bearer token ([metrics]).",
        )
    auth = authenticate(request, call.keys, services.clock, services.region.name)
    if not auth.principal.is_root:
        raise AdminError(403, "AccessDenied", "The metrics need the root credentials.")


class _Scrape(Collector):
    """Every collector of one scrape, as one."""

    def __init__(self, parts: Sequence[Collector]) -> None:
        self._parts = parts

    def collect(self) -> Iterable[Metric]:
        for part in self._parts:
            yield from part.collect()


class _Snapshot(Collector):
    """One snapshot of the database's replication metrics, as Prometheus metric families."""

    def __init__(self, snapshot: MetricsSnapshot, outbox: dict[str, int]) -> None:
        self._snapshot = snapshot
        self._outbox = outbox

    def collect(self) -> Iterable[Metric]:
        series = self._snapshot.series
        gauges: tuple[tuple[str, str, _Value], ...] = (
            ("pending_operations", "OperationsPendingReplication: tasks not yet replicated.",
             lambda s: s.pending_ops),
            ("pending_bytes", "BytesPendingReplication: bytes of the versions pending.",
             lambda s: s.pending_bytes),
            ("failed_operations",
             "OperationsFailedReplication: operations FAILED now (a successful re-drive or "
             "retry takes them off).", lambda s: s.failed_ops),
        )  # fmt: skip
        for name, text, value in gauges:
            family = GaugeMetricFamily(f"ferry_replication_{name}", text, labels=_SERIES)
            for s in series:
                family.add_metric(_labels(s), value(s))
            yield family
        counters: tuple[tuple[str, str, _Value], ...] = (
            ("replicated_operations", "Operations replicated.", lambda s: s.replicated_ops),
            ("replicated_bytes", "Bytes replicated.", lambda s: s.replicated_bytes),
            ("rtc_tracked_operations", "Operations tracked by Replication Time Control.",
             lambda s: s.rtc_tracked),
            ("rtc_missed_operations", "RTC operations not replicated within the threshold.",
             lambda s: s.rtc_missed),
        )  # fmt: skip
        for name, text, value in counters:
            counter = CounterMetricFamily(f"ferry_replication_{name}", text, labels=_SERIES)
            for s in series:
                counter.add_metric(_labels(s), value(s))
            yield counter
        oldest = GaugeMetricFamily(
            "ferry_replication_oldest_pending_age_seconds",
            "Age of the oldest pending operation (0: none pending).",
            labels=_SERIES,
        )
        latency = HistogramMetricFamily(
            "ferry_replication_latency_seconds",
            "ReplicationLatency: from the version's commit to the replica's acknowledgement.",
            labels=_SERIES,
        )
        for s in series:
            oldest.add_metric(_labels(s), s.oldest_pending_s or 0.0)
            buckets = [
                ("+Inf" if le == INFINITY_MS else repr(le / 1000), float(count))
                for le, count in s.latency.cumulative()
            ]
            latency.add_metric(_labels(s), buckets, sum_value=s.latency.sum_ms / 1000)
        yield oldest
        yield latency
        yield GaugeMetricFamily(
            "ferry_replication_queue_depth",
            "Replication tasks still owed in this region (every bucket, rule and destination).",
            value=self._snapshot.pending_ops,
        )
        outbox = GaugeMetricFamily(
            "ferry_events_outbox_depth", "Events not yet delivered, per target.",
            labels=("target_arn",),
        )  # fmt: skip
        for arn, count in sorted(self._outbox.items()):
            outbox.add_metric((arn,), count)
        yield outbox
        jobs = GaugeMetricFamily(
            "ferry_batch_job_tasks",
            "Batch replication jobs still running: their manifest's entries by outcome.",
            labels=("job_id", "status", "outcome"),
        )
        for job in self._snapshot.jobs:
            for outcome, count in (
                ("total", job.total), ("succeeded", job.succeeded), ("failed", job.failed)
            ):  # fmt: skip
                jobs.add_metric((job.job_id, job.status, outcome), count)
        yield jobs


_Value = Callable[[SeriesMetrics], int]


def _labels(s: object) -> list[str]:
    return [getattr(s, name) for name in _SERIES]
