"""Shared fixtures: temporary data directories and a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferry.core.clock import FakeClock


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path
