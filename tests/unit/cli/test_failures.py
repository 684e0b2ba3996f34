"""`ferry failures`: arguments, credentials, tables (the HTTP side is in the live tier)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ferry.cli import failures


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ferry")
    failures.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["failures", *argv])


def test_filters_become_query_parameters() -> None:
    args = parse("list", "--rule", "r1", "--state", "FAILED", "--since", "2026-01-01T00:00:00Z")
    assert failures._filters(args) == {
        "rule": "r1",
        "state": "FAILED",
        "since": "2026-01-01T00:00:00Z",
    }


def test_purge_without_a_filter_is_refused_before_any_request(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = parse("purge", "--endpoint", "http://127.0.0.1:1", "--region", "us-east-1")
    assert args.run(args) == 1
    assert "needs a filter" in capsys.readouterr().err


def test_credentials_come_from_ferry_root_then_aws_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("FERRY_ROOT_ACCESS_KEY", "FERRY_ROOT_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AWSKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    args = parse("summary", "--endpoint", "http://127.0.0.1:1", "--region", "eu-west-1")
    client = failures.connect(args)
    try:
        auth = client._http.auth
        assert isinstance(auth, failures.SigV4Auth)
        assert auth._credentials.access_key == "AWSKEY"
        assert auth._credentials.region == "eu-west-1"
    finally:
        client.close()
    monkeypatch.setenv("FERRY_ROOT_ACCESS_KEY", "ROOTKEY")
    monkeypatch.setenv("FERRY_ROOT_SECRET_KEY", "root-secret")
    client = failures.connect(args)
    try:
        auth = client._http.auth
        assert isinstance(auth, failures.SigV4Auth)
        assert auth._credentials.access_key == "ROOTKEY"
    finally:
        client.close()


def test_config_names_the_endpoint_and_credentials(tmp_path: Path) -> None:
    config = tmp_path / "ferry.toml"
    config.write_text(
        '[root]\naccess_key = "FILEKEY"\nsecret_key = "file-secret"\n'
        '[[regions]]\nname = "us-east-1"\nport = 9100\n'
        '[[regions]]\nname = "eu-west-1"\nport = 9101\n'
    )
    args = parse("summary", "--config", str(config), "--region", "eu-west-1")
    client = failures.connect(args)
    try:
        assert str(client._http.base_url).startswith("http://127.0.0.1:9101")
    finally:
        client.close()
    unknown = parse("summary", "--config", str(config), "--region", "mars-1")
    with pytest.raises(failures.CommandError, match="mars-1"):
        failures.connect(unknown)


def test_table_columns_are_aligned() -> None:
    table = failures.render_table(["ID", "STATE"], [["1", "FAILED"], ["12", "RETRYING"]])
    assert table.splitlines() == ["ID  STATE", "1   FAILED", "12  RETRYING"]
