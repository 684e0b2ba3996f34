"""NATS JetStream: publish to the subject and wait for the stream's ack. The stream
(`stream`, or one named after the subject) is created if missing."""

from __future__ import annotations

import logging
import re

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from ferry.config import NotificationTarget
from ferry.events.errors import DeliveryFailed

log = logging.getLogger("ferry.events")


def stream_name(target: NotificationTarget) -> str:
    return target.stream or "ferry-" + re.sub(r"[^A-Za-z0-9_-]", "-", target.subject)


async def _log_error(exc: Exception) -> None:
    log.debug("nats client error", extra={"error": repr(exc)})


class NatsPublisher:
    def __init__(self, target: NotificationTarget, timeout_s: float) -> None:
        self._target = target
        self._timeout_s = timeout_s
        self._client: Client | None = None
        self._js: JetStreamContext | None = None

    async def _connect(self) -> JetStreamContext:
        if self._js is not None and self._client is not None and self._client.is_connected:
            return self._js
        await self.close()
        self._client = await nats.connect(
            servers=list(self._target.servers),
            connect_timeout=self._timeout_s,
            allow_reconnect=False,
            # nats-py's first connect loops forever over its pool unless the attempts are
            # capped (0 means "no cap" there): one try per server, then NoServersError.
            max_reconnect_attempts=1,
            reconnect_time_wait=0.05,
            error_cb=_log_error,
        )
        js = self._client.jetstream(timeout=self._timeout_s)
        name = stream_name(self._target)
        try:
            await js.stream_info(name)
        except NotFoundError:
            await js.add_stream(name=name, subjects=[self._target.subject])
        self._js = js
        return js

    async def publish(self, message: str) -> None:
        try:
            js = await self._connect()
            await js.publish(self._target.subject, message.encode(), timeout=self._timeout_s)
        except (NatsError, OSError, TimeoutError) as exc:
            await self.close()
            raise DeliveryFailed(f"nats {self._target.subject}: {exc!r}") from exc

    async def close(self) -> None:
        client, self._client, self._js = self._client, None, None
        if client is not None and not client.is_closed:
            try:
                await client.close()
            except (NatsError, OSError):
                pass
