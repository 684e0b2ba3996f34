"""The delivery loop (like the replication worker): claim due outbox rows, hand each to its
target, delete it once the target took it, or reschedule it with capped exponential backoff
and jitter. Delivery is at least once; a target that is down delays only its own events, and
never a write or a replication (those only ever insert rows)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from ferry.config import NotificationTarget
from ferry.core.clock import Clock, epoch_ms
from ferry.core.wakeup import wait_woken
from ferry.events.errors import DeliveryFailed
from ferry.events.outbox import (
    OutboxEvent,
    claim_due_events,
    has_due_events,
    mark_delivered,
    reschedule_events,
)
from ferry.events.targets import Publisher, open_publisher
from ferry.store import Database, Tx

log = logging.getLogger("ferry.events")

IDLE_POLL_S = 0.5
CLAIM_BATCH = 256
MAX_BACKOFF_POWER = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverySettings:
    retry_base_delay_s: float = 1.0
    retry_max_delay_s: float = 60.0
    timeout_s: float = 10.0

    @property
    def lease_s(self) -> float:
        return self.timeout_s * 3


def backoff_delay_s(settings: DeliverySettings, attempts: int, rng: random.Random) -> float:
    """Equal jitter: half the capped exponential delay, plus up to that much at random."""
    power = min(max(attempts - 1, 0), MAX_BACKOFF_POWER)
    capped = min(settings.retry_max_delay_s, settings.retry_base_delay_s * (1 << power))
    return capped / 2 + rng.uniform(0, capped / 2)


def _nothing(tx: Tx) -> None:
    pass


PublisherFactory = Callable[[NotificationTarget, float], Publisher]


class EventDelivery:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        targets: tuple[NotificationTarget, ...],
        settings: DeliverySettings,
        *,
        rng: random.Random | None = None,
        publisher_factory: PublisherFactory = open_publisher,
    ) -> None:
        self._db = db
        self._clock = clock
        self._targets = {t.arn: t for t in targets}
        self._settings = settings
        self._rng = rng or random.Random()
        self._factory = publisher_factory
        self._publishers: dict[str, Publisher] = {}
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="event-delivery")

    async def stop(self) -> None:
        """Stop delivering; events in flight keep their lease and are delivered again later."""
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
            # A write of the cancelled round may still be committing in the database's thread:
            # this no-op queues behind it, so the caller can close the database safely.
            await self._db.write(_nothing)
        for arn in list(self._publishers):
            await self._drop_publisher(arn)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                delivered = await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop's boundary: log, keep going; rows stay in the outbox
                log.exception("event delivery round failed")
                delivered = 0
            if delivered:
                continue
            await wait_woken(self._wake, IDLE_POLL_S)

    async def deliver_due(self) -> int:
        """One round: claim what is due, deliver per target (targets concurrently, each
        target's events in order). A target that hangs costs the round at most `timeout_s`
        (its first event times out and the rest of its batch waits with it). Returns how many
        events were claimed."""
        now_ms = epoch_ms(self._clock.now())
        lease_ms = int(self._settings.lease_s * 1000)
        if not await self._db.read(partial(has_due_events, now_ms=now_ms)):
            return 0  # the common case costs a read, not a write transaction
        claimed = await self._db.write(
            partial(claim_due_events, now_ms=now_ms, limit=CLAIM_BATCH, lease_ms=lease_ms)
        )
        by_target: dict[str, list[OutboxEvent]] = defaultdict(list)
        for event in claimed:
            by_target[event.target_arn].append(event)
        outcomes = await asyncio.gather(
            *(self._deliver(arn, events) for arn, events in by_target.items()),
            return_exceptions=True,
        )
        for arn, outcome in zip(by_target, outcomes, strict=True):
            if isinstance(outcome, asyncio.CancelledError):
                raise outcome
            if isinstance(outcome, BaseException):  # its events return when their lease lapses
                log.error("event delivery crashed", extra={"target": arn}, exc_info=outcome)
        return len(claimed)

    async def _deliver(self, arn: str, events: list[OutboxEvent]) -> None:
        delivered: list[int] = []
        for index, event in enumerate(events):
            try:
                async with asyncio.timeout(self._settings.timeout_s):
                    await self._publisher(arn).publish(event.payload)
            except TimeoutError:
                await self._retry_later(events[index:], "timed out")
                await self._drop_publisher(arn)  # its connection may be stuck: start afresh
                break
            except DeliveryFailed as exc:
                await self._retry_later(events[index:], str(exc))
                break
            delivered.append(event.event_id)
        if delivered:
            await self._db.write(partial(mark_delivered, event_ids=delivered))

    async def _drop_publisher(self, arn: str) -> None:
        publisher = self._publishers.pop(arn, None)
        if publisher is not None:
            # Closing a broken connection may fail or hang too.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self._settings.timeout_s):
                    await publisher.close()

    def _publisher(self, arn: str) -> Publisher:
        publisher = self._publishers.get(arn)
        if publisher is None:
            target = self._targets.get(arn)
            if target is None:
                raise DeliveryFailed(f"no notification target {arn!r} in the configuration")
            publisher = self._factory(target, self._settings.timeout_s)
            self._publishers[arn] = publisher
        return publisher

    async def _retry_later(self, events: list[OutboxEvent], error: str) -> None:
        """The first event failed; the rest of the target's batch waits with it."""
        now_ms = epoch_ms(self._clock.now())
        delay_ms = int(backoff_delay_s(self._settings, events[0].attempts, self._rng) * 1000)
        log.info(
            "event delivery failed",
            extra={"target": events[0].target_arn, "events": len(events), "error": error},
        )

        ids = [event.event_id for event in events]
        await self._db.write(
            partial(reschedule_events, event_ids=ids, due_ms=now_ms + delay_ms, now_ms=now_ms,
                    error=error)
        )  # fmt: skip
