"""Failure store benchmark: admin-API query latency over a million failure records.

    .venv/bin/python -m bench.failures [--engine sqlite|postgresql] [--records N] [--queries Q]

One region is built in a temp dir (no workers), its metadata in SQLite or in a fresh PostgreSQL
database (dropped afterwards); its `replication_failures` table is filled with N records
(default 1,000,000) in bulk, the way a DBA would load one (indexes and triggers set aside, the
per-rule/reason counts derived once, everything put back with the same DDL). Then signed
admin-API calls go through the region's ASGI app in process (SigV4 verification, query, JSON
rendering: everything but the socket), Q per kind of query, and p50/p99 per kind and overall
are printed. Target: p99 < 50 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as `python bench/failures.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import contextlib
import dataclasses
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import psycopg
from psycopg import sql as pgsql

from bench import pgdb
from ferry.api.app import S3App
from ferry.client import Credentials, SigV4Auth
from ferry.config import RegionConfig, RootCredentials, one_region_deployment
from ferry.core.secret import Secret
from ferry.region import Region, build_region

ACCESS_KEY = "BENCHFAILURES0000001"
SECRET_KEY = "bench-failures-secret"
REGION = "us-east-1"
RULES = [f"rule-{i:02}" for i in range(40)]
BUCKETS = [f"bucket-{i:03}" for i in range(200)]
DESTINATIONS = [f"dest-{i:02}" for i in range(20)]
REASONS = [
    "DstBucketNotFound", "DstBucketUnversioned", "DstPutObjectNotPermitted",
    "DstDelObjNotPermitted", "DstVersionNotFound", "SrcVersionNotFound", "ChecksumMismatch",
    "Unknown", "DstRegionUnavailable", "DstThrottled",
]  # fmt: skip
SQLITE, POSTGRESQL = "sqlite", "postgresql"
STATES = ["FAILED"] * 7 + ["RESOLVED"] * 2 + ["RETRYING"]
START_MS = 1_760_000_000_000
SPAN_MS = 30 * 24 * 3600 * 1000  # records spread over 30 days


def rows(count: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    for i in range(count):
        state = rng.choice(STATES)
        last = START_MS + rng.randrange(SPAN_MS)
        yield (
            rng.choice(BUCKETS), f"logs/{i:08}.json", f"v{i:012}", "OBJECT", rng.choice(RULES),
            rng.choice(DESTINATIONS), "eu-west-1", state, rng.choice(REASONS),
            "the destination refused the write", rng.randint(1, 9), last - 60_000, last,
            last + 30_000 if state == "RETRYING" else None,
            last + 90_000 if state == "RESOLVED" else None,
        )  # fmt: skip


INSERT_COLUMNS = (
    "bucket, key, version_id, operation, rule_id, destination_bucket, destination_region, "
    "state, reason, message, attempts, first_failure_ms, last_failure_ms, next_attempt_ms, "
    "resolved_ms"
)
DERIVE_COUNTS_SQL = (
    "INSERT INTO replication_failure_counts (rule_id, reason, state, count) "
    "SELECT rule_id, reason, state, COUNT(*) FROM replication_failures "
    "GROUP BY rule_id, reason, state"
)
DERIVE_COUNT_SLOTS_SQL = (
    "INSERT INTO replication_failure_count_slots (rule_id, reason, state, slot, count) "
    "SELECT rule_id, reason, state, 0, COUNT(*) FROM replication_failures "
    "GROUP BY rule_id, reason, state"
)


def fill_sqlite(path: Path, count: int) -> float:
    """Bulk load as a DBA would: set the table's indexes and triggers aside, insert, build the
    indexes once, derive the per-rule/reason counts, put the triggers back (same DDL)."""
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-2000000")  # KiB: every index stays in memory while filling
    conn.execute("BEGIN")
    aside = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'replication_failures' "
        "AND type IN ('index', 'trigger') AND sql IS NOT NULL"
    ).fetchall()
    for kind, name, _ in aside:
        conn.execute(f"DROP {kind.upper()} {name}")
    conn.executemany(
        f"INSERT INTO replication_failures ({INSERT_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(count, random.Random(7)),
    )
    for _, _, sql in (a for a in aside if a[0] == "index"):
        conn.execute(sql)
    conn.execute(DERIVE_COUNTS_SQL)
    for _, _, sql in (a for a in aside if a[0] == "trigger"):
        conn.execute(sql)
    conn.execute("COMMIT")  # no ANALYZE: the queries must not depend on statistics
    conn.close()
    return time.perf_counter() - started


def fill_postgres(url: str, count: int) -> float:
    """As `fill_sqlite`, on PostgreSQL: the secondary indexes (not the primary key) and the
    triggers set aside, COPY, indexes rebuilt, counts derived, triggers back; then VACUUM
    ANALYZE, which autovacuum would do to a table of this size soon after such a load (the
    planner picks among the indexes by statistics, so without them it would measure the first
    minute after a bulk load, not the table in service)."""
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")  # the load only; one commit at the end
        conn.execute("SET maintenance_work_mem = '256MB'")
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'replication_failures'"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint"
            " WHERE conrelid = 'replication_failures'::regclass)"
        ).fetchall()
        triggers = conn.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger"
            " WHERE tgrelid = 'replication_failures'::regclass AND NOT tgisinternal"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(pgsql.SQL("DROP INDEX {}").format(pgsql.Identifier(name)))
        for name, _ in triggers:
            conn.execute(
                pgsql.SQL("DROP TRIGGER {} ON replication_failures").format(pgsql.Identifier(name))
            )
        with conn.cursor().copy(f"COPY replication_failures ({INSERT_COLUMNS}) FROM STDIN") as cp:
            for row in rows(count, random.Random(7)):
                cp.write_row(row)
        for _, definition in (*indexes, *triggers):
            conn.execute(definition.encode())  # DDL as PostgreSQL prints it back
        conn.execute(DERIVE_COUNT_SLOTS_SQL)  # the counts are a view over slots here
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE replication_failures")
        conn.execute("VACUUM ANALYZE replication_failure_count_slots")
    return time.perf_counter() - started


def iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def query_kinds(rng: random.Random) -> dict[str, Callable[[], dict[str, str]]]:
    def window() -> dict[str, str]:
        since = START_MS + rng.randrange(SPAN_MS - 3600_000)
        return {"since": iso(since), "until": iso(since + 3600_000)}

    return {
        "newest": lambda: {},
        "rule": lambda: {"rule": rng.choice(RULES)},
        "bucket": lambda: {"bucket": rng.choice(BUCKETS)},
        "destination": lambda: {"destination": rng.choice(DESTINATIONS)},
        "reason": lambda: {"reason": rng.choice(REASONS)},
        "state": lambda: {"state": rng.choice(["FAILED", "RETRYING", "RESOLVED"])},
        "time range": window,
        "rule+state": lambda: {"rule": rng.choice(RULES), "state": "RETRYING"},
        "reason+state": lambda: {"reason": rng.choice(REASONS), "state": "FAILED"},
        "bucket+reason": lambda: {"bucket": rng.choice(BUCKETS), "reason": rng.choice(REASONS)},
        "rule+time range": lambda: {"rule": rng.choice(RULES), **window()},
        "limit 1000": lambda: {"state": "FAILED", "limit": "1000"},
    }


@asynccontextmanager
async def running(app: S3App) -> AsyncIterator[None]:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    await outbox.get()
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


async def timed(http: httpx.AsyncClient, path: str, params: dict[str, str]) -> tuple[float, Any]:
    started = time.perf_counter()
    response = await http.get(path, params=params)
    elapsed = (time.perf_counter() - started) * 1000  # the body is in: parsing it is ours
    assert response.status_code == 200, response.text
    return elapsed, response.json()


async def measure(app: S3App, queries: int) -> dict[str, list[float]]:
    rng = random.Random(11)
    credentials = Credentials(access_key=ACCESS_KEY, secret_key=Secret(SECRET_KEY), region=REGION)
    transport = httpx.ASGITransport(app=app)
    latencies: dict[str, list[float]] = {}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1:9000", auth=SigV4Auth(credentials)
    ) as http:
        await timed(http, "/_ferry/failures/summary", {})  # warm up
        for name, make in query_kinds(rng).items():
            for _ in range(queries):
                elapsed, _page = await timed(http, "/_ferry/failures", make())
                latencies.setdefault(name, []).append(elapsed)
        cursor = None
        for _ in range(queries):  # walking deep into one filtered listing, page after page
            params = {"state": "FAILED", **({"cursor": cursor} if cursor else {})}
            elapsed, page = await timed(http, "/_ferry/failures", params)
            cursor = page["next_cursor"]
            latencies.setdefault("next page", []).append(elapsed)
        for _ in range(queries):
            elapsed, _summary = await timed(http, "/_ferry/failures/summary", {})
            latencies.setdefault("summary", []).append(elapsed)
        for _ in range(queries):
            failure_id = rng.randint(1, 1_000_000)
            started = time.perf_counter()
            await http.get(f"/_ferry/failures/{failure_id}")
            latencies.setdefault("show id", []).append((time.perf_counter() - started) * 1000)
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(latencies: dict[str, list[float]], records: int, fill_s: float, engine: str) -> None:
    print(f"failure store on {engine}: {records:,} records (bulk fill {fill_s:.1f} s)")
    print(f"{'query':<18}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    every: list[float] = []
    for name, values in latencies.items():
        every += values
        print(
            f"{name:<18}{len(values):>6}{statistics.median(values):>10.2f}"
            f"{percentile(values, 0.99):>10.2f}{max(values):>10.2f}"
        )
    p99 = percentile(every, 0.99)
    print(f"{'all':<18}{len(every):>6}{statistics.median(every):>10.2f}{p99:>10.2f}")
    print(f"target p99 < 50 ms: {'met' if p99 < 50 else 'MISSED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=40, help="per kind of query")
    parser.add_argument("--json", type=Path, help="write the raw latencies here")
    parser.add_argument(
        "--engine", choices=(SQLITE, POSTGRESQL), default=SQLITE, help="the metadata engine"
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ferry-bench-failures-")))
        url = (
            stack.enter_context(pgdb.fresh_database("failures"))
            if args.engine == POSTGRESQL
            else None
        )
        region = _build(tmp / REGION, url)  # creates the schema
        print(f"filling {args.records:,} failure records…", file=sys.stderr, flush=True)
        if url is None:
            fill_s = fill_sqlite(tmp / REGION / "metadata.sqlite3", args.records)
        else:
            fill_s = fill_postgres(url, args.records)
        latencies = asyncio.run(_measure_running(region.app, args.queries))
    report(latencies, args.records, fill_s, args.engine)
    if args.json:
        args.json.write_text(json.dumps(latencies))
    return 0


def _build(data_dir: Path, url: str | None) -> Region:
    """The region, no workers; on PostgreSQL its metadata and control plane in `url`."""
    root = RootCredentials(
        access_key=ACCESS_KEY, secret_key=Secret(SECRET_KEY), account_id="000000000001",
        defaulted=False,
    )  # fmt: skip
    config = RegionConfig(name=REGION, data_dir=data_dir, database=url or SQLITE)
    deployment = one_region_deployment(config, root)
    if url is not None:
        deployment = dataclasses.replace(deployment, control_database=url)
    return build_region(config, root, deployment=deployment, run_workers=False, migrate=True)


async def _measure_running(app: S3App, queries: int) -> dict[str, list[float]]:
    async with running(app):
        return await measure(app, queries)


if __name__ == "__main__":
    sys.exit(main())
