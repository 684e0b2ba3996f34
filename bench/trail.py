"""Audit-trail query benchmark: 1,000,000 events written through the real writer
(`events.trail.TrailWriter`, its batches, segments and indexes), then `ferry trail query`'s
filters timed over them (medians of several runs, in process, and one CLI run end to end).

    .venv/bin/python -m bench.trail [--events N] [--repeat K] [--dir PATH]

Events span 24 hours over 100 buckets and 10,000 keys: 45% PutObject (a fifth of them replica
writes, invokedBy s3.amazonaws.com), 45% GetObject, the rest bucket operations, from 20 users.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as `python bench/trail.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import tempfile
import time

from ferry.events.trail import (
    S3_SERVICE,
    TrailEvent,
    TrailFilter,
    TrailWriter,
    WriterSettings,
    to_cloudtrail,
)
from ferry.events.trail.query import query_trail

HOUR_MS = 3_600_000
START_MS = 1_764_806_400_000  # 2025-12-04T00:00:00Z
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/replication"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/replication/s3-replication"


def synthetic(i: int, n: int, rng: random.Random) -> TrailEvent:
    bucket = f"bucket-{rng.randrange(100):03d}"
    roll = rng.random()
    name = "PutObject" if roll < 0.45 else "GetObject" if roll < 0.9 else "ListObjectsV2"
    if roll > 0.995:
        name = "CreateBucket"
    replica = name == "PutObject" and rng.random() < 0.2
    user = f"arn:aws:iam::{ACCOUNT}:user/user-{rng.randrange(20)}"
    key = f"data/{rng.randrange(10_000):05d}.bin" if name in ("PutObject", "GetObject") else ""
    return TrailEvent(
        time_ms=START_MS + i * 24 * HOUR_MS // n, event_source=S3_SERVICE, event_name=name,
        region="us-east-1", source_ip="10.0.0.7", user_agent="aws-cli/2.15 Python/3.11",
        identity_type="AssumedRole" if replica else "IAMUser",
        principal_id="AROAEXAMPLE:s3-replication" if replica else "AIDAEXAMPLE",
        arn=SESSION if replica else user, account_id=ACCOUNT, access_key_id="AKIAEXAMPLE",
        invoked_by=S3_SERVICE if replica else "", session_issuer=ROLE if replica else "",
        bucket=bucket, key=key, version_id=f"{i:020d}" if name == "PutObject" else "",
        error_code="", error_message="", request_id=f"REQ{i:013d}", event_id=f"ev-{i}",
        http_status=200, method="PUT" if name == "PutObject" else "GET",
        request_uri=f"/{bucket}/{key}", bytes_sent=0, object_size=4096, total_ms=3,
        turnaround_ms=2, referer="", host="127.0.0.1:9000", signature_version="SigV4",
        auth_type="AuthHeader", bucket_owner="",
        response_elements=f'{{"x-amz-version-id":"{i:020d}"}}' if name == "PutObject" else "",
    )  # fmt: skip


def write(directory: Path, n: int) -> float:
    rng = random.Random(7)
    clock = {"now": START_MS}
    writer = TrailWriter(
        WriterSettings(directory=directory, writer="bench"), now_ms=lambda: clock["now"]
    )
    writer.start()
    began = time.perf_counter()
    for i in range(n):
        event = synthetic(i, n, rng)
        clock["now"] = event.time_ms
        writer.record(event)
        if i % 10_000 == 9_999:
            writer.wait_written(i + 1 - 50_000, timeout_s=600)  # stay under max_pending
    writer.stop()
    elapsed = time.perf_counter() - began
    assert writer.dropped == 0 and writer.written == n, (writer.dropped, writer.written)
    return elapsed


QUERIES: tuple[tuple[str, list[str], TrailFilter, int | None], ...] = (
    ("seed 003: one bucket's replica PutObjects (all)",
     ["--bucket", "bucket-042", "--event", "PutObject", "--invoked-by", S3_SERVICE, "--limit", "0"],
     TrailFilter(bucket="bucket-042", event_name="PutObject", invoked_by=S3_SERVICE), None),
    ("seed 003: one bucket's user PutObjects (all)",
     ["--bucket", "bucket-042", "--event", "PutObject", "--invoked-by", "", "--limit", "0"],
     TrailFilter(bucket="bucket-042", event_name="PutObject", invoked_by=""), None),
    ("one object's history (all)", ["--bucket", "bucket-042", "--key", "data/00042.bin",
                                    "--limit", "0"],
     TrailFilter(bucket="bucket-042", key="data/00042.bin"), None),
    ("one user, newest 100", ["--user", f"arn:aws:iam::{ACCOUNT}:user/user-3"],
     TrailFilter(arn=f"arn:aws:iam::{ACCOUNT}:user/user-3"), 100),
    ("every replica write, newest 100", ["--invoked-by", S3_SERVICE],
     TrailFilter(invoked_by=S3_SERVICE), 100),
    ("CreateBucket, all (~5,000)", ["--event", "CreateBucket", "--limit", "0"],
     TrailFilter(event_name="CreateBucket"), None),
    ("last hour's PutObjects, newest 1000", ["--event", "PutObject", "--limit", "1000"],
     TrailFilter(event_name="PutObject", since_ms=START_MS + 23 * HOUR_MS), 1000),
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, help="reuse (or keep) the trail here")
    args = parser.parse_args(argv)
    keep = args.dir is not None
    directory = args.dir or Path(tempfile.mkdtemp(prefix="ferry-trail-bench-"))
    try:
        if not any(directory.glob("*.sqlite3")):
            directory.mkdir(parents=True, exist_ok=True)
            elapsed = write(directory, args.events)
            print(f"wrote {args.events:,} events in {elapsed:.1f} s "
                  f"({args.events / elapsed:,.0f} events/s)")  # fmt: skip
        files = list(directory.glob("*.sqlite3"))
        size = sum(p.stat().st_size for p in files)
        print(f"{len(files)} segments, {size / 1e6:.0f} MB ({size / args.events:.0f} B/event)")
        print(
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall time includes"
            " waiting for a CPU; CPU ms is this process's own time (user + system)"
        )
        print(f"{'query':<48} {'rows':>7} {'median ms':>10} {'max ms':>8} {'CPU ms':>7}")
        for label, _, where, limit in QUERIES:
            times, cpu, rows = [], [], 0
            for _ in range(args.repeat):
                cpu_began = time.process_time()
                began = time.perf_counter()
                # the answer as `--json` prints it: query, then render each CloudTrail record
                rendered = [json.dumps(to_cloudtrail(e)) for e in query_trail(
                    [directory], where, limit=limit)]  # fmt: skip
                rows = len(rendered)
                times.append((time.perf_counter() - began) * 1000)
                cpu.append((time.process_time() - cpu_began) * 1000)
            print(f"{label:<48} {rows:>7} {statistics.median(times):>10.1f} {max(times):>8.1f}"
                  f" {statistics.median(cpu):>7.1f}")  # fmt: skip
        _cli(directory)
    finally:
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


def _cli(directory: Path) -> None:
    """One query through the command itself (process start included)."""
    config = directory / "bench.toml"
    config.write_text(
        f'data_dir = "{directory}"\n[trail]\ndir = "{directory.parent}"\n'
        f'[[regions]]\nname = "{directory.name}"\nport = 9\n'
    )
    _, args, _, _ = QUERIES[0]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ferry", "trail", "query", "--config", str(config), *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    took = (time.perf_counter() - began) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) * 1000
    print(
        f"CLI `ferry trail query {' '.join(args)}`: {took:.0f} ms wall, {cpu:.0f} ms CPU "
        f"(process start and imports included; {done.stdout.strip().splitlines()[-1]})"
    )


if __name__ == "__main__":
    sys.exit(main())
