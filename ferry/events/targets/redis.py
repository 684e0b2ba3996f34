"""Redis streams: XADD the message (field `event`) to the stream."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ferry.config import NotificationTarget
from ferry.events.errors import DeliveryFailed


class RedisPublisher:
    def __init__(self, target: NotificationTarget, timeout_s: float) -> None:
        self._stream = target.stream
        self._client: Redis = Redis.from_url(
            target.url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )

    async def publish(self, message: str) -> None:
        try:
            await self._client.xadd(self._stream, {"event": message})
        except (RedisError, OSError) as exc:
            raise DeliveryFailed(f"redis {self._stream}: {exc!r}") from exc

    async def close(self) -> None:
        await self._client.aclose()
