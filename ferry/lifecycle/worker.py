"""The lifecycle worker: one per region process (`ferry serve`, and each `ferry worker`).

Every `pass_interval_s` it works through each bucket with a lifecycle configuration, key by
key in key order, at most `keys_per_pass` keys of a bucket per pass. Each transaction judges
up to `keys_per_transaction` keys (reading each key's versions under its lock), makes the
changes their rules ask for (`rules.plan_key`, each version cleared by
`eligibility.may_expire`) and moves the bucket's checkpoint past them, all in one commit: a
worker killed mid-pass loses nothing and repeats nothing, the next one resumes after the last
committed key. Blobs freed by a commit are removed after it (a crash in between leaves
orphans, which the start-up sweeper removes). Two processes working the same bucket are safe:
each key is judged again under its lock, so an action already taken is not taken twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from ferry.config import LifecycleSettings
from ferry.core.clock import Clock, epoch_ms
from ferry.core.wakeup import wait_woken
from ferry.lifecycle.eligibility import may_expire
from ferry.lifecycle.rules import ActionKind, due, plan_key, rule_applies
from ferry.protocol.xml.lifecycle import LifecycleConfiguration
from ferry.store import (
    Database,
    FileBlobStore,
    LifecycleProgress,
    Tx,
    Version,
    VersionHooks,
    VersioningStatus,
    abort_upload,
    delete_version_for_good,
    expire_current,
    fetch_bucket_state,
    fetch_key_versions,
    fetch_lifecycle,
    fetch_lifecycle_progress,
    fetch_stale_uploads,
    is_version_locked,
    scan_keys,
    set_lifecycle_progress,
    set_storage_class,
)

log = logging.getLogger("ferry.lifecycle")

UPLOADS_PER_PASS = 1000  # stale multipart uploads looked at per bucket and pass


@dataclass(slots=True)
class PassReport:
    """What one pass did (for logs and tests)."""

    keys: int = 0
    expired: int = 0  # current versions given a delete marker, or deleted
    deleted: int = 0  # noncurrent versions and expired delete markers removed
    transitioned: int = 0
    aborted: int = 0  # multipart uploads
    held: int = 0  # versions lifecycle would act on but may not yet (awaiting replication)
    finished: list[str] = field(default_factory=list)  # buckets whose pass completed


@dataclass(slots=True)
class _Batch:
    after_key: str | None
    done: bool
    garbage: list[str]


class LifecycleWorker:
    def __init__(
        self,
        db: Database,
        hooks: VersionHooks,
        blobs: FileBlobStore,
        clock: Clock,
        settings: LifecycleSettings,
    ) -> None:
        self._db = db
        self._hooks = hooks
        self._blobs = blobs
        self._clock = clock
        self._settings = settings
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """A configuration changed: start a pass now rather than at the next interval."""
        self._wake.set()

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="lifecycle-worker")

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._runner.cancel()
        try:
            await self._runner
        except asyncio.CancelledError:
            pass
        except Exception:  # stopping must not fail: the region's shutdown depends on it
            log.exception("lifecycle worker had failed")

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_pass()
            except Exception:  # the loop's boundary: log, and try again at the next pass
                log.exception("lifecycle pass failed")
            await wait_woken(self._wake, self._settings.pass_interval_s)

    async def run_pass(self) -> PassReport:
        """One bounded pass over every bucket with a lifecycle configuration."""
        report = PassReport()
        for progress in await self._db.read(fetch_lifecycle_progress):
            await self._work_bucket(progress, report)
            await self._abort_uploads(progress.bucket, progress.config, report)
        if report.keys or report.aborted:
            log.info(
                "lifecycle pass",
                extra={
                    "keys": report.keys, "expired": report.expired, "deleted": report.deleted,
                    "transitioned": report.transitioned, "aborted": report.aborted,
                    "held": report.held,
                },
            )  # fmt: skip
        return report

    async def _work_bucket(self, progress: LifecycleProgress, report: PassReport) -> None:
        after_key = progress.after_key
        started_ms = progress.pass_started_ms or epoch_ms(self._clock.now())
        budget = self._settings.keys_per_pass
        while budget > 0:
            limit = min(budget, self._settings.keys_per_transaction)
            now = self._clock.now()

            batch = await self._db.write(
                partial(
                    self._judge_keys, bucket=progress.bucket, after_key=after_key, limit=limit,
                    now=now, started_ms=started_ms, report=report,
                )
            )  # fmt: skip
            self._blobs.delete(batch.garbage)
            budget -= limit
            if batch.done:
                report.finished.append(progress.bucket)
                return
            after_key = batch.after_key

    def _judge_keys(
        self,
        tx: Tx,
        *,
        bucket: str,
        after_key: str | None,
        limit: int,
        now: datetime,
        started_ms: int,
        report: PassReport,
    ) -> _Batch:
        state = fetch_bucket_state(tx, bucket)
        config = fetch_lifecycle(tx, bucket)
        if config is None:
            return _Batch(after_key=None, done=True, garbage=[])  # configuration removed
        keys = scan_keys(tx, bucket, after_key, limit)
        garbage: list[str] = []
        versioned = state.versioning is not VersioningStatus.UNVERSIONED
        for key in keys:
            versions = fetch_key_versions(tx, bucket, key)
            held: list[Version] = []

            def allowed(version: Version, held: list[Version] = held) -> bool:
                if may_expire(tx, version, now):
                    return True
                held.append(version)
                return False

            actions = plan_key(
                config, versions, versioned=versioned, now=now,
                day_s=self._settings.day_seconds, allowed=allowed,
            )  # fmt: skip
            report.held += len(held)
            for action in actions:
                match action.kind:
                    case ActionKind.EXPIRE_CURRENT:
                        garbage += expire_current(tx, self._hooks, state, key, now=now)
                        report.expired += 1
                    case ActionKind.DELETE_VERSION:
                        if is_version_locked(action.version, now):
                            report.held += 1  # Object Lock: kept until its lock ends
                            continue
                        garbage += delete_version_for_good(
                            tx, self._hooks, state, action.version, now=now
                        )
                        report.deleted += 1
                    case ActionKind.TRANSITION:
                        assert action.storage_class is not None
                        set_storage_class(tx, self._hooks, action.version, action.storage_class)
                        report.transitioned += 1
        report.keys += len(keys)
        done = len(keys) < limit
        if done:
            set_lifecycle_progress(tx, bucket, after_key=None, pass_started_ms=None)
            return _Batch(after_key=None, done=True, garbage=garbage)
        last = keys[-1]
        set_lifecycle_progress(tx, bucket, after_key=last, pass_started_ms=started_ms)
        return _Batch(after_key=last, done=False, garbage=garbage)

    async def _abort_uploads(
        self, bucket: str, config: LifecycleConfiguration, report: PassReport
    ) -> None:
        rules = [r for r in config.rules if r.enabled and r.abort_days is not None]
        if not rules:
            return
        now = self._clock.now()
        shortest = min(r.abort_days or 0 for r in rules)
        cutoff = now - timedelta(seconds=(shortest - 1) * self._settings.day_seconds)

        def write(tx: Tx) -> list[str]:
            blobs: list[str] = []
            for upload in fetch_stale_uploads(
                tx, bucket, initiated_before=cutoff, limit=UPLOADS_PER_PASS
            ):
                for rule in rules:
                    if not rule_applies(rule, upload.key, (), 0, marker=False):
                        continue
                    if (
                        due(upload.initiated, rule.abort_days or 0, self._settings.day_seconds)
                        > now
                    ):
                        continue
                    blobs += abort_upload(tx, upload.upload_id)
                    report.aborted += 1
                    break
            return blobs

        self._blobs.delete(await self._db.write(write))
