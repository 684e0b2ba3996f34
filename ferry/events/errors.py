"""Errors of the events package; `api/errors.py` maps them through their store bases."""

from __future__ import annotations

from ferry.store.errors import InvalidArgument


class InvalidNotificationArgument(InvalidArgument):
    """The notification configuration is not valid."""


class DeliveryFailed(Exception):
    """A target did not take an event (down, refused, timed out); the outbox retries it.

    Raised by `targets/` with the foreign client's error chained; never leaves `events`."""
