"""Delivery targets, one module per kind; `open_publisher` builds one from its ferry.toml
declaration. A publisher raises `DeliveryFailed` (foreign errors chained) and nothing else."""

from __future__ import annotations

from typing import Protocol

from ferry.config import NotificationTarget, TargetType


class Publisher(Protocol):
    async def publish(self, message: str) -> None:
        """Hand one event message (JSON) to the target; return once it has taken it."""
        ...

    async def close(self) -> None: ...


def open_publisher(target: NotificationTarget, timeout_s: float) -> Publisher:
    """Connections are opened lazily, on the first publish, and re-opened after a failure."""
    match target.type:
        case TargetType.WEBHOOK:
            from ferry.events.targets.webhook import WebhookPublisher

            return WebhookPublisher(target, timeout_s)
        case TargetType.NATS:
            from ferry.events.targets.nats import NatsPublisher

            return NatsPublisher(target, timeout_s)
        case TargetType.AMQP:
            from ferry.events.targets.amqp import AmqpPublisher

            return AmqpPublisher(target, timeout_s)
        case TargetType.REDIS:
            from ferry.events.targets.redis import RedisPublisher

            return RedisPublisher(target, timeout_s)


__all__ = ["Publisher", "open_publisher"]
