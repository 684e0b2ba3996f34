"""IAM's Marker/MaxItems pagination over rows ordered by name (case-insensitively, as IAM
compares names): the marker is the last name of the page, so a page is `name > marker`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ferry.control.iam_records import Page

T = TypeVar("T")


def page_of(
    rows: Sequence[Any], max_items: int, convert: Callable[[Any], T], name: Callable[[T], str]
) -> Page[T]:
    """`rows` were fetched with LIMIT max_items + 1: one more than fits says there is more."""
    items = [convert(row) for row in rows[:max_items]]
    more = len(rows) > max_items
    return Page(items=items, marker=name(items[-1]) if more and items else None)
