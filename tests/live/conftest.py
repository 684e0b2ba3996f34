"""Live tier: a real ferry server process, driven by boto3 and the aws CLI."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.live.server import ACCESS_KEY, SECRET_KEY, FerryServer

_names = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/live" in str(item.fspath):
            item.add_marker(pytest.mark.live)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FerryServer]:
    data = tmp_path_factory.mktemp("live") / "us-east-1"
    data.mkdir()
    ferry = FerryServer(data_dir=data).start()
    yield ferry
    ferry.stop()


@pytest.fixture(scope="module")
def east(deployment: Any) -> Any:
    """us-east-1's boto3 client in the requesting module's own two-region `deployment`
    (`replication_support.Deployment`), which every module using it defines."""
    return deployment.client("us-east-1")


@pytest.fixture(scope="module")
def west(deployment: Any) -> Any:
    """eu-west-1's boto3 client, as `east`."""
    return deployment.client("eu-west-1")


def make_client(endpoint: str, *, region: str = "us-east-1", **config: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=region,
        config=Config(**{"retries": {"max_attempts": 1}, **config}),
    )


@pytest.fixture(scope="session")
def s3(server: FerryServer) -> Any:
    return make_client(server.endpoint)


@pytest.fixture
def bucket(s3: Any, request: pytest.FixtureRequest) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())
    name = f"b{next(_names)}-{words}"[:40].strip("-")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def versioned_bucket(s3: Any, bucket: str) -> str:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


@pytest.fixture
def tmp_file(tmp_path: Path) -> Path:
    return tmp_path
