"""Batch replication benchmark (issue 5): an S3 Batch Replication job vs `rclone copy`.

    .venv/bin/python -m bench.batch [--quick] [--count N] [--json PATH] [--no-rclone]

One run starts a two-region Ferry deployment (us-east-1 → eu-west-1, one `ferry serve` process
each, Ferry's default settings), writes N objects of 4 KiB to a source bucket that has no
replication rule yet, then adds a rule and creates an S3 Batch Operations job (S3 Control
CreateJob, S3ReplicateObject, a manifest generator over the bucket: EligibleForReplication,
status NONE) through boto3 with the client-side host-prefix workaround (README). It times the
job from CreateJob to `Complete` and checks that every object is at the destination; then the
very same source objects are copied with `rclone copy` (defaults, and --transfers 16) into
fresh buckets of the destination region. Table to stdout, progress to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as `python bench/batch.py`
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
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench import rclone
from bench.deployment import (
    ACCOUNT_ID,
    DESTINATION_REGION,
    SOURCE_REGION,
    Deployment,
    ReplicationSettings,
)
from bench.drain import Backlog, backlog_keys, write_backlog
from bench.probe import Lister
from bench.replication import _loop_factory, _on_sigterm
from bench.s3client import S3Calls
from bench.signer import load_signer

KiB = 1024
SIZE = 4 * KiB
SOURCE_BUCKET, DESTINATION_BUCKET = "batch-src", "batch-dst"
PREFIX = "batch/"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/ferry-replication"  # created by deployment.replicate()
JOB_POLL_S = 0.1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.batch",
        description="Benchmark a Batch Replication job against rclone copy between two regions.",
    )
    p.add_argument("--quick", action="store_true", help="smoke run: 5,000 objects")
    p.add_argument("--count", type=int, help="objects of 4 KiB (default 100000; --quick 5000)")
    p.add_argument("--timeout", type=float, default=1800.0, help="s for the job / each rclone")
    p.add_argument(
        "--workers", type=int, help="ferry.toml [replication] workers (default: Ferry's)"
    )
    p.add_argument("--no-rclone", action="store_true", help="skip the rclone comparison")
    p.add_argument("--json", type=Path, metavar="PATH", help="write every raw figure here")
    args = p.parse_args(argv)
    if args.count is None:
        args.count = 5_000 if args.quick else 100_000
    if args.count < 1:
        p.error("--count must be at least 1")
    return args


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _strip_account_label(request: Any, **_: Any) -> None:
    """botocore puts `{AccountId}.` in front of a custom endpoint's host (S3 Control's host
    prefix): take it off, the client-side workaround the README documents."""
    account = request.headers.get("x-amz-account-id")
    account = account.decode() if isinstance(account, bytes) else account
    url = urlsplit(request.url)
    if account and url.netloc.startswith(account + "."):
        netloc = url.netloc[len(account) + 1 :]
        request.url = urlunsplit((url.scheme, netloc, url.path, url.query, url.fragment))


def control_client(deployment: Deployment) -> Any:
    import boto3
    from botocore.config import Config

    access, secret = deployment.credentials
    client = boto3.client(
        "s3control", endpoint_url=deployment.url(SOURCE_REGION), region_name=SOURCE_REGION,
        aws_access_key_id=access, aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 3}),
    )  # fmt: skip
    client.meta.events.register_first("before-sign.s3-control.*", _strip_account_label)
    return client


def create_job(control: Any) -> str:
    job = control.create_job(
        AccountId=ACCOUNT_ID, ConfirmationRequired=False, Operation={"S3ReplicateObject": {}},
        Report={"Bucket": f"arn:aws:s3:::{SOURCE_BUCKET}", "Format": "Report_CSV_20180820",
                "Enabled": True, "Prefix": "reports", "ReportScope": "FailedTasksOnly"},
        ClientRequestToken=f"bench-{time.time_ns()}", Priority=10, RoleArn=ROLE,
        ManifestGenerator={"S3JobManifestGenerator": {
            "SourceBucket": f"arn:aws:s3:::{SOURCE_BUCKET}", "EnableManifestOutput": False,
            "Filter": {"EligibleForReplication": True, "ObjectReplicationStatuses": ["NONE"],
                       "KeyNameConstraint": {"MatchAnyPrefix": [PREFIX]}},
        }},
    )  # fmt: skip
    return str(job["JobId"])


async def run_job(control: Any, timeout_s: float) -> dict[str, Any]:
    """CreateJob → Complete (or another end state), with when each status was first seen."""
    started = time.perf_counter()
    job_id = await asyncio.to_thread(create_job, control)
    seen: dict[str, float] = {}
    job: dict[str, Any] = {}
    while time.perf_counter() - started < timeout_s:
        job = (await asyncio.to_thread(control.describe_job, AccountId=ACCOUNT_ID, JobId=job_id))[
            "Job"
        ]
        seen.setdefault(job["Status"], time.perf_counter() - started)
        if job["Status"] in ("Complete", "Failed", "Cancelled"):
            break
        await asyncio.sleep(JOB_POLL_S)
    elapsed = time.perf_counter() - started
    summary = job.get("ProgressSummary", {})
    return {
        "job_id": job_id,
        "status": job.get("Status"),
        "elapsed_s": elapsed,
        "status_first_seen_s": seen,
        "tasks": summary.get("TotalNumberOfTasks"),
        "succeeded": summary.get("NumberOfTasksSucceeded"),
        "failed": summary.get("NumberOfTasksFailed"),
        "timed_out": job.get("Status") not in ("Complete", "Failed", "Cancelled"),
    }


async def _run(args: argparse.Namespace, deployment: Deployment, doc: dict[str, Any]) -> None:
    info = None if args.no_rclone else await rclone.check_rclone()
    _log(f"starting {SOURCE_REGION} and {DESTINATION_REGION} in {deployment.root}")
    await deployment.start()
    deployment.create_bucket(SOURCE_REGION, SOURCE_BUCKET)
    deployment.create_bucket(DESTINATION_REGION, DESTINATION_BUCKET)
    signer = load_signer()
    east = S3Calls(deployment.endpoint(SOURCE_REGION), signer.sign)
    lister = Lister(deployment.endpoint(DESTINATION_REGION), signer.sign)
    try:
        backlog = Backlog(
            label="batch", prefix=PREFIX, count=args.count, size=SIZE, concurrency=16,
            op_timeout_s=10.0, write_budget_s=args.timeout,
        )  # fmt: skip
        _log(f"writing {args.count} objects of 4 KiB (no replication rule yet)")
        written = await write_backlog(backlog, east, SOURCE_BUCKET, os.urandom(SIZE))
        keys = set(backlog_keys(backlog, written))
        doc["written"] = {"objects": len(keys), "elapsed_s": written.elapsed_s}
        _log(f"{len(keys)} written in {written.elapsed_s:.1f} s; adding the rule, creating the job")
        deployment.replicate(SOURCE_BUCKET, DESTINATION_BUCKET)
        doc["meta"]["loadavg_1m"]["job"] = round(os.getloadavg()[0], 2)
        job = await run_job(control_client(deployment), args.timeout)
        arrived = await lister.keys(DESTINATION_BUCKET, PREFIX)
        job["arrived"] = len(keys & arrived)
        job["objects_per_s"] = job["arrived"] / job["elapsed_s"]
        doc["job"] = job
        _log(
            f"job {job['status']} in {job['elapsed_s']:.1f} s: {job['succeeded']} succeeded, "
            f"{job['failed']} failed, {job['arrived']}/{len(keys)} at the destination"
        )
        doc["rclone"] = [] if info is None else await _rclone_runs(args, info, deployment, lister)
    finally:
        await lister.aclose()


async def _rclone_runs(
    args: argparse.Namespace, info: rclone.RcloneInfo, deployment: Deployment, lister: Lister
) -> list[dict[str, Any]]:
    env = {
        **rclone.remote_env("east", deployment.endpoint(SOURCE_REGION)),
        **rclone.remote_env("west", deployment.endpoint(DESTINATION_REGION)),
    }
    runs = []
    for name, flags, transfers in (
        ("defaults", [], info.default_transfers),
        ("transfers16", ["--transfers", "16"], 16),
    ):
        bucket = f"rclone-batch-{name}"
        deployment.create_bucket(DESTINATION_REGION, bucket)
        doc_load = round(os.getloadavg()[0], 2)
        _log(f"rclone copy → {bucket} {' '.join(flags)}")
        run = await rclone.copy(
            info, source=f"east:{SOURCE_BUCKET}/{PREFIX.rstrip('/')}",
            destination=f"west:{bucket}", extra_flags=flags, env=env,
            workdir=deployment.root, timeout_s=args.timeout,
        )  # fmt: skip
        copied = len(await lister.keys(bucket))
        run.update(name=name, transfers=transfers, copied=copied, loadavg_1m=doc_load,
                   objects_per_s=copied / run["elapsed_s"])  # fmt: skip
        _log(f"rclone {name}: {run['elapsed_s']:.1f} s, {copied} copied")
        runs.append(run)
    return runs


def render(doc: dict[str, Any]) -> str:
    m, job = doc["meta"], doc.get("job") or {}
    lines = [
        f"Ferry batch replication benchmark: us-east-1 → {DESTINATION_REGION}, "
        f"{doc['written']['objects']:,} x 4 KiB, one `ferry serve` per region on "
        f"{m['cpu_count']} cores; run took {m.get('duration_s', 0):.0f} s",
        "1-minute load average: " + ", ".join(f"{k} {v:g}" for k, v in m["loadavg_1m"].items()),
        "",
        "run                 time s    obj/s  done     ratio (time / job time)",
        "------------------  ------  -------  -------  -----------------------",
    ]
    job_s = job.get("elapsed_s")
    lines.append(
        f"{'ferry batch job':<18}  {job_s:6.1f}  {job['objects_per_s']:7.0f}  "
        f"{job['arrived']:<7}  1.00 (status {job['status']}, {job['failed']} failed)"
    )
    for run in doc.get("rclone", []):
        ratio = run["elapsed_s"] / job_s if job_s else float("nan")
        lines.append(
            f"{'rclone ' + run['name']:<18}  {run['elapsed_s']:6.1f}  {run['objects_per_s']:7.0f}"
            f"  {run['copied']:<7}  {ratio:.2f} (exit {run['exit_code']})"
        )
    if doc.get("rclone"):
        met = all(job_s is not None and job_s <= r["elapsed_s"] for r in doc["rclone"])
        lines.append(
            f"target (the job at least as fast as every rclone run): {'met' if met else 'NOT met'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    root = Path(tempfile.mkdtemp(prefix="ferry-batch-bench-"))
    deployment = Deployment(root=root, settings=ReplicationSettings(workers=args.workers))
    doc: dict[str, Any] = {
        "meta": {
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "python": sys.version, "platform": platform.platform(), "cpu_count": os.cpu_count(),
            "loadavg_1m": {"start": round(os.getloadavg()[0], 2)},
        },
    }  # fmt: skip
    started = time.time()
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(_run(args, deployment, doc))
        doc["meta"]["duration_s"] = time.time() - started
        print(render(doc))
        if args.json is not None:
            args.json.write_text(json.dumps(doc, indent=1) + "\n")
            _log(f"raw figures written to {args.json}")
        return 0
    except rclone.RcloneMissing as exc:
        _log(f"error: {exc}")
        return 2
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
