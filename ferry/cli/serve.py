"""`ferry serve`: run one region in this process."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import uvicorn

from ferry.config import ConfigError, RegionConfig, root_credentials_from_env
from ferry.region import build_region


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("serve", help="run one region")
    parser.add_argument("--region", default=os.environ.get("FERRY_REGION", "us-east-1"))
    parser.add_argument("--host", default=os.environ.get("FERRY_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("FERRY_PORT", "9000")))
    parser.add_argument("--data-dir", type=Path, default=None, help="default ./ferry-data/REGION")
    parser.add_argument("--log-level", default=os.environ.get("FERRY_LOG_LEVEL", "warning"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        root = root_credentials_from_env()
    except ConfigError as exc:
        print(f"ferry serve: {exc}")
        return 2
    data_dir = args.data_dir or Path("ferry-data") / args.region
    config = RegionConfig(name=args.region, host=args.host, port=args.port, data_dir=data_dir)
    region = build_region(config, root)
    print(f"ferry: region {config.name} serving {config.endpoint} (data in {data_dir})", flush=True)
    if root.defaulted:
        print(
            f"ferry: default root credentials: access key {root.access_key} "
            f"secret key {root.secret_key.reveal()} "
            "(set FERRY_ROOT_ACCESS_KEY / FERRY_ROOT_SECRET_KEY to choose your own)",
            flush=True,
        )
    server = uvicorn.Server(
        uvicorn.Config(
            region.app,
            host=config.host,
            port=config.port,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            access_log=False,
            log_level=args.log_level,
            timeout_keep_alive=30,
            server_header=False,
            date_header=True,
        )
    )
    server.run()
    return 0
