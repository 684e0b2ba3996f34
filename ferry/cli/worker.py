"""`ferry worker`: replication workers (and the lifecycle worker, ferry/lifecycle/) for one
region, as a process of their own.

It claims tasks from the region's database alongside (or instead of) the workers inside
`ferry serve`; leases keep two processes from running the same task at once. It serves no
HTTP and never sweeps blobs (the region's `ferry serve` owns its data directory).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from ferry.cli.serve import resolve
from ferry.region import STARTUP_ERRORS, Region, build_region


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("worker", help="run replication workers for one region")
    parser.add_argument("--config", type=Path, help="the deployment's ferry.toml")
    parser.add_argument(
        "--deployment-data-dir",
        type=Path,
        help="the deployment's data directory (without --config: the embedded default)",
    )
    parser.add_argument("--region", default=None, help="the region whose tasks to work")
    parser.add_argument("--host", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, default=None, help="the region's data directory")
    parser.add_argument(
        "--database",
        default=None,
        help='without a deployment only: the region\'s database, "sqlite" or a postgresql:// URL',
    )
    parser.add_argument(
        "--control-database",
        default=None,
        help="without a deployment only: the control plane's database, as --database",
    )
    parser.add_argument(
        "--log-level", default="warning", help="debug, info, warning (default), error"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        deployment, config = resolve(args)
        # Building reads the region master key: a bad key file is a configuration error.
        region = build_region(config, deployment.root, deployment=deployment, run_workers=False)
    except STARTUP_ERRORS as exc:
        print(f"ferry worker: {exc}", flush=True)
        return 2
    print(f"ferry: replication workers for region {config.name}", flush=True)
    asyncio.run(_work(region))
    return 0


async def _work(region: Region) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    region.worker.start()
    if region.lifecycle is not None:
        region.lifecycle.start()
    try:
        await stop.wait()
    finally:
        if region.lifecycle is not None:
            await region.lifecycle.stop()
        await region.worker.stop()
        region.db.close()
        region.control_db.close()
