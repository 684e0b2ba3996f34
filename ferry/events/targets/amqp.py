"""AMQP 0-9-1 (RabbitMQ): publish persistent messages on a channel with publisher confirms,
so a publish returns only once the broker has taken the message."""

from __future__ import annotations

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractRobustConnection
from aio_pika.exceptions import AMQPError

from ferry.config import NotificationTarget
from ferry.events.errors import DeliveryFailed


class AmqpPublisher:
    def __init__(self, target: NotificationTarget, timeout_s: float) -> None:
        self._target = target
        self._timeout_s = timeout_s
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None

    async def _open(self) -> AbstractChannel:
        if self._channel is not None and not self._channel.is_closed:
            return self._channel
        await self.close()
        self._connection = await aio_pika.connect_robust(
            self._target.url, timeout=self._timeout_s, fail_fast=True
        )
        self._channel = await self._connection.channel(publisher_confirms=True)
        return self._channel

    async def publish(self, message: str) -> None:
        try:
            channel = await self._open()
            exchange = (
                await channel.get_exchange(self._target.exchange, ensure=False)
                if self._target.exchange
                else channel.default_exchange
            )
            await exchange.publish(
                aio_pika.Message(
                    message.encode(),
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=self._target.routing_key,
                mandatory=False,
                timeout=self._timeout_s,
            )
        except (AMQPError, OSError, TimeoutError, ConnectionError) as exc:
            await self.close()
            raise DeliveryFailed(f"amqp {self._target.exchange!r}: {exc!r}") from exc

    async def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and not connection.is_closed:
            try:
                await connection.close()
            except (AMQPError, OSError):
                pass
