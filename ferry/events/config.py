"""Bucket notification configurations: validation as AWS, generated Ids, key filters, which
targets an event reaches, and their storage (table `bucket_notifications`)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ferry.events.errors import InvalidNotificationArgument
from ferry.protocol.xml.notification import (
    FilterRuleName,
    NotificationConfiguration,
    TargetConfiguration,
    parse_notification_configuration,
    render_notification_configuration,
)
from ferry.store import Database, Tx, fetch_bucket_state, find_bucket_state

REPLICATION_EVENTS = (
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:Replication:OperationNotTracked",
)
OBJECT_EVENTS = (
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
)
# What the lifecycle worker does (docs/lifecycle.md).
LIFECYCLE_EVENTS = (
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition",
)
WILDCARDS = (
    "s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:Replication:*", "s3:LifecycleExpiration:*",
)  # fmt: skip
SUPPORTED_EVENTS = frozenset((*REPLICATION_EVENTS, *OBJECT_EVENTS, *LIFECYCLE_EVENTS, *WILDCARDS))
MAX_CACHED_CONFIGURATIONS = 1024
_UNVALIDATED = "Unable to validate the following destination configurations"


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """One configuration an event reaches: the target's ARN and the configuration's Id."""

    arn: str
    configuration_id: str


def validate_notification_configuration(
    config: NotificationConfiguration, known_arns: Iterable[str]
) -> NotificationConfiguration:
    """AWS's checks, then the configuration with every missing Id generated."""
    known = set(known_arns)
    for target in config.configurations:
        for event in target.events:
            if event not in SUPPORTED_EVENTS:
                raise InvalidNotificationArgument(
                    "The event is not supported for notifications",
                    argument_name=event,
                    argument_value=event,
                )
        names = [r.name for r in target.filter_rules]
        if len(names) != len(set(names)):
            raise InvalidNotificationArgument(
                "Cannot specify more than one prefix or suffix rule in a filter.",
                argument_name="FilterRule",
                argument_value=names[0].value,
            )
    unknown = [t.arn for t in config.configurations if t.arn not in known]
    if unknown:
        raise InvalidNotificationArgument(
            _UNVALIDATED, argument_name=unknown[0], argument_value="The destination is unknown"
        )
    return replace(config, configurations=tuple(_with_id(t) for t in config.configurations))


def _with_id(target: TargetConfiguration) -> TargetConfiguration:
    if target.id:
        return target
    digest = hashlib.sha256(f"{target.arn}|{'|'.join(target.events)}".encode()).digest()
    return replace(target, id=base64.b64encode(digest[:24]).decode())


def event_matches(pattern: str, event_name: str) -> bool:
    """`s3:ObjectCreated:*` matches every `s3:ObjectCreated:…` event."""
    if pattern.endswith(":*"):
        return event_name.startswith(pattern[:-1])
    return pattern == event_name


def key_matches(target: TargetConfiguration, key: str) -> bool:
    for rule in target.filter_rules:
        if rule.name is FilterRuleName.PREFIX and not key.startswith(rule.value):
            return False
        if rule.name is FilterRuleName.SUFFIX and not key.endswith(rule.value):
            return False
    return True


def matching_targets(config: NotificationConfiguration, event_name: str, key: str) -> list[Match]:
    """`event_name` in S3's spelling (`s3:ObjectCreated:Put`)."""
    return [
        Match(arn=t.arn, configuration_id=t.id or "")
        for t in config.configurations
        if any(event_matches(p, event_name) for p in t.events) and key_matches(t, key)
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketNotifications:
    """What an event needs of its bucket: the configuration, region and owner."""

    config: NotificationConfiguration
    region: str
    owner_id: str


class ConfigurationCache:
    """Parsed documents by text, so a write parses its bucket's configuration once."""

    def __init__(self) -> None:
        self._parsed: dict[str, NotificationConfiguration] = {}

    def load(self, tx: Tx, bucket: str) -> BucketNotifications | None:
        # Most buckets have no configuration: one statement tells, before the bucket's state
        # is read (the row of a deleted namesake may remain: the incarnation tells them apart).
        row = tx.execute(
            "SELECT bucket_created_ms, document FROM bucket_notifications WHERE bucket = ?",
            (bucket,),
        ).fetchone()
        if row is None:
            return None
        state = find_bucket_state(tx, bucket)
        if state is None or state.incarnation != int(row[0]):
            return None
        text: str = row[1]
        parsed = self._parsed.get(text)
        if parsed is None:
            if len(self._parsed) >= MAX_CACHED_CONFIGURATIONS:
                self._parsed.clear()
            parsed = parse_notification_configuration(text.encode())
            self._parsed[text] = parsed
        return BucketNotifications(config=parsed, region=state.region, owner_id=state.owner_id)


class NotificationConfigs:
    """Put/Get of a bucket's notification configuration."""

    def __init__(self, db: Database, known_arns: Iterable[str]) -> None:
        self._db = db
        self._known = tuple(known_arns)

    async def put(self, bucket: str, config: NotificationConfiguration) -> None:
        document = render_notification_configuration(
            validate_notification_configuration(config, self._known)
        ).decode()

        def store(tx: Tx) -> None:
            state = fetch_bucket_state(tx, bucket)
            tx.execute("DELETE FROM bucket_notifications WHERE bucket = ?", (bucket,))
            if config.configurations or config.event_bridge:
                tx.execute(
                    "INSERT INTO bucket_notifications (bucket, bucket_created_ms, document) "
                    "VALUES (?, ?, ?)",
                    (bucket, state.incarnation, document),
                )

        await self._db.write(store)

    async def get(self, bucket: str) -> NotificationConfiguration:
        """An empty configuration when none is set (AWS answers an empty document)."""

        def load(tx: Tx) -> NotificationConfiguration | None:
            fetch_bucket_state(tx, bucket)
            found = ConfigurationCache().load(tx, bucket)
            return None if found is None else found.config

        return await self._db.read(load) or NotificationConfiguration()
