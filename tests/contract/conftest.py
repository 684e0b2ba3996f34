"""The contract tier: every test here runs once per metadata engine (SQLite, PostgreSQL) against
a database of its own, created for the test and dropped after it.

PostgreSQL that cannot be reached skips its half of the tier with the reason, unless
FERRY_REQUIRE_POSTGRES=1 (CI sets it): then that half fails, so a missing server can never
pass as green."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ferry.control import CONTROL_MIGRATIONS
from ferry.region import REGION_MIGRATIONS
from ferry.store import Database
from tests import postgres
from tests.contract.databases import Databases, migrate_postgres
from tests.contract.prepared import PreparedDatabases
from tests.contract.region_store import RegionStore

ENGINES = ("sqlite", "postgresql")
REQUIRE_POSTGRES = "FERRY_REQUIRE_POSTGRES"


@functools.cache
def _postgres_unavailable() -> str | None:
    return postgres.unavailable_reason()  # asked once per run: a down server costs a timeout


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgresql" and (reason := _postgres_unavailable()) is not None:
        if os.environ.get(REQUIRE_POSTGRES) == "1":
            pytest.fail(f"{REQUIRE_POSTGRES}=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return name


@pytest.fixture
def engine_under_test() -> None:
    """Overrides the suite-wide FERRY_TEST_ENGINE switch: this tier picks its engines itself."""


@pytest.fixture(scope="session")
def prepared_postgres() -> Iterator[PreparedDatabases]:
    prepared = PreparedDatabases(migrate_postgres)
    yield prepared
    prepared.close()


@pytest.fixture
def databases(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Databases]:
    prepared = None
    if engine == "postgresql":
        prepared = request.getfixturevalue("prepared_postgres")
    made = Databases(engine, tmp_path, prepared)
    yield made
    made.close()


@pytest.fixture
def region_db(databases: Databases) -> Database:
    return databases.create(REGION_MIGRATIONS, "region")


@pytest.fixture
def control_db(databases: Databases) -> Database:
    return databases.create(CONTROL_MIGRATIONS, "control")


@pytest.fixture
def store(region_db: Database, tmp_path: Path) -> RegionStore:
    return RegionStore(region_db, tmp_path / "blobs")
