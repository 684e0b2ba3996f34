"""The databases of one contract test, of one engine: made for it, closed and dropped after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ferry.control import CONTROL_MIGRATIONS
from ferry.region import CONTROL_COMPONENT, REGION_COMPONENT, DatabaseSpec
from ferry.region import open_database as _open_database  # bound before any monkeypatch
from ferry.store import Database
from tests.contract.prepared import PreparedDatabases


def component_of(packages: Sequence[str]) -> str:
    """Which kind of database a set of migration packages makes."""
    return CONTROL_COMPONENT if tuple(packages) == CONTROL_MIGRATIONS else REGION_COMPONENT


def spec_of(url: str, packages: Sequence[str], sqlite_path: Path, key: str) -> DatabaseSpec:
    """Where one test database lives: its URL ("sqlite" for the file at `sqlite_path`)."""
    component = component_of(packages)
    return DatabaseSpec(
        name=component, component=component, url=url, sqlite_path=sqlite_path,
        packages=tuple(packages), key=key,
    )  # fmt: skip


def migrate_postgres(url: str, packages: tuple[str, ...]) -> None:
    _open_database(spec_of(url, packages, Path("unused"), "contract"), migrate=True).close()


@dataclass
class Databases:
    """Fresh databases of one engine for one test; all closed and dropped at its end. SQLite
    files live under `root`; PostgreSQL databases come ready-made from `prepared`."""

    engine: str
    root: Path
    prepared: PreparedDatabases | None
    _opened: list[Database] = field(default_factory=list)
    _created: list[str] = field(default_factory=list)
    _locations: dict[int, DatabaseSpec] = field(default_factory=dict)

    def create(self, packages: Sequence[str], name: str) -> Database:
        url = "sqlite"
        if self.prepared is not None:
            url = self.prepared.take(packages, prefix=name)
            self._created.append(url)
        key = f"contract {self.engine}"
        return self._open(spec_of(url, packages, self.root / f"{name}.sqlite3", key))

    def open_again(self, db: Database) -> Database:
        """A second handle on `db`'s database, as another process (a `ferry worker`, another
        region on the shared control plane) would hold: its own connections."""
        return self._open(self._locations[id(db)])

    def _open(self, spec: DatabaseSpec) -> Database:
        db = _open_database(spec, migrate=True)
        self._opened.append(db)
        self._locations[id(db)] = spec
        return db

    def close(self) -> None:
        for db in reversed(self._opened):
            db.close()
        for url in self._created:
            assert self.prepared is not None
            self.prepared.drop(url)
