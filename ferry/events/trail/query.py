"""Questions to the trail: the events matching a filter, newest first.

Each filter is an indexed column of every segment (`segments.INDEXES`); `since`/`until` also
skip whole sealed segments by their names. Segments are read newest first and the scan stops
at `limit`, so a query's cost is the matching rows it returns, not the trail's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ferry.events.trail import segments
from ferry.events.trail.records import TrailEvent, from_row


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailFilter:
    bucket: str | None = None
    key: str | None = None
    event_name: str | None = None
    invoked_by: str | None = None  # "" matches calls made by users (no invokedBy)
    arn: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("bucket", self.bucket), ("key", self.key), ("event_name", self.event_name),
            ("invoked_by", self.invoked_by), ("arn", self.arn),
        ):  # fmt: skip
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.since_ms is not None:
            clauses.append("time_ms >= ?")
            params.append(self.since_ms)
        if self.until_ms is not None:
            clauses.append("time_ms <= ?")
            params.append(self.until_ms)
        return (" AND ".join(clauses) or "1"), params


def query_trail(
    directories: list[Path], where: TrailFilter, *, limit: int | None = 100
) -> Iterator[TrailEvent]:
    """Matching events of every segment of `directories` (one per region), newest segment
    first; within a segment newest first. `limit` None: all of them."""
    found = [
        segment
        for directory in directories
        for segment in segments.list_segments(directory)
        if segment.may_hold(where.since_ms, where.until_ms)
    ]
    found.sort(key=lambda s: s.start_ms, reverse=True)
    sql, params = where.where()
    remaining = limit
    for segment in found:
        if remaining is not None and remaining <= 0:
            return
        for row in _rows(segment, sql, params, remaining):
            yield from_row(row[1:])
            if remaining is not None:
                remaining -= 1


def _rows(
    segment: segments.Segment, sql: str, params: list[Any], limit: int | None
) -> Iterator[tuple[Any, ...]]:
    path = segment.path
    if segment.end_ms is None and not path.exists():
        # sealed since it was listed: the same segment under its sealed name
        renamed = [
            s for s in segments.list_segments(path.parent) if s.segment_id == segment.segment_id
        ]
        if not renamed:
            return
        path = renamed[0].path
    yield from segments.rows_of(path, sql, params, order="time_ms DESC, id DESC", limit=limit)


def events_between(
    segment: segments.Segment, after_id: int, up_to_id: int, buckets: list[str], *, limit: int
) -> list[tuple[int, TrailEvent]]:
    """(id, event) of `segment`'s events of `buckets` with after_id < id <= up_to_id, in
    order (the access-log delivery's cursor)."""
    if not buckets:
        return []
    marks = ", ".join("?" for _ in buckets)
    rows = segments.rows_of(
        segment.path, f"id > ? AND id <= ? AND bucket IN ({marks})",
        [after_id, up_to_id, *buckets], order="id", limit=limit,
    )  # fmt: skip
    return [(row[0], from_row(row[1:])) for row in rows]


def last_id(segment: segments.Segment) -> int:
    rows = list(segments.rows_of(segment.path, "1", [], order="id DESC", limit=1))
    return rows[0][0] if rows else 0
