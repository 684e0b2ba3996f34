"""Replication: rules (pure), the planner (a version hook), tasks, transfers (pure) and the
replicator, the rule's role and what it may do (pure), retry policy (pure), workers, the
failure store and batch jobs.

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
from ferry.replication.latencies import LatencySummary, ReplicationLatencies
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
    "LatencySummary",
    "MalformedReplicationConfiguration",
    "NoSuchReplicationConfiguration",
    "ReplicationConfigurationArgumentError",
    "ReplicationBacklog",
    "ReplicationLatencies",
    "ReplicationTarget",
    "RuleBacklog",
    "SchemaVersion",
    "destination_bucket_name",
    "destinations_for",
    "replica_modifications_enabled",
    "schema_version",
    "validate_configuration",
    "with_rule_ids",
]
