"""The console's browser tests: one two-region deployment (`ferry serve` per region, as
`ferry up` runs them) and one headless Chromium for the module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live.console.browser import Browser, find_chromium
from tests.live.replication_support import Deployment


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    found = find_chromium()
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    running = Deployment(root=tmp_path_factory.mktemp("console")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser(chromium: tuple[str, str], deployment: Deployment) -> Iterator[Browser]:
    opened = Browser(*chromium)
    opened.base = deployment.endpoint("us-east-1")
    yield opened
    opened.quit()


@pytest.fixture
def upload_file(tmp_path: Path) -> Path:
    path = tmp_path / "seed-lab.txt"
    path.write_text("replicate me\n")
    return path
