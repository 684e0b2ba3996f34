"""What region.py hands the console: its own region's facades and the deployment's map."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ferry.client import RemoteS3
from ferry.console.sessions import Sessions
from ferry.control import BucketDirectory
from ferry.replication import FailureStore, ReplicationBacklog, ReplicationMetrics


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleDeps:
    """What region.py hands the console: its own region's facades and the deployment's map."""

    region: str
    endpoints: Mapping[str, str]  # region → S3 endpoint
    client: RemoteS3
    directory: BucketDirectory
    failures: FailureStore
    backlog: ReplicationBacklog
    metrics: ReplicationMetrics  # exact replication metrics per rule (the region database)
    sessions: Sessions
