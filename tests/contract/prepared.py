"""Fresh PostgreSQL databases made a few tests ahead. Creating and migrating a schema takes most of
a PostgreSQL contract test's time, and the server can do it while the previous test (often the
same test on SQLite) runs: a worker thread keeps migrated, never used databases ready for each
set of migration packages, and drops the used ones behind the tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from tests import postgres

AHEAD = 1  # databases kept ready per set of packages, beyond the one being taken
WORKERS = 1  # more only slowed the tier on this two-core machine
# (url, packages) -> migrates the database at url; run in the worker thread.
Migrate = Callable[[str, tuple[str, ...]], None]


class PreparedDatabases:
    def __init__(self, migrate: Migrate) -> None:
        postgres.run_database_url()  # made here, once, not raced by the worker
        self._migrate = migrate
        self._worker = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="contract-pg")
        self._ready: dict[tuple[str, ...], list[Future[str]]] = {}

    def take(self, packages: Sequence[str], prefix: str) -> str:
        """The URL of a migrated database nobody has used; another one is started."""
        key = tuple(packages)
        ready = self._ready.setdefault(key, [])
        while len(ready) < AHEAD + 1:
            ready.append(self._prepare(key, prefix))
        return ready.pop(0).result()

    def drop(self, url: str) -> None:
        self._worker.submit(postgres.drop_database, url)

    def close(self) -> None:
        """Drop the databases no test took, once made; then wait for the worker."""
        for unused in [made for ready in self._ready.values() for made in ready]:
            if unused.exception() is None:
                self.drop(unused.result())
        self._worker.shutdown(wait=True)

    def _prepare(self, packages: tuple[str, ...], prefix: str) -> Future[str]:
        def prepare() -> str:
            url = postgres.create_database(prefix=prefix)
            self._migrate(url, packages)
            return url

        return self._worker.submit(prepare)
