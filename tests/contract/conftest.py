"""The contract tier: every test here runs once per metadata engine (SQLite, PostgreSQL) against
a database of its own, created for the test and dropped after it.

PostgreSQL that cannot be reached skips its half of the tier with the reason, unless
FERRY_REQUIRE_POSTGRES=1 (CI sets it): then that half fails, so a missing server can never
pass as green."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ferry.control import CONTROL_MIGRATIONS
from ferry.region import REGION_MIGRATIONS
from ferry.region import open_database as _open_database  # bound before any monkeypatch
from ferry.store import Database
from tests import postgres
from tests.contract.prepared import PreparedDatabases
from tests.contract.region_store import RegionStore

ENGINES = ("sqlite", "postgresql")
REQUIRE_POSTGRES = "FERRY_REQUIRE_POSTGRES"


@functools.cache
def _postgres_unavailable() -> str | None:
    return postgres.unavailable_reason()  # asked once per run: a down server costs a timeout


@dataclass(frozen=True, slots=True)
class Location:
    """Where one test database lives: its URL ("sqlite" for the file at `sqlite_path`)."""

    url: str
    sqlite_path: Path
    packages: tuple[str, ...]


def _migrate_postgres(url: str, packages: tuple[str, ...]) -> None:
    _open_database(
        url, sqlite_path=Path("unused"), packages=packages, key="contract", migrate=True
    ).close()


@dataclass
class Databases:
    """Fresh databases of one engine for one test; all closed and dropped at its end."""

    engine: str
    root: Path
    prepared: PreparedDatabases | None
    _opened: list[Database] = field(default_factory=list)
    _created: list[str] = field(default_factory=list)
    _locations: dict[int, Location] = field(default_factory=dict)

    def create(self, packages: Sequence[str], name: str) -> Database:
        url = "sqlite"
        if self.prepared is not None:
            url = self.prepared.take(packages, prefix=name)
            self._created.append(url)
        location = Location(url, self.root / f"{name}.sqlite3", tuple(packages))
        return self._open(location)

    def open_again(self, db: Database) -> Database:
        """A second handle on `db`'s database, as another process (a `ferry worker`, another
        region on the shared control plane) would hold: its own connections."""
        return self._open(self._locations[id(db)])

    def _open(self, location: Location) -> Database:
        db = _open_database(
            location.url, sqlite_path=location.sqlite_path, packages=location.packages,
            key=f"contract {self.engine}", migrate=True,
        )  # fmt: skip
        self._opened.append(db)
        self._locations[id(db)] = location
        return db

    def close(self) -> None:
        for db in reversed(self._opened):
            db.close()
        for url in self._created:
            assert self.prepared is not None
            self.prepared.drop(url)


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
    prepared = PreparedDatabases(_migrate_postgres)
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
    return databases.create((CONTROL_MIGRATIONS,), "control")


@pytest.fixture
def store(region_db: Database, tmp_path: Path) -> RegionStore:
    return RegionStore(region_db, tmp_path / "blobs")
