"""`ferry verify` benchmark (issue 13): versions/s of `ferry verify --bucket SRC --json` over a
replicated bucket, side by side with `rclone check` of the same two buckets.

    .venv/bin/python -m bench.verify [--versions N] [--repeat K] [--no-rclone] [--json PATH]

One run starts a two-region Ferry deployment (us-east-1 → eu-west-1, `bench/deployment.py`),
creates versioned `verify-src` with a V2 rule to versioned `verify-dst`, PUTs N objects of
64 bytes at concurrency 16 with the bench's lean client, and waits until replication has put
every one at the destination (ListObjectsV2 of the destination). Then, K times in turn:
`ferry verify --config ferry.toml --bucket verify-src --json` as a subprocess (timed, its peak
RSS from wait4's rusage, its JSON checked: every version agrees) and `rclone check
east:verify-src west:verify-dst` (timed, exit 0 = rclone agrees). Table to stdout, progress to
stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as `python bench/verify.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from typing import Any

from bench import rclone
from bench.deployment import DESTINATION_REGION, SOURCE_REGION, Deployment, ReplicationSettings
from bench.drain import Backlog, write_backlog
from bench.probe import Lister
from bench.replication import _loop_factory, _on_sigterm
from bench.s3client import S3Calls
from bench.servers import REPO_ROOT
from bench.signer import load_signer

SIZE = 64
SOURCE_BUCKET, DESTINATION_BUCKET = "verify-src", "verify-dst"
PREFIX = "v/"
GOAL_VERSIONS_PER_S = 5000.0
DRAIN_POLL_S = 3.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.verify",
        description="Benchmark `ferry verify` against `rclone check` over a replicated bucket.",
    )
    p.add_argument("--versions", type=int, default=100_000, help="objects (default 100000)")
    p.add_argument("--repeat", type=int, default=1, help="timed runs of each (default 1)")
    p.add_argument("--timeout", type=float, default=1800.0, help="s for writes, drain, each run")
    p.add_argument("--no-rclone", action="store_true", help="skip the rclone comparison")
    p.add_argument(
        "--profile", type=Path, metavar="PATH", help="also run verify once under cProfile"
    )
    p.add_argument(
        "--baseline-src", type=Path, metavar="DIR",
        help="also time `ferry verify` from this checkout (e.g. a worktree of the commit "
        "before a change), interleaved with this one's: before/after in the same run",
    )  # fmt: skip
    p.add_argument("--json", type=Path, metavar="PATH", help="write every raw figure here")
    args = p.parse_args(argv)
    if args.versions < 1 or args.repeat < 1:
        p.error("--versions and --repeat must be at least 1")
    return args


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def timed_process(
    argv: list[str], *, cwd: Path, env: dict[str, str], timeout_s: float
) -> dict[str, Any]:
    """Run argv, return exit code, wall time, peak RSS (wait4's ru_maxrss) and its output."""
    out_path, err_path = cwd / "run.out", cwd / "run.err"
    started = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        deadline = started + timeout_s
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.01)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "argv": argv,
        "exit_code": proc.returncode,
        "elapsed_s": elapsed,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "stdout": out_path.read_text(errors="replace"),
        "stderr_tail": err_path.read_text(errors="replace")[-2000:],
    }


def run_verify(
    deployment: Deployment,
    timeout_s: float,
    profile: Path | None = None,
    src: Path = REPO_ROOT,
) -> dict[str, Any]:
    """`ferry verify` of the checkout `src` (its package first on PYTHONPATH, `-m ferry`)."""
    argv = [sys.executable, "-m", "ferry"]
    if profile is not None:
        argv = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "ferry"]
    argv += ["verify", "--config", str(deployment.config_path), "--bucket", SOURCE_BUCKET,
             "--json"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERRY_", "AWS_"))}
    env["PYTHONPATH"] = str(src)
    run = timed_process(argv, cwd=deployment.root, env=env, timeout_s=timeout_s)
    try:
        report = json.loads(run.pop("stdout"))
    except ValueError:
        report = {}
    run.update(
        agree=bool(report.get("agree")) and run["exit_code"] == 0,
        source_versions=report.get("source_versions"),
        keys=report.get("keys"),
        differences=report.get("differences"),
    )
    run["versions_per_s"] = (run["source_versions"] or 0) / run["elapsed_s"]
    return run


def run_rclone_check(
    info: rclone.RcloneInfo, deployment: Deployment, timeout_s: float
) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RCLONE_", "AWS_"))}
    env.update(rclone.remote_env("east", deployment.endpoint(SOURCE_REGION)))
    env.update(rclone.remote_env("west", deployment.endpoint(DESTINATION_REGION)))
    env["RCLONE_CONFIG"] = str(deployment.root / "rclone.conf")  # does not exist
    argv = [info.path, "check", f"east:{SOURCE_BUCKET}", f"west:{DESTINATION_BUCKET}"]
    run = timed_process(argv, cwd=deployment.root, env=env, timeout_s=timeout_s)
    run.pop("stdout")
    run["agree"] = run["exit_code"] == 0
    return run


async def populate(args: argparse.Namespace, deployment: Deployment, doc: dict[str, Any]) -> None:
    deployment.create_bucket(SOURCE_REGION, SOURCE_BUCKET)
    deployment.create_bucket(DESTINATION_REGION, DESTINATION_BUCKET)
    deployment.replicate(SOURCE_BUCKET, DESTINATION_BUCKET)
    signer = load_signer()
    east = S3Calls(deployment.endpoint(SOURCE_REGION), signer.sign)
    lister = Lister(deployment.endpoint(DESTINATION_REGION), signer.sign)
    try:
        backlog = Backlog(
            label="verify", prefix=PREFIX, count=args.versions, size=SIZE,
            concurrency=16, op_timeout_s=10.0, write_budget_s=args.timeout,
        )  # fmt: skip
        _log(f"writing {args.versions} objects of {SIZE} B to {SOURCE_BUCKET} (c16)")
        written = await write_backlog(backlog, east, SOURCE_BUCKET, os.urandom(SIZE))
        doc["written"] = {"objects": len(written.ok_indices), "elapsed_s": written.elapsed_s,
                          "errors": written.errors}  # fmt: skip
        _log(
            f"{len(written.ok_indices)} written in {written.elapsed_s:.1f} s; "
            "waiting for replication"
        )
        started = time.perf_counter()
        arrived = 0
        while time.perf_counter() - started < args.timeout:
            arrived = len(await lister.keys(DESTINATION_BUCKET, PREFIX))
            if arrived >= len(written.ok_indices):
                break
            _log(f"  {arrived} at the destination after {time.perf_counter() - started:.0f} s")
            await asyncio.sleep(DRAIN_POLL_S)
        doc["drain"] = {"arrived": arrived, "elapsed_s": time.perf_counter() - started}
        _log(f"{arrived} replicated; drain took {doc['drain']['elapsed_s']:.1f} s")
    finally:
        await lister.aclose()


def render(doc: dict[str, Any]) -> str:
    m = doc["meta"]
    lines = [
        f"ferry verify benchmark: {doc['written']['objects']:,} versions of {SIZE} B in "
        f"{SOURCE_BUCKET} (us-east-1) replicated to {DESTINATION_BUCKET} ({DESTINATION_REGION}), "
        f"{m['cpu_count']} cores, load average at start {m['loadavg_1m']}",
        "",
        "run            repeat  wall s  versions/s  CPU s  peak RSS MB  agree",
        "-------------  ------  ------  ----------  -----  -----------  -----",
    ]
    for i, b in enumerate(doc["baseline"]):
        lines.append(
            f"{'verify (base)':<13}  {i + 1:>6}  {b['elapsed_s']:6.2f}  {b['versions_per_s']:10.0f}"
            f"  {b['cpu_s']:5.2f}  {b['peak_rss_mb']:11.1f}  {b['agree']}"
        )
    rclone_runs = doc["rclone"] or [None] * len(doc["verify"])
    for i, (v, r) in enumerate(zip(doc["verify"], rclone_runs, strict=True)):
        lines.append(
            f"{'ferry verify':<13}  {i + 1:>6}  {v['elapsed_s']:6.2f}  {v['versions_per_s']:10.0f}"
            f"  {v['cpu_s']:5.2f}  {v['peak_rss_mb']:11.1f}  {v['agree']}"
        )
        if r is not None:
            rate = doc["written"]["objects"] / r["elapsed_s"]
            lines.append(
                f"{'rclone check':<13}  {i + 1:>6}  {r['elapsed_s']:6.2f}  {rate:10.0f}"
                f"  {r['cpu_s']:5.2f}  {r['peak_rss_mb']:11.1f}  {r['agree']}"
            )
    med = statistics.median(v["versions_per_s"] for v in doc["verify"])
    lines.append("")
    if doc["rclone"]:
        ratio = statistics.median(
            r["elapsed_s"] / v["elapsed_s"]
            for v, r in zip(doc["verify"], doc["rclone"], strict=True)
        )
        lines.append(f"rclone time / ferry verify time (median): {ratio:.2f} (> 1: verify faster)")
    else:
        lines.append(f"rclone check: skipped ({doc.get('rclone_skipped', 'not asked')})")
    if doc["baseline"]:
        base = statistics.median(b["versions_per_s"] for b in doc["baseline"])
        lines.append(f"ferry verify / baseline versions/s (medians): {med / base:.2f}")
    verdict = "met" if med >= GOAL_VERSIONS_PER_S else "NOT met"
    lines.append(f"ferry verify median {med:.0f} versions/s; goal >= 5,000 versions/s: {verdict}")
    return "\n".join(lines)


async def _run(args: argparse.Namespace, deployment: Deployment, doc: dict[str, Any]) -> None:
    info = None
    if not args.no_rclone:
        try:
            info = await rclone.check_rclone()
            doc["meta"]["rclone"] = info.version
        except rclone.RcloneMissing as exc:
            doc["rclone_skipped"] = "rclone not installed"
            _log(f"skipping rclone check: {exc}")
    _log(f"starting {SOURCE_REGION} and {DESTINATION_REGION} in {deployment.root}")
    await deployment.start()
    await populate(args, deployment, doc)
    doc["verify"], doc["rclone"], doc["baseline"] = [], [], []
    for repeat in range(args.repeat):
        if args.baseline_src is not None:
            _log(f"repeat {repeat + 1}: ferry verify of {args.baseline_src} (baseline)")
            b = await asyncio.to_thread(
                run_verify, deployment, args.timeout, None, args.baseline_src
            )
            _log(f"  {b['elapsed_s']:.2f} s, {b['versions_per_s']:.0f} versions/s, "
                 f"agree={b['agree']}")  # fmt: skip
            doc["baseline"].append(b)
        _log(f"repeat {repeat + 1}: ferry verify")
        v = await asyncio.to_thread(run_verify, deployment, args.timeout)
        _log(f"  {v['elapsed_s']:.2f} s, {v['versions_per_s']:.0f} versions/s, agree={v['agree']}")
        doc["verify"].append(v)
        if info is not None:
            _log(f"repeat {repeat + 1}: rclone check")
            r = await asyncio.to_thread(run_rclone_check, info, deployment, args.timeout)
            _log(f"  {r['elapsed_s']:.2f} s, agree={r['agree']}")
            doc["rclone"].append(r)
    if args.profile is not None:
        _log(f"profiling ferry verify into {args.profile}")
        doc["profiled"] = await asyncio.to_thread(
            run_verify, deployment, args.timeout, args.profile
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    root = Path(tempfile.mkdtemp(prefix="ferry-verify-bench-"))
    deployment = Deployment(root=root, settings=ReplicationSettings())
    doc: dict[str, Any] = {
        "meta": {
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "python": sys.version, "platform": platform.platform(), "cpu_count": os.cpu_count(),
            "loadavg_1m": round(os.getloadavg()[0], 2),
        },
    }  # fmt: skip
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(_run(args, deployment, doc))
        print(render(doc))
        if args.json is not None:
            args.json.write_text(json.dumps(doc, indent=1) + "\n")
        ok = all(v["agree"] for v in doc["verify"] + doc["baseline"]) and all(
            r["agree"] for r in doc["rclone"]
        )
        return 0 if ok else 1
    except KeyboardInterrupt:
        _log("interrupted; stopping regions")
        return 130
    except RuntimeError as exc:
        _log(f"error: {exc}")
        return 1
    finally:
        deployment.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
