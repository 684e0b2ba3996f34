"""`ferry serve`: run one region in this process.

Three ways to say which region, and so which deployment it belongs to:
- `--config FILE --region NAME`: a region of the deployment that `ferry.toml` describes;
- `--deployment-data-dir DIR --region NAME`: a region of the embedded default deployment
  (us-east-1 and eu-west-1) with its data under DIR (with `--config`: overrides the file's
  `data_dir`);
- neither: `--region R --host H --port P --data-dir DIR`, a deployment of one region whose
  control plane lives in `DIR/control/` (the stable interface scripts and benchmarks use).
Root credentials come from the file's `[root]` table, overridden by `FERRY_ROOT_*`.
The region master key file: the region's `master_key_file`, overridden by
`FERRY_MASTER_KEY_FILE`; neither: `<data dir>/master.key`, generated on first start.
"""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import replace
from pathlib import Path

import uvicorn

from ferry.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_HOST,
    SQLITE_DATABASE,
    ConfigError,
    DeploymentConfig,
    RegionConfig,
    default_deployment,
    load_deployment,
    one_region_deployment,
    root_credentials_from_env,
    with_master_key_from_env,
)
from ferry.core.tls import check_server_files
from ferry.region import STARTUP_ERRORS, build_region

DEFAULT_REGION = "us-east-1"
DEFAULT_PORT = 9000


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("serve", help="run one region")
    parser.add_argument("--config", type=Path, help="the deployment's ferry.toml")
    parser.add_argument(
        "--deployment-data-dir",
        type=Path,
        help="the deployment's data directory (without --config: the embedded default)",
    )
    parser.add_argument(
        "--region",
        default=os.environ.get("FERRY_REGION"),
        help=f"the region to serve (default $FERRY_REGION, else {DEFAULT_REGION} alone)",
    )
    parser.add_argument("--host", default=None, help="without a deployment only")
    parser.add_argument("--port", type=int, default=None, help="without a deployment only")
    parser.add_argument("--data-dir", type=Path, default=None, help="default ./ferry-data/REGION")
    parser.add_argument(
        "--database",
        default=None,
        help='without a deployment only: "sqlite" (default) or a postgresql:// URL',
    )
    parser.add_argument(
        "--control-database",
        default=None,
        help="without a deployment only: the control plane's database, as --database",
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("FERRY_LOG_LEVEL", "warning"),
        help="debug, info, warning (default, or $FERRY_LOG_LEVEL), error",
    )
    parser.add_argument(
        "--no-banner", action="store_true", help="don't print the credentials banner"
    )
    parser.add_argument(
        "--no-workers",
        action="store_true",
        help="serve S3 only; replication runs in separate `ferry worker` processes",
    )
    parser.add_argument(
        "--migrate",
        action="store_true",
        help="apply pending migrations to PostgreSQL databases first (SQLite always migrates)",
    )
    parser.add_argument(
        "--no-trail",
        action="store_true",
        help="keep no audit trail (as [trail] enabled = false; access logs still delivered)",
    )
    parser.set_defaults(run=run)


def resolve(args: argparse.Namespace) -> tuple[DeploymentConfig, RegionConfig]:
    """The deployment and the region this process serves, from flags and environment."""
    deployment, region = _resolve_region(args)
    if getattr(args, "no_trail", False):
        deployment = replace(deployment, trail=replace(deployment.trail, enabled=False))
    return deployment, with_master_key_from_env(region)


def _resolve_region(args: argparse.Namespace) -> tuple[DeploymentConfig, RegionConfig]:
    if args.config is None and args.deployment_data_dir is None:
        name = args.region or DEFAULT_REGION
        region = RegionConfig(
            name=name,
            host=args.host or os.environ.get("FERRY_HOST", DEFAULT_HOST),
            port=args.port or int(os.environ.get("FERRY_PORT", str(DEFAULT_PORT))),
            data_dir=args.data_dir or DEFAULT_DATA_DIR / name,
            database=args.database or SQLITE_DATABASE,
        )
        deployment = one_region_deployment(region, root_credentials_from_env())
        if args.control_database:
            deployment = replace(deployment, control_database=args.control_database)
        return deployment, region
    for flag, value in (
        ("--host", args.host),
        ("--port", args.port),
        ("--data-dir", args.data_dir),
        ("--database", args.database),
        ("--control-database", args.control_database),
    ):
        if value is not None:
            raise ConfigError(f"{flag}: set it in the deployment's ferry.toml instead")
    if args.config is not None:
        deployment = load_deployment(args.config, data_dir=args.deployment_data_dir)
    else:
        deployment = default_deployment(args.deployment_data_dir)
    if args.region is None:
        if len(deployment.regions) != 1:
            names = ", ".join(r.name for r in deployment.regions)
            raise ConfigError(f"--region: which region of the deployment? ({names})")
        return deployment, deployment.regions[0]
    return deployment, deployment.region(args.region)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        deployment, config = resolve(args)
        if config.tls_cert is not None and config.tls_key is not None:
            check_server_files(config.tls_cert, config.tls_key)
        root = deployment.root
        # Building reads the region master key: a bad key file is a configuration error.
        region = build_region(
            config,
            root,
            deployment=deployment,
            run_workers=not args.no_workers,
            migrate=args.migrate,
        )
    except STARTUP_ERRORS as exc:
        print(f"ferry serve: {exc}", flush=True)
        return 2
    print(
        f"ferry: region {config.name} serving {config.endpoint} (data in {config.data_dir})",
        flush=True,
    )
    if region.console is not None:
        print(f"ferry: console at {config.endpoint}/_console/", flush=True)
    if root.defaulted and not args.no_banner:
        print(
            f"ferry: default root credentials: access key {root.access_key} "
            f"secret key {root.secret_key.reveal()} "
            "(set FERRY_ROOT_ACCESS_KEY / FERRY_ROOT_SECRET_KEY to choose your own)",
            flush=True,
        )
    server = uvicorn.Server(
        uvicorn.Config(
            region.served,
            host=config.host,
            port=config.port,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            access_log=False,
            log_level=args.log_level,
            timeout_keep_alive=30,
            # Policies judge aws:SourceIp and aws:SecureTransport: a client must not be able
            # to choose them with X-Forwarded-* headers (uvicorn trusts 127.0.0.1 by default).
            proxy_headers=False,
            server_header=False,
            date_header=True,
            ssl_certfile=str(config.tls_cert) if config.tls_cert else None,
            ssl_keyfile=str(config.tls_key) if config.tls_key else None,
        )
    )
    server.run()
    return 0
