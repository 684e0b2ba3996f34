"""`ferry serve` flags → which deployment and which region this process serves."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ferry.cli import serve
from ferry.config import ConfigError


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    return parser.parse_args(["serve", *argv])


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FERRY_REGION", "FERRY_HOST", "FERRY_PORT", "FERRY_ROOT_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("FERRY_ROOT_SECRET_KEY", raising=False)


def test_without_a_deployment_one_region_is_the_whole_deployment(tmp_path: Path) -> None:
    args = parse("--region", "eu-west-1", "--port", "9100", "--data-dir", str(tmp_path / "d"))
    deployment, region = serve.resolve(args)
    assert (region.name, region.host, region.port) == ("eu-west-1", "127.0.0.1", 9100)
    assert deployment.regions == (region,)
    assert deployment.control_dir == tmp_path / "d" / "control"


def test_environment_still_sets_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FERRY_HOST", "0.0.0.0")
    monkeypatch.setenv("FERRY_PORT", "9300")
    _, region = serve.resolve(parse())
    assert (region.name, region.host, region.port) == ("us-east-1", "0.0.0.0", 9300)
    assert region.data_dir == Path("ferry-data/us-east-1")


def test_deployment_data_dir_alone_is_the_embedded_default(tmp_path: Path) -> None:
    deployment, region = serve.resolve(
        parse("--deployment-data-dir", str(tmp_path), "--region", "eu-west-1")
    )
    assert [r.name for r in deployment.regions] == ["us-east-1", "eu-west-1"]
    assert (region.port, region.data_dir) == (9001, tmp_path / "eu-west-1")
    assert deployment.control_dir == tmp_path / "control"


def test_config_names_every_region_and_data_dir_overrides_it(tmp_path: Path) -> None:
    config = tmp_path / "ferry.toml"
    config.write_text(
        "[[regions]]\nname = 'us-east-1'\nport = 9500\n"
        "[[regions]]\nname = 'eu-west-1'\nport = 9501\n"
    )
    args = parse("--config", str(config), "--deployment-data-dir", str(tmp_path / "o"))
    with pytest.raises(ConfigError, match="--region: which region"):
        serve.resolve(args)
    deployment, region = serve.resolve(
        parse("--config", str(config), "--region", "eu-west-1", "--deployment-data-dir", "/x")
    )
    assert [r.endpoint for r in deployment.regions] == [
        "http://127.0.0.1:9500",
        "http://127.0.0.1:9501",
    ]
    assert region.data_dir == Path("/x/eu-west-1")


@pytest.mark.parametrize("flag", [["--host", "0.0.0.0"], ["--port", "1"], ["--data-dir", "d"]])
def test_region_flags_conflict_with_a_deployment(tmp_path: Path, flag: list[str]) -> None:
    with pytest.raises(ConfigError, match=f"{flag[0]}: set it in the deployment"):
        serve.resolve(parse("--deployment-data-dir", str(tmp_path), "--region", "a", *flag))


def test_unknown_region_of_a_deployment_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no region named 'mars-1'"):
        serve.resolve(parse("--deployment-data-dir", str(tmp_path), "--region", "mars-1"))
