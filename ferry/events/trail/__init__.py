"""The audit trail: one CloudTrail-shaped event per API request, appended in batches to
time-partitioned segment files of the region; queries over them (`ferry trail query`); and S3
server access logs, rendered from the same events and delivered to the target buckets.

May import store, protocol, config and core.
"""

from __future__ import annotations

from ferry.events.trail.access_logs import AccessLogDelivery, LogObjectSink
from ferry.events.trail.log_objects import StoreLogSink
from ferry.events.trail.query import TrailFilter, query_trail
from ferry.events.trail.records import (
    REPLICATION_SESSION,
    S3_SERVICE,
    TrailEvent,
    redact_query,
    to_access_log_line,
    to_cloudtrail,
)
from ferry.events.trail.writer import TrailWriter, WriterSettings

__all__ = [
    "REPLICATION_SESSION",
    "S3_SERVICE",
    "StoreLogSink",
    "AccessLogDelivery",
    "LogObjectSink",
    "TrailEvent",
    "TrailFilter",
    "TrailWriter",
    "WriterSettings",
    "query_trail",
    "redact_query",
    "to_access_log_line",
    "to_cloudtrail",
]
