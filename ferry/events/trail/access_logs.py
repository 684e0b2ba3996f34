"""S3 server access logs, delivered from the trail: every `flush_s`, the events of the buckets
whose logging is on that the segments gained since the last round become log objects in
their target buckets, one line per event in AWS's access-log format (`records.py`).

The trail's segments are the source of truth and a cursor per segment (the last event ID
delivered, kept in `<trail dir>/access-log-cursor.json`, replaced atomically) says how far
delivery got. A crash between writing a log object and saving the cursor delivers those lines
again on restart (AWS: server access logs are best-effort and may repeat records); nothing
recorded in a segment is lost. The log objects are written through the store, not the API, so
delivering logs is never itself logged. The cursor moves for every bucket at once, so a
bucket's log may begin with up to one round of requests made just before logging was enabled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ferry.events.trail import segments
from ferry.events.trail.query import events_between, last_id
from ferry.events.trail.records import TrailEvent, event_time, to_access_log_line
from ferry.protocol.xml.logging import (
    LoggingEnabled,
    PartitionDateSource,
    parse_bucket_logging_status,
)
from ferry.store.errors import NoSuchBucket

log = logging.getLogger("ferry.events.access_logs")

CURSOR_FILE = "access-log-cursor.json"
MAX_LINES_PER_OBJECT = 10_000


class LogObjectSink(Protocol):
    """Writes log objects and answers what a line needs of a bucket (the region's store)."""

    async def put_log_object(self, bucket: str, key: str, body: bytes) -> None:
        """Raises the store's NoSuchBucket when the target bucket is gone."""
        ...

    async def owner_of(self, bucket: str) -> tuple[str, str]:
        """(canonical ID, account ID) of the bucket's owner."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class _Batch:
    source: str
    config: LoggingEnabled
    events: list[TrailEvent]


class AccessLogDelivery:
    def __init__(
        self,
        directory: Path,
        region: str,
        configs: Callable[[], Awaitable[dict[str, str]]],
        sink: LogObjectSink,
        *,
        flush_s: float,
        now: Callable[[], datetime],
    ) -> None:
        self._directory = directory
        self._region = region
        self._configs = configs
        self._sink = sink
        self._flush_s = flush_s
        self._now = now
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="ferry-access-logs")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.deliver()
            except asyncio.CancelledError:
                raise
            except Exception:  # the delivery loop's boundary: try again next round
                log.exception("access log delivery failed")
            await asyncio.sleep(self._flush_s)

    async def deliver(self) -> int:
        """One round; the number of log lines delivered."""
        cursor = self._load_cursor()
        found = segments.list_segments(self._directory)
        if cursor is None:  # first start: logs begin now, not with the trail's history
            self._save_cursor({s.segment_id: last_id(s) for s in found})
            return 0
        configs = {
            bucket: enabled
            for bucket, document in (await self._configs()).items()
            if (enabled := parse_bucket_logging_status(document.encode())) is not None
        }
        delivered = 0
        live = {s.segment_id for s in found}
        for segment in found:
            start = cursor.get(segment.segment_id, 0)
            end = await asyncio.to_thread(last_id, segment)
            if end <= start:
                continue
            delivered += await self._deliver_segment(segment, start, end, configs)
            cursor[segment.segment_id] = end
        self._save_cursor({k: v for k, v in cursor.items() if k in live})
        return delivered

    async def _deliver_segment(
        self, segment: segments.Segment, start: int, end: int, configs: dict[str, LoggingEnabled]
    ) -> int:
        delivered = 0
        while start < end and configs:
            rows = await asyncio.to_thread(
                events_between, segment, start, end, list(configs), limit=MAX_LINES_PER_OBJECT
            )
            if not rows:
                break
            grouped: dict[str, list[TrailEvent]] = defaultdict(list)
            for _, event in rows:
                grouped[event.bucket].append(event)
            for source, events in grouped.items():
                await self._write(_Batch(source=source, config=configs[source], events=events))
                delivered += len(events)
            start = rows[-1][0]
        return delivered

    async def _write(self, batch: _Batch) -> None:
        owner_id, account = await self._sink.owner_of(batch.source)
        lines = [to_access_log_line(_owned(e, owner_id)) for e in batch.events]
        key = log_object_key(
            batch.config, account, self._region, batch.source, self._now(),
            event_time(batch.events[0].time_ms),
        )  # fmt: skip
        body = ("\n".join(lines) + "\n").encode()
        try:
            await self._sink.put_log_object(batch.config.target_bucket, key, body)
        except NoSuchBucket:
            log.warning(
                "access log target bucket missing; lines dropped",
                extra={"bucket": batch.source, "target": batch.config.target_bucket},
            )

    def _load_cursor(self) -> dict[str, int] | None:
        path = self._directory / CURSOR_FILE
        try:
            return {str(k): int(v) for k, v in json.loads(path.read_text()).items()}
        except FileNotFoundError:
            return None

    def _save_cursor(self, cursor: dict[str, int]) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / CURSOR_FILE
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as out:
            json.dump(cursor, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        segments.fsync_directory(self._directory)


def _owned(event: TrailEvent, owner_id: str) -> TrailEvent:
    return replace(event, bucket_owner=owner_id)


def log_object_key(
    config: LoggingEnabled,
    account: str,
    region: str,
    source: str,
    delivered: datetime,
    first_event: datetime,
) -> str:
    """AWS's key formats: `[prefix][YYYY]-[MM]-[DD]-[hh]-[mm]-[ss]-[UniqueString]`, or
    partitioned `[prefix][account]/[region]/[bucket]/[YYYY]/[MM]/[DD]/…` (EventTime: the
    events' day, time 00-00-00)."""
    unique = secrets.token_hex(8).upper()
    if config.partitioned is None:
        return f"{config.target_prefix}{delivered:%Y-%m-%d-%H-%M-%S}-{unique}"
    if config.partitioned is PartitionDateSource.EVENT_TIME:
        moment = first_event.replace(hour=0, minute=0, second=0)
    else:
        moment = delivered
    return (
        f"{config.target_prefix}{account}/{region}/{source}/{moment:%Y/%m/%d}/"
        f"{moment:%Y-%m-%d-%H-%M-%S}-{unique}"
    )
