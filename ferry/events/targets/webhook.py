"""Webhook: POST the message as JSON; any 2xx is delivered."""

from __future__ import annotations

import httpx

from ferry.config import NotificationTarget
from ferry.events.errors import DeliveryFailed


class WebhookPublisher:
    def __init__(self, target: NotificationTarget, timeout_s: float) -> None:
        self._url = target.url
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def publish(self, message: str) -> None:
        try:
            response = await self._client.post(
                self._url, content=message, headers={"content-type": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"webhook {self._url}: {exc!r}") from exc
        if not response.is_success:
            raise DeliveryFailed(f"webhook {self._url}: HTTP {response.status_code}")

    async def close(self) -> None:
        await self._client.aclose()
