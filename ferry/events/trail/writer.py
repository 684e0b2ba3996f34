"""The trail's writer: requests hand their event to `record` (a queue put, nothing else on the
request path); one background thread appends them to the open segment in batches — every
`flush_records` events or `flush_ms` after the first event of a batch, whichever comes first.

What a crash may lose: the events of the batch being gathered, i.e. at most the last
`flush_ms` of requests (kill -9; a power loss also the last committed batches, see
`segments.py`). AWS's CloudTrail delivers within minutes and makes no stronger promise.
If the disk cannot keep up, at most `max_pending` events wait; beyond that new events are
dropped and counted (`dropped`), never blocking a request.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ferry.events.trail import segments
from ferry.events.trail.records import TrailEvent

log = logging.getLogger("ferry.events.trail")

DAY_MS = 86_400_000
RETENTION_CHECK_S = 600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class WriterSettings:
    directory: Path
    writer: str  # names this writer's segments (unique among the writers of `directory`)
    flush_records: int = 512
    flush_ms: float = 200.0
    segment_bytes: int = 64 * 1024 * 1024
    segment_s: float = 3600.0
    retention_days: float = 30.0
    max_pending: int = 100_000


_STOP = object()


class TrailWriter:
    """`keeps(bucket)`: whether events of a bucket are recorded (all of them by default; with
    the trail off, only those of buckets whose access logs are delivered from it)."""

    def __init__(
        self,
        settings: WriterSettings,
        now_ms: Callable[[], int],
        keeps: Callable[[str], bool] | None = None,
    ) -> None:
        self._settings = settings
        self._keeps = keeps
        self._now_ms = now_ms
        self._queue: queue.Queue[object] = queue.Queue(maxsize=settings.max_pending)
        self._thread: threading.Thread | None = None
        self._segment: segments.SegmentFile | None = None
        self._flushed = threading.Condition()
        self._written = 0
        self.dropped = 0
        self._last_retention = 0.0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._settings.directory.mkdir(parents=True, exist_ok=True)
        segments.seal_leftovers(self._settings.directory, self._settings.writer)
        self._thread = threading.Thread(target=self._run, name="ferry-trail", daemon=True)
        self._thread.start()

    def wants(self, bucket: str) -> bool:
        return self._keeps is None or self._keeps(bucket)

    def record(self, event: TrailEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            if self.dropped % 10_000 == 1:
                log.warning("trail writer behind: events dropped", extra={"dropped": self.dropped})

    def stop(self) -> None:
        """Write what is queued, seal the open segment."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join()
        self._thread = None

    def wait_written(self, count: int, timeout_s: float = 30.0) -> bool:
        """Until `count` events in all have been written (benchmarks and tests)."""
        with self._flushed:
            return self._flushed.wait_for(lambda: self._written >= count, timeout_s)

    @property
    def written(self) -> int:
        return self._written

    def _run(self) -> None:
        try:
            while self._gather_and_write():
                pass
        finally:
            if self._segment is not None:
                self._segment.seal()
                self._segment = None

    def _gather_and_write(self) -> bool:
        """One batch; False once told to stop."""
        first = self._queue.get()
        if first is _STOP:
            return False
        batch = [first]
        deadline = time.monotonic() + self._settings.flush_ms / 1000
        running = True
        while len(batch) < self._settings.flush_records:
            remaining = deadline - time.monotonic()
            try:
                item = (
                    self._queue.get(timeout=remaining)
                    if remaining > 0
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                break
            if item is _STOP:
                running = False
                break
            batch.append(item)
        self._write(batch)
        return running

    def _write(self, batch: list[object]) -> None:
        rows = [event.as_row() for event in batch if isinstance(event, TrailEvent)]
        try:
            times = [row[0] for row in rows]
            segment = self._open_segment(min(times), max(times))
            segment.append(rows)
        except Exception:  # the writer thread's boundary: a bad disk never stops requests
            log.exception("trail batch not written", extra={"events": len(rows)})
            self._segment = None
            return
        with self._flushed:
            self._written += len(rows)
            self._flushed.notify_all()
        self._expire()

    def _open_segment(self, oldest_ms: int, newest_ms: int) -> segments.SegmentFile:
        """The segment to append a batch to: a new one once the open one is past its size, or
        its events span `segment_s` (partitions by the events' own times, so a segment's name
        bounds them); it starts at the batch's oldest event."""
        s = self._settings
        segment = self._segment
        if segment is not None and (
            segment.size_bytes() >= s.segment_bytes
            or newest_ms - segment.start_ms >= s.segment_s * 1000
        ):
            segment.seal()
            segment = None
        if segment is None:
            segment = segments.SegmentFile(s.directory, s.writer, oldest_ms)
            self._segment = segment
        return segment

    def _expire(self) -> None:
        now = time.monotonic()
        if now - self._last_retention < RETENTION_CHECK_S:
            return
        self._last_retention = now
        before = self._now_ms() - int(self._settings.retention_days * DAY_MS)
        removed = segments.delete_expired(self._settings.directory, before)
        if removed:
            log.info("trail segments expired", extra={"segments": removed})
