"""Fixtures for the api unit tests; request builders live in builders.py."""

from __future__ import annotations

from datetime import UTC, datetime

import botocore.auth
import pytest

from ferry.core import FakeClock

from .builders import NOW, FakeKeys


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def keys() -> FakeKeys:
    return FakeKeys()


@pytest.fixture
def botocore_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """botocore signs at NOW (it reads a naive UTC datetime)."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW.replace(tzinfo=None))
    return NOW


@pytest.fixture
def real_clock() -> FakeClock:
    """For boto3 requests, which sign at the real time."""
    return FakeClock(datetime.now(UTC))
