"""Which deployment a command means: `--config FILE`, else `./ferry.toml` when it exists, else
the embedded default (us-east-1 and eu-west-1 on 127.0.0.1, data in `./ferry-data/`).

`ferry up`, `status`, `down` and `failures` all resolve it the same way, so the commands a
newcomer types in one directory talk to the deployment `ferry up` started there.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ferry.config import (
    DEFAULT_DATA_DIR,
    ConfigError,
    DeploymentConfig,
    default_deployment,
    load_deployment,
)

DEFAULT_CONFIG_FILE = Path("ferry.toml")


def add_deployment_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        help=f"the deployment's ferry.toml (default: ./{DEFAULT_CONFIG_FILE} if it exists, "
        "else the embedded default)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"the deployment's data directory (default: the file's, or ./{DEFAULT_DATA_DIR})",
    )


def config_file(config: Path | None) -> Path | None:
    """The ferry.toml in use: the one given, else ./ferry.toml if present; None: built in."""
    if config is not None:
        return config
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def resolve_deployment(config: Path | None, data_dir: Path | None = None) -> DeploymentConfig:
    """Raises ConfigError (naming file and key) for a file that is unreadable or wrong."""
    path = config_file(config)
    if path is not None:
        return load_deployment(path, data_dir=data_dir)
    return default_deployment(data_dir or DEFAULT_DATA_DIR)


def add_deployment_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    act: Callable[[DeploymentConfig], int],
) -> None:
    """A command over a whole deployment (`ferry status`, `ferry down`): the deployment options,
    and exit status 2 with `ferry NAME: <problem>` when the deployment cannot be resolved."""

    def run(args: argparse.Namespace) -> int:
        try:
            deployment = resolve_deployment(args.config, args.data_dir)
        except ConfigError as exc:
            print(f"ferry {name}: {exc}", file=sys.stderr, flush=True)
            return 2
        return act(deployment)

    parser = commands.add_parser(name, help=help_text)
    add_deployment_options(parser)
    parser.set_defaults(run=run)
