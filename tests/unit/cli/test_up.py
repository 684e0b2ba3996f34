"""`ferry up`: what each region process is told, and what the operator is shown."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ferry.cli import up
from ferry.cli.supervisor import RegionProcess, Supervisor, health_url
from ferry.config import RegionConfig, default_deployment


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    up.add_parser(parser.add_subparsers())
    return parser.parse_args(["up", *argv])


def test_embedded_default_regions_get_the_deployment_data_dir(tmp_path: Path) -> None:
    argv = up.region_argv(parse("--data-dir", str(tmp_path)), "eu-west-1")
    assert argv[:4] == [sys.executable, "-m", "ferry", "serve"]
    assert argv[argv.index("--region") + 1] == "eu-west-1"
    assert argv[argv.index("--deployment-data-dir") + 1] == str(tmp_path.resolve())
    assert "--config" not in argv


def test_without_flags_the_default_data_dir_is_made_absolute() -> None:
    argv = up.region_argv(parse(), "us-east-1")
    assert argv[argv.index("--deployment-data-dir") + 1] == str(Path("ferry-data").resolve())


def test_config_is_passed_as_an_absolute_path(tmp_path: Path) -> None:
    argv = up.region_argv(parse("--config", "ferry.toml"), "us-east-1")
    assert argv[argv.index("--config") + 1] == str(Path("ferry.toml").resolve())
    assert "--deployment-data-dir" not in argv


def test_banner_shows_endpoints_credentials_and_an_aws_example(tmp_path: Path) -> None:
    deployment = default_deployment(tmp_path, environ={})
    supervisor = Supervisor(
        [RegionProcess(region=r, argv=[]) for r in deployment.regions], tmp_path / "run"
    )
    text = up.banner(deployment, supervisor)
    assert "http://127.0.0.1:9000" in text and "http://127.0.0.1:9001" in text
    assert "ferry-root-secret-key-change-me" in text
    assert "aws --endpoint-url http://127.0.0.1:9001 --region eu-west-1" in text
    assert "http://127.0.0.1:9000/_console/" in text and "http://127.0.0.1:9001/_console/" in text


def test_health_is_checked_on_the_listening_address() -> None:
    assert health_url(RegionConfig(name="a", host="0.0.0.0", port=9)) == (
        "http://127.0.0.1:9/_ferry/health"
    )
    assert health_url(RegionConfig(name="a", host="::", port=9)) == "http://[::1]:9/_ferry/health"
