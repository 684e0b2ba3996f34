"""`ferry failures` against a real two-region deployment: a replication that fails for good
shows up in `list` (JSON and table), `summary` and `show`, and `purge` removes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.live.replication_support import (
    Deployment,
    replicate,
    status,
    v2_rule,
    versioned_bucket,
    wait_for,
)
from tests.live.server import ACCESS_KEY, SECRET_KEY

EAST, WEST = "us-east-1", "eu-west-1"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    running = Deployment(root=tmp_path_factory.mktemp("failures")).start()
    yield running
    running.stop()


def ferry(*args: str, env: dict[str, str] | None = None) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FERRY_ROOT_"))}
    result = subprocess.run(
        [sys.executable, "-m", "ferry", "failures", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def failed_version(deployment: Deployment) -> str:
    east, west = deployment.client(EAST), deployment.client(WEST)
    versioned_bucket(east, "cli-src", EAST)
    versioned_bucket(west, "cli-dst", WEST)
    replicate(east, "cli-src", v2_rule("cli-dst", rule_id="to-west"))
    west.put_bucket_versioning(Bucket="cli-dst", VersioningConfiguration={"Status": "Suspended"})
    version_id: str = east.put_object(Bucket="cli-src", Key="doomed", Body=b"x")["VersionId"]
    wait_for(lambda: status(east, "cli-src", "doomed") == "FAILED", what="doomed FAILED")
    return version_id


def test_list_json_names_the_failure(deployment: Deployment, failed_version: str) -> None:
    config = ["--config", str(deployment.config_path), "--region", EAST]
    page: dict[str, Any] = json.loads(ferry("list", "--json", "--state", "FAILED", *config))
    [failure] = page["failures"]
    assert failure["version_id"] == failed_version
    assert failure["reason"] == "DstBucketUnversioned"
    assert (failure["rule_id"], failure["destination_region"]) == ("to-west", WEST)
    assert page["next_cursor"] is None
    shown = json.loads(ferry("show", str(failure["id"]), "--json", *config))
    assert shown == failure


def test_human_tables_with_endpoint_and_env_credentials(
    deployment: Deployment, failed_version: str
) -> None:
    env = {"FERRY_ROOT_ACCESS_KEY": ACCESS_KEY, "FERRY_ROOT_SECRET_KEY": SECRET_KEY}
    endpoint = ["--endpoint", deployment.endpoint(EAST)]
    table = ferry("list", "--rule", "to-west", *endpoint, env=env).splitlines()
    assert table[0].split()[:4] == ["ID", "STATE", "REASON", "RULE"]
    assert "DstBucketUnversioned" in table[1] and "cli-src/doomed" in table[1]
    assert f"cli-dst ({WEST})" in table[1] and failed_version in table[1]
    summary = ferry("summary", *endpoint, env=env)
    assert "to-west" in summary and "DstBucketUnversioned" in summary
    other = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    assert ferry("list", "--bucket", "nothing-here", *endpoint, env=other).strip() == "no failures"


def test_without_region_every_region_is_listed_with_qualified_ids(
    deployment: Deployment, failed_version: str
) -> None:
    config = ["--config", str(deployment.config_path)]
    page: dict[str, Any] = json.loads(ferry("list", "--json", "--state", "FAILED", *config))
    [failure] = [f for f in page["failures"] if f["version_id"] == failed_version]
    region, _, number = failure["id"].partition(":")
    assert (region, failure["region"]) == (EAST, EAST) and number.isdigit()
    assert json.loads(ferry("show", failure["id"], "--json", *config)) == failure
    table = ferry("list", "--state", "FAILED", *config)
    assert failure["id"] in table
    summary: dict[str, Any] = json.loads(ferry("summary", "--json", *config))
    assert {"region": EAST, "rule_id": "to-west"}.items() <= summary["rules"][0].items()
    bare = subprocess.run(
        [sys.executable, "-m", "ferry", "failures", "show", number, *config],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bare.returncode == 1 and f"REGION:{number}" in bare.stderr


def test_a_region_that_is_down_is_named_and_the_others_are_listed(
    deployment: Deployment, failed_version: str, tmp_path: Any
) -> None:
    text = deployment.config_path.read_text()
    down = tmp_path / "ferry.toml"
    down.write_text(text + '[[regions]]\nname = "ap-south-1"\nport = 1\n')
    result = subprocess.run(
        [sys.executable, "-m", "ferry", "failures", "list", "--json", "--config", str(down)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "region ap-south-1: cannot reach" in result.stderr
    listed = json.loads(result.stdout)["failures"]
    assert failed_version in {f["version_id"] for f in listed}


def test_purge_removes_the_record(deployment: Deployment, failed_version: str) -> None:
    config = ["--config", str(deployment.config_path), "--region", EAST]
    purged = json.loads(ferry("purge", "--bucket", "cli-src", "--json", *config))
    assert purged == {"purged": 1, "regions": {EAST: 1}}
    assert json.loads(ferry("list", "--json", *config))["failures"] == []


def test_wrong_credentials_fail_with_a_message(deployment: Deployment) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ferry", "failures", "summary",
         "--endpoint", deployment.endpoint(WEST)],
        env={**os.environ, "FERRY_ROOT_ACCESS_KEY": ACCESS_KEY, "FERRY_ROOT_SECRET_KEY": "nope"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "SignatureDoesNotMatch" in result.stderr
