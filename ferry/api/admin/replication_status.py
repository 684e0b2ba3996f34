"""`GET /_ferry/replication/status?bucket=B` (JSON): the bucket's replication metrics per rule
and destination, exact (`replication.metrics`), with each rule's Metrics and Replication Time
Control settings; what `ferry replication status` prints. A rule of the configuration with no
task yet shows zeros; a rule removed since still shows what it did."""

from __future__ import annotations

from typing import Any

from ferry.api.admin.errors import AdminError
from ferry.api.context import Services
from ferry.protocol.xml.replication import ReplicationRuleStatus, parse_replication_configuration
from ferry.replication import SeriesMetrics, destination_bucket_name

_ENABLED = ReplicationRuleStatus.ENABLED


async def replication_status(services: Services, bucket: str) -> dict[str, Any]:
    found = await services.buckets.get(bucket)  # NoSuchBucket: the caller redirects
    if services.replication_metrics is None:
        raise AdminError(501, "NotImplemented", "Replication metrics are not served here.")
    snapshot = await services.replication_metrics.snapshot(bucket)
    rules: dict[str, dict[str, Any]] = {}
    if found.replication:
        for configured in parse_replication_configuration(found.replication.encode()).rules:
            destination = configured.destination
            time, metrics = destination.replication_time, destination.metrics
            rules[configured.id or ""] = {
                "rule_id": configured.id or "",
                "status": configured.status.value,
                "metrics": metrics is not None and metrics.status is _ENABLED,
                "replication_time": time is not None and time.status is _ENABLED,
                "destinations": {destination_bucket_name(destination.bucket): None},
            }
    for series in snapshot.series:
        shown = rules.setdefault(
            series.rule_id,
            {"rule_id": series.rule_id, "status": "Removed", "metrics": False,
             "replication_time": False, "destinations": {}},
        )  # fmt: skip
        shown["destinations"][series.destination_bucket] = series
    return {
        "bucket": bucket,
        "region": services.region.name,
        "rtc_threshold_s": services.deployment.replication.rtc_threshold_s,
        "rules": [
            {**rule, "destinations": [
                render_series(name, series) for name, series in rule["destinations"].items()
            ]}
            for rule in (rules[rule_id] for rule_id in sorted(rules))
        ],
    }  # fmt: skip


def render_series(destination: str, series: SeriesMetrics | None) -> dict[str, Any]:
    s = series or SeriesMetrics(bucket="", rule_id="", destination_bucket=destination)
    return {
        "destination_bucket": destination,
        "pending_operations": s.pending_ops,
        "pending_bytes": s.pending_bytes,
        "failed_operations": s.failed_ops,
        "replicated_operations": s.replicated_ops,
        "replicated_bytes": s.replicated_bytes,
        "latency_p50_s": s.latency.quantile_s(0.5),
        "latency_p99_s": s.latency.quantile_s(0.99),
        "oldest_pending_s": s.oldest_pending_s,
        "rtc_tracked_operations": s.rtc_tracked,
        "rtc_missed_operations": s.rtc_missed,
        "rtc_miss_rate": s.rtc_miss_rate,
    }
