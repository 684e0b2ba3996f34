"""The claim loop: many tasks claimed in one transaction, grouped into transfers (a batch of
small replicas for one destination bucket, or one large object), at most `concurrency`
transfers in flight, leases kept alive while they run, and each transfer's outcomes recorded
in one transaction together with the versions' statuses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeGuard

from ferry.core.clock import Clock, epoch_ms
from ferry.core.wakeup import wait_woken
from ferry.replication.replicator import Replicator, read_sources
from ferry.replication.retry import FailureReason, GiveUp, RetryPolicy
from ferry.replication.rtc import ThresholdWatch
from ferry.replication.source_access import SourceAuthorizer
from ferry.replication.tasks import (
    Task,
    claim_due_tasks,
    fail_task,
    finish_task,
    renew_leases,
    reschedule_task,
    retry_now,
)
from ferry.replication.transfers import Outcome, ReplicationFailure, Transfer
from ferry.store import Database, Tx

log = logging.getLogger("ferry.replication")

IDLE_POLL_S = 0.5
LARGE_STREAMS = 8
# While a destination region is unreachable its tasks back off (up to a minute); it is probed
# this often, and once it answers they are retried at once rather than when their backoff ends.
RECOVERY_PROBE_S = 0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerSettings:
    concurrency: int = 8  # transfers (requests to destinations) in flight
    # of which large objects streaming at once, at most: many more only share the same disk
    # and network bandwidth while each holds buffers and a worker thread
    large_concurrency: int = LARGE_STREAMS
    lease_s: float = 15.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Tasks claimed but not yet recorded, at most: enough to fill every transfer slot with a
    # batch of small replicas, few enough that leases stay cheap to renew.
    claimed_per_transfer: int = 64

    @property
    def max_claimed(self) -> int:
        return self.concurrency * self.claimed_per_transfer


class ReplicationWorker:
    def __init__(
        self,
        db: Database,
        replicator: Replicator,
        clock: Clock,
        settings: WorkerSettings,
        rng: random.Random | None = None,
        *,
        authorizer: SourceAuthorizer | None = None,
        rtc: ThresholdWatch | None = None,
    ) -> None:
        self._db = db
        self._rtc = rtc  # Replication Time Control's sweep, run beside the claim loop
        self._replicator = replicator
        # None (tests without IAM): no role is named, and destinations refuse such writes
        self._authorizer = authorizer
        self._clock = clock
        self._settings = settings
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._claimed: dict[int, Task] = {}  # claimed, outcome not yet recorded
        self._running: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._large_slots = asyncio.Semaphore(min(settings.large_concurrency, settings.concurrency))
        self._runner: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        # destination region → its buckets with tasks waiting out DstRegionUnavailable
        self._unreachable: dict[str, set[str]] = {}

    def wake(self) -> None:
        """New tasks were committed (or are about to be): look now rather than at the poll."""
        self._wake.set()

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="replication-worker")
        self._watcher = asyncio.create_task(self._watch_recoveries(), name="replication-probe")
        if self._rtc is not None:
            self._rtc.start()

    async def stop(self) -> None:
        """Stop claiming; cancel transfers in flight (their leases lapse, others resume them)."""
        if self._rtc is not None:
            await self._rtc.stop()
        tasks = [t for t in (self._runner, self._watcher, *self._running) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:  # stopping must not fail: the region's shutdown depends on it
                log.exception("replication worker task had failed")

    async def _run(self) -> None:
        lease_ms = int(self._settings.lease_s * 1000)
        renew_every_s = self._settings.lease_s / 3
        last_renewal = asyncio.get_running_loop().time()
        while True:
            self._wake.clear()
            free = self._settings.max_claimed - len(self._claimed)
            claimed: list[Task] = []
            if free > 0:
                now_ms = epoch_ms(self._clock.now())
                claimed = await self._db.write(
                    partial(claim_due_tasks, now_ms=now_ms, limit=free, lease_ms=lease_ms)
                )
                if claimed:
                    self._claimed.update((t.task_id, t) for t in claimed)
                    self._spawn(self._handle(claimed))
            now = asyncio.get_running_loop().time()
            if self._claimed and now - last_renewal >= renew_every_s:
                await self._renew_leases(lease_ms)
                last_renewal = now
            if claimed and len(self._claimed) < self._settings.max_claimed:
                continue  # there may be more due right now
            await wait_woken(self._wake, IDLE_POLL_S)

    async def _watch_recoveries(self) -> None:
        while True:
            await asyncio.sleep(RECOVERY_PROBE_S)
            for region in list(self._unreachable):
                try:
                    await self._retry_if_back(region)
                except asyncio.CancelledError:
                    raise
                except Exception:  # a probe that fails is a probe that says "not yet"
                    log.exception("probing a destination region failed", extra={"region": region})

    async def _retry_if_back(self, region: str) -> None:
        """The region is forgotten only once a round finds nothing left to hurry: a failure
        recorded just after the round that saw the region back is caught by the next one."""
        if not await self._replicator.region_is_up(region):
            return
        buckets = set(self._unreachable.get(region, ()))
        now_ms = epoch_ms(self._clock.now())
        due = await self._db.write(
            partial(
                retry_now, destination_buckets=buckets,
                reason=FailureReason.DstRegionUnavailable.value, now_ms=now_ms,
            )
        )  # fmt: skip
        if due:
            log.info(
                "destination region is back; retrying its tasks now",
                extra={"region": region, "tasks": due},
            )
            self._wake.set()
        elif self._unreachable.get(region) == buckets:
            del self._unreachable[region]

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _renew_leases(self, lease_ms: int) -> None:
        until = epoch_ms(self._clock.now()) + lease_ms
        # A task whose outcome committed since `ids` was taken keeps its lease 0 (the queue's
        # renew skips it), so a rescheduled task is not held past its retry.
        ids = list(self._claimed)
        await self._db.write(partial(renew_leases, task_ids=ids, until_ms=until))

    async def _handle(self, claimed: list[Task]) -> None:
        """Plan the claimed tasks into transfers and run each in a slot of its own."""
        try:
            sources = await self._db.read(partial(read_sources, tasks=claimed, with_body=False))
            grants = None
            if self._authorizer is not None:
                sources, grants = await self._authorizer.authorize(claimed, sources)
            transfers, failed = self._replicator.plan(claimed, sources, grants)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the worker boundary: record, never lose the tasks
            await self._record(_crashed(claimed, exc))
            return
        if failed:
            await self._record(failed)
        for transfer in transfers:
            self._spawn(self._transfer(transfer))

    async def _transfer(self, planned: Transfer) -> None:
        async with self._large_slots if planned.is_large else contextlib.nullcontext():
            await self._transfer_in_slot(planned)

    async def _transfer_in_slot(self, planned: Transfer) -> None:
        async with self._slots:
            try:
                outcomes = await self._run_transfer(planned)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the worker boundary: record, never lose the tasks
                outcomes = _crashed(planned.tasks, exc)
        await self._record(outcomes)

    async def _run_transfer(self, planned: Transfer) -> list[Outcome]:
        """Small bodies are read only now, in one trip for the transfer: a claim's worth of
        them would sit in memory while earlier transfers run."""
        if not planned.needs_bodies:
            return await self._replicator.run(planned)
        sources = await self._db.read(partial(read_sources, tasks=planned.tasks))
        transfer, failed = planned.with_sources(sources)
        if transfer is None:
            return failed
        return failed + await self._replicator.run(transfer)

    async def _record(self, outcomes: Sequence[Outcome]) -> None:
        """Every outcome of a transfer in one transaction (finish, retry later, or FAILED)."""
        now_ms = epoch_ms(self._clock.now())
        steps = [self._step(outcome, now_ms) for outcome in outcomes]

        def write(tx: Tx) -> None:
            for step in steps:
                step(tx)

        try:
            await self._db.write(write)
            for outcome in outcomes:  # after the commit, so a probe's retry_now sees them
                failure = outcome.failure
                if _region_unreachable(failure) and failure.destination_region is not None:
                    buckets = self._unreachable.setdefault(failure.destination_region, set())
                    buckets.add(outcome.task.destination_bucket)
        finally:
            for outcome in outcomes:
                self._claimed.pop(outcome.task.task_id, None)
            self._wake.set()  # room to claim more

    def _step(self, outcome: Outcome, now_ms: int) -> partial[None]:
        task, failure = outcome.task, outcome.failure
        if failure is None:
            return partial(finish_task, task=task, now_ms=now_ms)
        reason, region = failure.reason, failure.destination_region
        decision = self._settings.retry.decide(reason, task.attempts, self._rng)
        log.info(
            "replication task failed",
            extra={
                "task_id": task.task_id, "bucket": task.bucket, "key": task.key,
                "version_id": task.version_id, "destination": task.destination_bucket,
                "reason": reason.value, "attempts": task.attempts,
            },
        )  # fmt: skip
        if isinstance(decision, GiveUp):
            return partial(
                fail_task, task=task, reason=reason.value, message=failure.message,
                now_ms=now_ms, destination_region=region,
            )  # fmt: skip
        return partial(
            reschedule_task, task=task, due_ms=now_ms + int(decision.delay_s * 1000),
            reason=reason.value, message=failure.message, now_ms=now_ms,
            destination_region=region,
        )  # fmt: skip


def _region_unreachable(failure: ReplicationFailure | None) -> TypeGuard[ReplicationFailure]:
    return failure is not None and failure.reason is FailureReason.DstRegionUnavailable


def _crashed(tasks: Sequence[Task], exc: Exception) -> list[Outcome]:
    log.exception("replication transfer crashed", extra={"tasks": [t.task_id for t in tasks]})
    failure = ReplicationFailure(FailureReason.InternalError, repr(exc))
    return [Outcome(task, failure) for task in tasks]
