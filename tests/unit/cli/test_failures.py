"""`ferry failures`: arguments, credentials, region-qualified IDs, deployment-wide cursors and
summaries, tables (the HTTP side is in the live tier)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ferry.cli import admin_client, failures
from ferry.cli.admin_client import AdminClient, RegionClient
from ferry.client import Credentials
from ferry.core.secret import Secret


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
    client = admin_client.connect(args)
    try:
        auth = client._http.auth
        assert isinstance(auth, admin_client.SigV4Auth)
        assert auth._credentials.access_key == "AWSKEY"
        assert auth._credentials.region == "eu-west-1"
    finally:
        client.close()
    monkeypatch.setenv("FERRY_ROOT_ACCESS_KEY", "ROOTKEY")
    monkeypatch.setenv("FERRY_ROOT_SECRET_KEY", "root-secret")
    client = admin_client.connect(args)
    try:
        auth = client._http.auth
        assert isinstance(auth, admin_client.SigV4Auth)
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
    client = admin_client.connect(args)
    try:
        assert str(client._http.base_url).startswith("http://127.0.0.1:9101")
    finally:
        client.close()
    unknown = parse("summary", "--config", str(config), "--region", "mars-1")
    with pytest.raises(admin_client.CommandError, match="mars-1"):
        admin_client.connect(unknown)


def test_table_columns_are_aligned() -> None:
    table = admin_client.render_table(["ID", "STATE"], [["1", "FAILED"], ["12", "RETRYING"]])
    assert table.splitlines() == ["ID  STATE", "1   FAILED", "12  RETRYING"]


def test_without_endpoint_every_region_of_the_deployment_is_asked(tmp_path: Path) -> None:
    config = tmp_path / "ferry.toml"
    config.write_text(
        '[[regions]]\nname = "us-east-1"\nport = 9100\n'
        '[[regions]]\nname = "eu-west-1"\nport = 9101\n'
    )
    regions = admin_client.connect_all(parse("summary", "--config", str(config)))
    try:
        assert [(r.region, str(r.client.http.base_url)) for r in regions] == [
            ("us-east-1", "http://127.0.0.1:9100"),
            ("eu-west-1", "http://127.0.0.1:9101"),
        ]
    finally:
        for region in regions:
            region.client.close()


def test_without_any_option_ferry_toml_of_the_directory_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ferry.toml").write_text('[[regions]]\nname = "ap-south-1"\nport = 9200\n')
    monkeypatch.chdir(tmp_path)
    [region] = admin_client.connect_all(parse("summary"))
    region.client.close()
    assert region.region == "ap-south-1"


def regions_named(*names: str) -> list[RegionClient]:
    credentials = Credentials(access_key="K", secret_key=Secret("s"), region="us-east-1")
    return [RegionClient(n, AdminClient("http://127.0.0.1:1", credentials)) for n in names]


def test_failure_ids_are_qualified_by_region_and_parsed_back() -> None:
    both = regions_named("us-east-1", "eu-west-1")
    shown = failures.qualified("eu-west-1", {"id": 7, "reason": "X"})
    assert shown == {"id": "eu-west-1:7", "region": "eu-west-1", "reason": "X"}
    region, number = failures.parse_failure_id(shown["id"], both)
    assert (region.region, number) == ("eu-west-1", 7)


def test_a_bare_id_is_refused_when_several_regions_are_asked() -> None:
    with pytest.raises(admin_client.CommandError, match="REGION:7"):
        failures.parse_failure_id("7", regions_named("us-east-1", "eu-west-1"))
    region, number = failures.parse_failure_id("7", regions_named("eu-west-1"))
    assert (region.region, number) == ("eu-west-1", 7)
    with pytest.raises(admin_client.CommandError, match="no region 'mars-1'"):
        failures.parse_failure_id("mars-1:7", regions_named("eu-west-1"))


def test_deployment_cursor_names_only_the_regions_with_more_pages() -> None:
    both = regions_named("us-east-1", "eu-west-1")
    assert failures.parse_cursor(None, both) == {"us-east-1": None, "eu-west-1": None}
    assert failures.parse_cursor("eu-west-1:MTIzLjQ", both) == {"eu-west-1": "MTIzLjQ"}
    with pytest.raises(admin_client.CommandError, match="cursor"):
        failures.parse_cursor("garbage", both)


def test_summaries_sum_totals_and_keep_each_rule_s_region() -> None:
    east = {"total": {"FAILED": 2, "RETRYING": 1}, "rules": [{"rule_id": "r", "FAILED": 2}],
            "reasons": [{"reason": "A", "FAILED": 2}]}  # fmt: skip
    west = {"total": {"FAILED": 1, "RETRYING": 0}, "rules": [{"rule_id": "r", "FAILED": 1}],
            "reasons": []}  # fmt: skip
    merged = failures.merge_summaries([("us-east-1", east), ("eu-west-1", west)])
    assert merged["total"] == {"FAILED": 3, "RETRYING": 1}
    assert merged["rules"] == [
        {"region": "us-east-1", "rule_id": "r", "FAILED": 2},
        {"region": "eu-west-1", "rule_id": "r", "FAILED": 1},
    ]
    assert merged["reasons"] == [{"region": "us-east-1", "reason": "A", "FAILED": 2}]


def test_an_unreachable_region_is_named_and_the_others_still_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def ask(region: RegionClient) -> str:
        if region.region == "eu-west-1":
            raise admin_client.CommandError("cannot reach it")
        return "answer"

    answers, complete = failures.each_region(regions_named("us-east-1", "eu-west-1"), ask)
    assert (answers, complete) == ([("us-east-1", "answer")], False)
    assert "region eu-west-1: cannot reach it" in capsys.readouterr().err
