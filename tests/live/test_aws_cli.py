"""The README's tour with the aws CLI as a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.live.server import FerryServer


def aws_cli() -> list[str]:
    found = shutil.which("aws", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("the aws CLI is a dev dependency and must be installed")
    return [found]


def run_aws(server: FerryServer, *args: str) -> str:
    env = server.env()
    env.pop("AWS_PROFILE", None)
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    result = subprocess.run(
        [*aws_cli(), "--endpoint-url", server.endpoint, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_readme_tour_with_aws_cli(server: FerryServer, tmp_path: Path) -> None:
    tulips = tmp_path / "tulips.jpg"
    tulips.write_bytes(os.urandom(300_000))
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(20 * 1024 * 1024))  # multipart at the CLI's 8 MiB threshold
    run_aws(server, "s3", "mb", "s3://photos")
    run_aws(
        server,
        "s3api",
        "put-bucket-versioning",
        "--bucket",
        "photos",
        "--versioning-configuration",
        "Status=Enabled",
    )
    run_aws(server, "s3", "cp", str(tulips), "s3://photos/")
    run_aws(server, "s3", "cp", str(tulips), "s3://photos/")
    run_aws(server, "s3", "cp", str(big), "s3://photos/")
    versions: Any = json.loads(
        run_aws(server, "s3api", "list-object-versions", "--bucket", "photos")
    )
    keys = sorted(v["Key"] for v in versions["Versions"])
    assert keys == ["big.bin", "tulips.jpg", "tulips.jpg"]
    big_version = next(v for v in versions["Versions"] if v["Key"] == "big.bin")
    assert big_version["ETag"].strip('"').endswith("-3")
    back = tmp_path / "back.bin"
    run_aws(server, "s3", "cp", "s3://photos/big.bin", str(back))
    assert back.read_bytes() == big.read_bytes()
    listing = run_aws(server, "s3", "ls", "s3://photos/")
    assert "tulips.jpg" in listing and "big.bin" in listing
    run_aws(server, "s3", "rm", "s3://photos/tulips.jpg")
    run_aws(server, "s3", "sync", str(tmp_path), "s3://photos/synced/")
    synced = run_aws(server, "s3", "ls", "s3://photos/synced/")
    assert "back.bin" in synced
