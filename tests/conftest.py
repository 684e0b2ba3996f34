"""Shared fixtures: temporary data directories and a fake clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ferry.core.clock import FakeClock
from ferry.region import DatabaseSpec
from ferry.store import Database


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def engine_under_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """FERRY_TEST_ENGINE=postgresql runs the in-process tiers with every SQLite database of a
    region or control plane replaced by a fresh PostgreSQL database (dropped afterwards): the
    same tests, the other engine."""
    if os.environ.get("FERRY_TEST_ENGINE") != "postgresql":
        yield
        return
    from ferry import region as region_module
    from tests import postgres

    created: dict[Path, str] = {}
    opened: list[Database] = []
    original = region_module.open_database

    def open_on_postgres(spec: DatabaseSpec, *, migrate: bool) -> Database:
        if spec.is_sqlite:
            if spec.sqlite_path not in created:
                created[spec.sqlite_path] = postgres.create_database()
            spec = replace(spec, url=created[spec.sqlite_path])
        db = original(spec, migrate=True)
        opened.append(db)
        return db

    monkeypatch.setattr(region_module, "open_database", open_on_postgres)
    yield
    for db in opened:
        db.close()
    for url in created.values():
        postgres.drop_database(url)


def pytest_sessionfinish(session: pytest.Session) -> None:
    from tests import postgres

    postgres.drop_run_database()
