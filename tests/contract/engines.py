"""What a contract test may need to know of its engine: how to line up concurrent transactions,
and how to mark a behaviour one engine gets wrong today."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

RENDEZVOUS_TIMEOUT_S = 10.0


def rendezvous(engine: str, parties: int) -> Callable[[], None]:
    """A point that `parties` transaction functions reach before going on, so that they run
    side by side. PostgreSQL runs each transaction in its own thread and connection, so they
    really overlap; SQLite runs one write transaction at a time (a lock on the file), so there
    is nothing to line up and waiting would only deadlock."""
    if engine == "sqlite":
        return lambda: None
    barrier = threading.Barrier(parties, timeout=RENDEZVOUS_TIMEOUT_S)

    def meet() -> None:
        barrier.wait()

    return meet


def known_engine_bug(request: pytest.FixtureRequest, engine: str, *, on: str, reason: str) -> None:
    """This test states the contract; `on` breaks it today. Strict: the day it passes, the
    marker has to go."""
    if engine == on:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
