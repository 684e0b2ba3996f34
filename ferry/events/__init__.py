"""Bucket notifications: configuration (validation, filters, storage), the durable event
outbox (a VersionHook, and the replication-failure publisher), the delivery loop and its
targets (webhook, NATS JetStream, AMQP, Redis streams).

May import store, protocol, config and core.
"""

from __future__ import annotations

from ferry.events.config import (
    SUPPORTED_EVENTS,
    NotificationConfigs,
    matching_targets,
    validate_notification_configuration,
)
from ferry.events.delivery import DeliverySettings, EventDelivery
from ferry.events.errors import DeliveryFailed, InvalidNotificationArgument
from ferry.events.outbox import (
    EventOutbox,
    Outbox,
    OutboxEvent,
    list_outbox,
    publish_replication_event,
    publish_replication_failure,
)

__all__ = [
    "SUPPORTED_EVENTS",
    "DeliveryFailed",
    "DeliverySettings",
    "EventDelivery",
    "EventOutbox",
    "Outbox",
    "InvalidNotificationArgument",
    "NotificationConfigs",
    "OutboxEvent",
    "list_outbox",
    "matching_targets",
    "publish_replication_event",
    "publish_replication_failure",
    "validate_notification_configuration",
]
