"""Replication benchmark: lag at a steady rate, and the drain of a backlog against rclone.

    .venv/bin/python -m bench.replication [--quick] [--rate N] [--steady-seconds S] [--json PATH]

One run starts a two-region Ferry deployment (us-east-1 → eu-west-1, one `ferry serve` process
each, in a temp dir), measures replication lag of 4 KiB PUTs at a fixed rate, then kills the
destination, writes a backlog (small objects, then separately 64 MiB ones), restarts it and
times the drain; the very same source objects are then copied with `rclone copy` for scale.
The table goes to stdout, progress to stderr. Everything is stopped and the temp dir removed on
the way out (also on Ctrl-C / SIGTERM). See bench/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as `python bench/replication.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import httpx

from bench import pgdb, rclone
from bench.deployment import (
    DESTINATION_REGION,
    ENGINES,
    SOURCE_REGION,
    SQLITE,
    Deployment,
    ReplicationSettings,
)
from bench.drain import Backlog, backlog_keys, measure_drain, write_backlog
from bench.lag import SteadyPlan, run_steady, summarise_steady
from bench.probe import Lister, ListingFailed, ProbeCalls
from bench.replication_report import compare_engines, render, with_ratios
from bench.s3client import S3Calls
from bench.signer import load_signer
from bench.stats import summarise

KiB, MiB = 1024, 1024 * 1024
SOURCE_BUCKET, DESTINATION_BUCKET = "bench-src", "bench-dst"
BACKLOG_LABELS = ("4KiB", "64MiB")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.replication",
        description="Benchmark Ferry's cross-region replication: lag, and backlog drain vs rclone.",
    )
    p.add_argument("--quick", action="store_true", help="smoke run: 15 s at 50/s, small backlogs")
    p.add_argument("--rate", type=float, help="steady PUT/s (default 100; --quick 50)")
    p.add_argument("--steady-seconds", type=float, help="steady phase length (default 60; 15)")
    p.add_argument("--window-seconds", type=float, help="lag window (default 30; --quick 5)")
    p.add_argument("--poll-ms", type=float, default=10.0, help="HEAD interval per object")
    p.add_argument("--max-head-rate", type=float, default=300.0, help="HEAD/s cap, all objects")
    p.add_argument("--lag-timeout", type=float, default=30.0, help="s before 'never arrived'")
    p.add_argument("--small-count", type=int, help="4 KiB backlog (default 10000; 2000)")
    p.add_argument("--large-count", type=int, help="64 MiB backlog (default 100; 20)")
    p.add_argument("--drain-timeout", type=float, default=900.0, help="s per drain / rclone run")
    p.add_argument(
        "--workers", type=int, help="ferry.toml [replication] workers (default: Ferry's own)"
    )
    p.add_argument("--no-rclone", action="store_true", help="skip the rclone comparison")
    p.add_argument(
        "--engines", default=SQLITE,
        help="metadata engines to run, one deployment each, in turn (sqlite, postgresql or "
        "sqlite,postgresql: the table then compares them); default %(default)s",
    )  # fmt: skip
    p.add_argument("--no-steady", action="store_true", help="skip the steady lag phase")
    p.add_argument(
        "--backlogs", default="4KiB,64MiB", help="backlogs to drain (default %(default)s)"
    )
    p.add_argument(
        "--sse-s3", action="store_true",
        help="every bucket (source, destination, rclone's) encrypts with SSE-S3 by default",
    )  # fmt: skip
    p.add_argument("--log-level", default="warning", help="the regions' --log-level")
    p.add_argument("--json", type=Path, metavar="PATH", help="write every raw figure here")
    p.add_argument("--logs", type=Path, metavar="DIR", help="copy region and rclone logs here")
    args = p.parse_args(argv)
    quick = args.quick
    for name, full, short in (
        ("rate", 100.0, 50.0),
        ("steady_seconds", 60.0, 15.0),
        ("window_seconds", 30.0, 5.0),
        ("small_count", 10_000, 2_000),
        ("large_count", 100, 20),
    ):
        if getattr(args, name) is None:
            setattr(args, name, short if quick else full)
    if min(args.rate, args.steady_seconds, args.window_seconds, args.poll_ms) <= 0:
        p.error("--rate, --steady-seconds, --window-seconds and --poll-ms must be positive")
    if args.max_head_rate <= 0:
        p.error("--max-head-rate must be positive")
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not args.engines or any(e not in ENGINES for e in args.engines):
        p.error(f"--engines: choose from {', '.join(ENGINES)}")
    args.backlogs = [b.strip() for b in args.backlogs.split(",") if b.strip()]
    if not args.backlogs or any(b not in BACKLOG_LABELS for b in args.backlogs):
        p.error(f"--backlogs: choose from {', '.join(BACKLOG_LABELS)}")
    if args.small_count < 1 or args.large_count < 1 or (args.workers or 1) < 1:
        p.error("--small-count, --large-count and --workers must be at least 1")
    return args


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Treat SIGTERM like Ctrl-C: asyncio.Runner's SIGINT handler cancels the run cleanly."""
    on_sigint = signal.getsignal(signal.SIGINT)
    if callable(on_sigint):
        on_sigint(signal.SIGINT, frame)
    else:  # SIGINT ignored (e.g. a background job): unwind through `finally` directly
        raise KeyboardInterrupt


def _note_load(doc: dict[str, Any], phase: str) -> None:
    """The 1-minute load average as a phase starts: other work on the machine shows here."""
    doc["meta"]["loadavg_1m"][phase] = round(os.getloadavg()[0], 2)


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _backlogs(args: argparse.Namespace) -> list[Backlog]:
    budget = args.drain_timeout
    every = (
        Backlog(label="4KiB", prefix="small/", count=args.small_count, size=4 * KiB,
                concurrency=16, op_timeout_s=10.0, write_budget_s=budget),
        Backlog(label="64MiB", prefix="large/", count=args.large_count, size=64 * MiB,
                concurrency=4, op_timeout_s=120.0, write_budget_s=budget),
    )  # fmt: skip
    return [backlog for backlog in every if backlog.label in args.backlogs]


async def _run(args: argparse.Namespace, deployment: Deployment, doc: dict[str, Any]) -> None:
    info = None if args.no_rclone else await rclone.check_rclone()
    doc["meta"]["rclone"] = None if info is None else dataclasses.asdict(info)
    _log(
        f"starting {SOURCE_REGION} and {DESTINATION_REGION} on {deployment.engine} "
        f"in {deployment.root}"
    )
    await deployment.start()
    doc["meta"]["ports"] = dict(deployment.ports)
    deployment.create_bucket(SOURCE_REGION, SOURCE_BUCKET)
    deployment.create_bucket(DESTINATION_REGION, DESTINATION_BUCKET)
    deployment.replicate(SOURCE_BUCKET, DESTINATION_BUCKET)
    signer = load_signer()
    doc["meta"]["signer"] = signer.source
    east = S3Calls(deployment.endpoint(SOURCE_REGION), signer.sign)
    west = ProbeCalls(deployment.endpoint(DESTINATION_REGION), signer.sign)
    lister = Lister(deployment.endpoint(DESTINATION_REGION), signer.sign)
    try:
        plan = SteadyPlan(
            bucket_src=SOURCE_BUCKET, bucket_dst=DESTINATION_BUCKET, prefix="steady/",
            rate_per_s=args.rate, seconds=args.steady_seconds, size=4 * KiB,
            poll_s=args.poll_ms / 1000, max_head_rate=args.max_head_rate,
            timeout_s=args.lag_timeout,
            window_s=args.window_seconds,
        )  # fmt: skip
        if not args.no_steady:
            _log(f"steady: {args.rate:g} PUT/s for {args.steady_seconds:g} s")
            _note_load(doc, "steady")
            steady = await run_steady(plan, east, west, os.urandom(plan.size))
            doc["steady"] = summarise_steady(plan, steady)
            doc["steady_raw"] = [[r.index, r.acked_at_s, r.lag_s] for r in steady.objects]
        for backlog in _backlogs(args):
            _note_load(doc, backlog.label)
            doc["backlogs"].append(await _backlog(args, deployment, backlog, east, west, lister))
            doc["backlogs"][-1]["rclone"] = await _rclone_runs(
                args, info, deployment, backlog, lister
            )
    finally:
        await lister.aclose()


async def _backlog(
    args: argparse.Namespace,
    deployment: Deployment,
    backlog: Backlog,
    east: S3Calls,
    west: ProbeCalls,
    lister: Lister,
) -> dict[str, Any]:
    _log(f"{backlog.label}: kill -9 {DESTINATION_REGION}; writing {backlog.count} objects")
    deployment.kill(DESTINATION_REGION)
    body = os.urandom(backlog.size)
    written = await write_backlog(backlog, east, SOURCE_BUCKET, body)
    del body
    keys = backlog_keys(backlog, written)
    write = {k: v for k, v in summarise(written).items() if k != "latencies_ms"}
    _log(f"{backlog.label}: {len(keys)} written in {written.elapsed_s:.1f} s; restarting")

    async def restart() -> float:
        deployment.spawn(DESTINATION_REGION)
        return await deployment.wait_healthy(DESTINATION_REGION)

    ready_s, drain = await measure_drain(
        backlog, keys, bucket=DESTINATION_BUCKET, restart=restart,
        lister=lister, probe=west, timeout_s=args.drain_timeout,
    )  # fmt: skip
    figures = drain.figures(backlog.size)
    _log(f"{backlog.label}: drain {figures['drain_s']} s, {drain.arrived}/{len(keys)} arrived")
    return {
        "label": backlog.label, "prefix": backlog.prefix, "size": backlog.size,
        "count": backlog.count, "concurrency": backlog.concurrency, "write": write,
        "restart_to_healthy_s": ready_s, "drain": figures,
    }  # fmt: skip


async def _rclone_runs(
    args: argparse.Namespace,
    info: rclone.RcloneInfo | None,
    deployment: Deployment,
    backlog: Backlog,
    lister: Lister,
) -> list[dict[str, Any]]:
    if info is None:
        return []
    env = {
        **rclone.remote_env("east", deployment.endpoint(SOURCE_REGION)),
        **rclone.remote_env("west", deployment.endpoint(DESTINATION_REGION)),
    }
    runs = []
    for name, flags, transfers in (
        ("defaults", [], info.default_transfers),
        ("transfers16", ["--transfers", "16"], 16),
    ):
        bucket = f"rclone-{backlog.label.lower()}-{name}"
        deployment.create_bucket(DESTINATION_REGION, bucket)
        _log(f"{backlog.label}: rclone copy → {bucket} {' '.join(flags)}")
        run = await rclone.copy(
            info, source=f"east:{SOURCE_BUCKET}/{backlog.prefix.rstrip('/')}",
            destination=f"west:{bucket}", extra_flags=flags, env=env,
            workdir=deployment.root, timeout_s=args.drain_timeout,
        )  # fmt: skip
        try:
            copied = len(await lister.keys(bucket))
        except (httpx.HTTPError, ListingFailed) as exc:
            copied, run["list_error"] = 0, f"{type(exc).__name__}: {exc}"
        run.update(name=name, transfers=transfers, checkers=info.default_checkers, copied=copied)
        run["mb_per_s"] = run["copied"] * backlog.size / run["elapsed_s"] / 1e6
        _log(f"{backlog.label}: rclone {name}: {run['elapsed_s']:.1f} s, {run['copied']} copied")
        runs.append(run)
    return runs


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    docs: dict[str, dict[str, Any]] = {}
    try:
        for engine in args.engines:
            docs[engine] = _run_engine(args, engine)
        for engine, doc in docs.items():
            if len(docs) > 1:
                print(f"=== metadata engine: {engine}")
            print(render(doc) + "\n")
        document: dict[str, Any] = next(iter(docs.values()))
        if len(docs) > 1:
            comparison = compare_engines(docs)
            print(comparison["text"])
            document = {"engines": docs, "comparison": comparison["rows"]}
        if args.json is not None:
            args.json.write_text(json.dumps(document, indent=1) + "\n")
            _log(f"raw figures written to {args.json}")
        return 0
    except rclone.RcloneMissing as exc:
        _log(f"error: {exc}")
        return 2
    except KeyboardInterrupt:
        _log("interrupted; stopping regions")
        return 130
    except (RuntimeError, pgdb.PostgresUnavailable) as exc:  # a region did not start or died
        _log(f"error: {exc}")
        return 1


def _run_engine(args: argparse.Namespace, engine: str) -> dict[str, Any]:
    """One deployment on `engine`, the whole sequence, stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix=f"ferry-replication-bench-{engine}-"))
    settings = ReplicationSettings(workers=args.workers)
    deployment = Deployment(
        root=root, settings=settings, log_level=args.log_level, sse_s3=args.sse_s3, engine=engine
    )
    doc: dict[str, Any] = {"meta": _meta(args, settings), "steady": None, "backlogs": []}
    doc["meta"]["engine"] = engine
    started = time.time()
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(_run(args, deployment, doc))
        doc["meta"]["duration_s"] = time.time() - started
        with_ratios(doc)
        return doc
    finally:
        deployment.stop()
        if args.logs is not None:
            args.logs.mkdir(parents=True, exist_ok=True)
            for log in root.glob("*.log"):
                name = log.name if len(args.engines) == 1 else f"{engine}-{log.name}"
                shutil.copy(log, args.logs / name)
        shutil.rmtree(root, ignore_errors=True)


def _meta(args: argparse.Namespace, settings: ReplicationSettings) -> dict[str, Any]:
    return {
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "replication_settings": dataclasses.asdict(settings),
        "python": sys.version,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "loadavg_1m": {"start": round(os.getloadavg()[0], 2)},
    }


if __name__ == "__main__":
    sys.exit(main())
