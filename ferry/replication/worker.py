"""The claim loop: bounded concurrency, leases kept alive while a transfer runs, each outcome
recorded in one transaction with the version's status."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field
from functools import partial

from ferry.core.clock import Clock, epoch_ms
from ferry.replication.replicator import ReplicationFailure, Replicator
from ferry.replication.retry import FailureReason, GiveUp, RetryPolicy
from ferry.replication.tasks import (
    Task,
    claim_due_tasks,
    fail_task,
    finish_task,
    reschedule_task,
)
from ferry.store import Database, Tx

log = logging.getLogger("ferry.replication")

IDLE_POLL_S = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerSettings:
    concurrency: int = 8
    lease_s: float = 15.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class ReplicationWorker:
    def __init__(
        self,
        db: Database,
        replicator: Replicator,
        clock: Clock,
        settings: WorkerSettings,
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self._replicator = replicator
        self._clock = clock
        self._settings = settings
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._runner: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """New tasks were committed (or are about to be): look now rather than at the poll."""
        self._wake.set()

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="replication-worker")

    async def stop(self) -> None:
        """Stop claiming; cancel transfers in flight (their leases lapse, others resume them)."""
        tasks = [t for t in (self._runner, *self._inflight.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        lease_ms = int(self._settings.lease_s * 1000)
        renew_every_s = self._settings.lease_s / 3
        last_renewal = asyncio.get_running_loop().time()
        while True:
            self._wake.clear()
            free = self._settings.concurrency - len(self._inflight)
            claimed: list[Task] = []
            if free > 0:
                now_ms = epoch_ms(self._clock.now())
                claimed = await self._db.write(
                    partial(claim_due_tasks, now_ms=now_ms, limit=free, lease_ms=lease_ms)
                )
                for task in claimed:
                    runner = asyncio.create_task(self._process(task))
                    self._inflight[task.task_id] = runner
                    runner.add_done_callback(partial(self._done, task.task_id))
            now = asyncio.get_running_loop().time()
            if self._inflight and now - last_renewal >= renew_every_s:
                await self._renew_leases(lease_ms)
                last_renewal = now
            if claimed and len(self._inflight) < self._settings.concurrency:
                continue  # there may be more due right now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=IDLE_POLL_S)

    def _done(self, task_id: int, _: object) -> None:
        self._inflight.pop(task_id, None)
        self._wake.set()  # a slot is free

    async def _renew_leases(self, lease_ms: int) -> None:
        until = epoch_ms(self._clock.now()) + lease_ms
        ids = list(self._inflight)

        def renew(tx: Tx) -> None:
            tx.executemany(
                "UPDATE replication_tasks SET leased_until_ms = ? WHERE task_id = ?",
                [(until, i) for i in ids],
            )

        await self._db.write(renew)

    async def _process(self, task: Task) -> None:
        try:
            await self._replicator.replicate(task)
        except ReplicationFailure as failure:
            await self._record_failure(
                task, failure.reason, failure.message, region=failure.destination_region
            )
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the worker boundary: record, never lose the task
            log.exception(
                "replication task crashed",
                extra={"task_id": task.task_id, "bucket": task.bucket, "key": task.key},
            )
            await self._record_failure(task, FailureReason.InternalError, repr(exc))
            return
        done_ms = epoch_ms(self._clock.now())
        await self._db.write(lambda tx: finish_task(tx, task, now_ms=done_ms))

    async def _record_failure(
        self, task: Task, reason: FailureReason, message: str, *, region: str | None = None
    ) -> None:
        """`region`: the destination's, when known; the failure store keeps it."""
        now_ms = epoch_ms(self._clock.now())
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
            await self._db.write(
                lambda tx: fail_task(
                    tx,
                    task,
                    reason=reason.value,
                    message=message,
                    now_ms=now_ms,
                    destination_region=region,
                )
            )
            return
        due_ms = now_ms + int(decision.delay_s * 1000)
        await self._db.write(
            lambda tx: reschedule_task(
                tx,
                task,
                due_ms=due_ms,
                reason=reason.value,
                message=message,
                now_ms=now_ms,
                destination_region=region,
            )
        )
