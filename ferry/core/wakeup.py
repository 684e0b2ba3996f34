"""How a background loop waits for its next round: until woken, or until a timeout passes."""

from __future__ import annotations

import asyncio
import contextlib


async def wait_woken(wake: asyncio.Event, timeout_s: float) -> None:
    """Return once `wake` is set or `timeout_s` has passed, whichever comes first.

    `asyncio.timeout`, not `wait_for`: Python 3.11's `wait_for` swallows a cancellation that
    arrives just as the event is set (a write that wakes the loop right before shutdown), and
    the loop then never stops.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await wake.wait()
