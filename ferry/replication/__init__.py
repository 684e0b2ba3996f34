"""Replication: rules (pure), the planner (a version hook), tasks, transfers (pure) and the
replicator, the rule's role and what it may do (pure), retry policy (pure), workers, the
failure store, batch jobs, exact metrics and Replication Time Control.

May import client, control, crypto, events, store, protocol, config and core; talks to other
regions only through `client`, never through another region's database.
"""

from __future__ import annotations

from ferry.replication.backlog import ReplicationBacklog, RuleBacklog
from ferry.replication.errors import (
    InvalidReplicationConfiguration,
    InvalidReplicationStorageClass,
    MalformedReplicationConfiguration,
    NoSuchReplicationConfiguration,
    ReplicationConfigurationArgumentError,
)
from ferry.replication.failures import (
    Failure,
    FailureCounts,
    FailureCursor,
    FailureFilter,
    FailurePage,
    FailureState,
    FailureStore,
)
from ferry.replication.latencies import LatencyHistogram
from ferry.replication.metrics import MetricsSnapshot, ReplicationMetrics, SeriesMetrics, per_rule
from ferry.replication.rtc import ThresholdWatch
from ferry.replication.rules import (
    ReplicationTarget,
    SchemaVersion,
    destination_bucket_name,
    destinations_for,
    replica_modifications_enabled,
    schema_version,
    validate_configuration,
    with_rule_ids,
)

__all__ = [
    "Failure",
    "FailureCounts",
    "FailureCursor",
    "FailureFilter",
    "FailurePage",
    "FailureState",
    "FailureStore",
    "InvalidReplicationConfiguration",
    "InvalidReplicationStorageClass",
    "LatencyHistogram",
    "MalformedReplicationConfiguration",
    "MetricsSnapshot",
    "NoSuchReplicationConfiguration",
    "ReplicationConfigurationArgumentError",
    "ReplicationBacklog",
    "ReplicationMetrics",
    "ReplicationTarget",
    "RuleBacklog",
    "SchemaVersion",
    "SeriesMetrics",
    "ThresholdWatch",
    "destination_bucket_name",
    "destinations_for",
    "per_rule",
    "replica_modifications_enabled",
    "schema_version",
    "validate_configuration",
    "with_rule_ids",
]
