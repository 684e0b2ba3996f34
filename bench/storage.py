"""Storage benchmark: Ferry, moto's server and s3rver side by side in one run, plus the ceiling.

    .venv/bin/python -m bench.storage [--quick] [--repeat K] [--json PATH]

Starts every server on an ephemeral port with a private temp dir, runs the workloads interleaved
(see `bench.runner`), prints a table with baseline/peer ratios to stdout (progress goes to
stderr) and stops every server on the way out, including on Ctrl-C, SIGTERM and errors.
A server that does not start is skipped with the reason; the others are still measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as `python bench/storage.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
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

from bench import pgdb, servers
from bench.report import render, summarise_runs
from bench.runner import WORKLOAD_LABELS, make_plan, run_benchmark
from bench.signer import load_signer

SERVER_SPECS: dict[str, Callable[[], servers.ServerSpec]] = {
    "ferry": servers.ferry_spec,
    "ferry-notrail": servers.ferry_notrail_spec,
    "ferry-pg": servers.ferry_pg_spec,
    # `[metrics] enabled` on vs off, side by side (docs/operations.md, "Metrics")
    "ferry-metrics-on": lambda: servers.ferry_metrics_spec(True),
    "ferry-metrics-off": lambda: servers.ferry_metrics_spec(False),
    "ferry-unobserved": lambda: servers.ferry_metrics_spec(False, trail=False),
    "moto": servers.moto_spec,
    "s3rver": servers.s3rver_spec,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.storage",
        description="Benchmark Ferry against moto and s3rver on this machine, in one run.",
    )
    parser.add_argument("--quick", action="store_true", help="~1 minute smoke run")
    parser.add_argument("--repeat", type=int, default=1, metavar="K", help="repeat, report medians")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every raw figure here")
    parser.add_argument(
        "--servers",
        default="ferry,moto,s3rver",
        help=f"comma-separated subset of {','.join(SERVER_SPECS)} (default: %(default)s)",
    )
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOAD_LABELS),
        help="comma-separated subset of the workloads (default: %(default)s)",
    )
    parser.add_argument(
        "--baseline", default="ferry", help="numerator of the ratios (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    args.servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in args.servers if name not in SERVER_SPECS]
    if unknown:
        parser.error(f"unknown server(s) {unknown}; choose from {list(SERVER_SPECS)}")
    args.workloads = tuple(name.strip() for name in args.workloads.split(",") if name.strip())
    unknown = [name for name in args.workloads if name not in WORKLOAD_LABELS]
    if unknown or not args.workloads:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOAD_LABELS)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def _loop_factory() -> tuple[Callable[[], asyncio.AbstractEventLoop], str]:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop, "asyncio"
    return uvloop.new_event_loop, "uvloop"


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Treat SIGTERM like Ctrl-C: asyncio.Runner's SIGINT handler cancels the run cleanly."""
    on_sigint = signal.getsignal(signal.SIGINT)
    if callable(on_sigint):
        on_sigint(signal.SIGINT, frame)
    else:  # SIGINT ignored (e.g. a background job): unwind through `finally` directly
        raise KeyboardInterrupt


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _start_all(
    names: list[str], root: Path
) -> tuple[dict[str, servers.RunningServer], dict[str, str]]:
    running: dict[str, servers.RunningServer] = {}
    skipped: dict[str, str] = {}
    specs = [SERVER_SPECS[name]() for name in names] + [servers.noop_spec()]
    for spec in specs:
        try:
            running[spec.name] = servers.start(spec, root)
        except servers.ServerUnavailable as exc:
            skipped[spec.name] = str(exc)
            _log(f"SKIP {spec.name}: {exc}")
            continue
        _log(f"started {spec.name} on port {running[spec.name].port}")
    return running, skipped


def _postgres_before(running: dict[str, servers.RunningServer]) -> dict[str, Any] | None:
    """For a PostgreSQL-backed server: the server's durability settings, and the counters
    whose growth over the run shows its commits were flushed (see `_postgres_after`)."""
    database = next((s.spec.database for s in running.values() if s.spec.database), None)
    if database is None:
        return None
    return {
        "database": database,
        "settings": pgdb.durability_settings(),
        "before": pgdb.activity(database),
    }


def _postgres_after(postgres: dict[str, Any]) -> dict[str, Any]:
    after = pgdb.activity(postgres["database"])
    delta = {name: after[name] - value for name, value in postgres["before"].items()}
    return {**postgres, "after": after, "delta": delta}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    root = Path(tempfile.mkdtemp(prefix="ferry-bench-"))
    running: dict[str, servers.RunningServer] = {}
    try:
        running, skipped = _start_all(args.servers, root)
        signer = load_signer()
        _log(f"signer: {signer.source}" + (f" ({signer.note})" if signer.note else ""))
        plan = make_plan(quick=args.quick, repeat=args.repeat, only=args.workloads)
        postgres = _postgres_before(running)
        targets = {name: running[name].endpoint for name in args.servers if name in running}
        noop = running["noop"].endpoint if "noop" in running else None
        loop_factory, loop_name = _loop_factory()
        started = time.time()
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            result = runner.run(run_benchmark(plan, targets, noop, signer.sign, root))
        for name, server in running.items():
            if server.proc.poll() is not None:
                skipped[name] = f"exited with code {server.proc.returncode} during the run"
        summary = summarise_runs(result, list(targets), args.baseline)
        if postgres is not None:
            summary["postgres"] = _postgres_after(postgres)
        print(render(summary, skipped, args.repeat))
        if args.json is not None:
            meta = _meta(args, loop_name, signer.source, signer.note, started, running, skipped)
            document = {"meta": meta, **result, "summary": summary}
            args.json.write_text(json.dumps(document, indent=1) + "\n")
            _log(f"raw figures written to {args.json}")
        return 0 if targets else 1
    except KeyboardInterrupt:
        _log("interrupted; stopping servers")
        return 130
    finally:
        for server in running.values():
            servers.stop(server)
        shutil.rmtree(root, ignore_errors=True)


def _meta(
    args: argparse.Namespace,
    loop_name: str,
    signer_source: str,
    signer_note: str,
    started: float,
    running: dict[str, servers.RunningServer],
    skipped: dict[str, str],
) -> dict[str, Any]:
    return {
        "started_at_unix": started,
        "duration_s": time.time() - started,
        "quick": args.quick,
        "repeat": args.repeat,
        "baseline": args.baseline,
        "python": sys.version,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "client_loop": loop_name,
        "signer": signer_source,
        "signer_note": signer_note,
        "servers": {name: {"port": s.port, "argv": s.proc.args} for name, s in running.items()},
        "skipped": skipped,
        "workloads": list(args.workloads),
    }


if __name__ == "__main__":
    sys.exit(main())
