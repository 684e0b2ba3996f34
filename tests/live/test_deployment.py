"""`ferry up` with two regions, driven by boto3: names unique across regions, redirects for the
wrong region, ListBuckets everywhere, a region killed with -9 and brought back, a clean stop on
SIGINT; a second `ferry up` refused, `ferry status` and `ferry down`."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.live.server import ACCESS_KEY, SECRET_KEY, FerryDeployment, processes_mentioning

EAST, WEST = "us-east-1", "eu-west-1"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FerryDeployment]:
    ferry = FerryDeployment(root=tmp_path_factory.mktemp("deployment")).start()
    yield ferry
    ferry.stop()


def client(ferry: FerryDeployment, region: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=ferry.endpoint(region),
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=region,
        config=Config(retries={"max_attempts": 1}),
    )


def create_bucket(s3: Any, name: str, region: str) -> None:
    if region == EAST:
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


class Responses:
    """Records every raw response botocore sees, redirected attempts included."""

    def __init__(self, s3: Any) -> None:
        self.seen: list[tuple[int, dict[str, str], str | None]] = []
        s3.meta.events.register_first("needs-retry.s3", self.record)

    def record(self, response: Any, **kwargs: Any) -> None:
        if response is not None:
            http, parsed = response
            self.seen.append(
                (http.status_code, dict(http.headers), parsed.get("Error", {}).get("Code"))
            )


def test_bucket_names_are_unique_across_regions(deployment: FerryDeployment) -> None:
    east, west = client(deployment, EAST), client(deployment, WEST)
    create_bucket(east, "unique-name", EAST)
    with pytest.raises(ClientError) as caught:
        create_bucket(west, "unique-name", WEST)
    assert code_of(caught) == "BucketAlreadyOwnedByYou"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_list_buckets_on_either_region_shows_both(deployment: FerryDeployment) -> None:
    east, west = client(deployment, EAST), client(deployment, WEST)
    create_bucket(east, "listed-east", EAST)
    create_bucket(west, "listed-west", WEST)
    for s3 in (east, west):
        buckets = {b["Name"]: b.get("BucketRegion") for b in s3.list_buckets()["Buckets"]}
        assert buckets["listed-east"] == EAST
        assert buckets["listed-west"] == WEST


def test_wrong_region_answers_permanent_redirect(deployment: FerryDeployment) -> None:
    east, west = client(deployment, EAST), client(deployment, WEST)
    create_bucket(east, "redirected", EAST)
    east.put_object(Bucket="redirected", Key="k", Body=b"east")
    responses = Responses(west)

    with pytest.raises(ClientError) as caught:
        west.get_object(Bucket="redirected", Key="k")

    # Ferry answers AWS's 301 with the bucket's region ...
    status, headers, code = responses.seen[0]
    assert (status, code) == (301, "PermanentRedirect")
    assert headers["x-amz-bucket-region"] == EAST
    # ... botocore follows it by re-signing for us-east-1, but with a custom endpoint_url it
    # sends the retry to the same (eu-west-1) endpoint, which rejects the signing region.
    assert len(responses.seen) == 2
    assert responses.seen[1][0] == 400
    assert code_of(caught) == "AuthorizationHeaderMalformed"
    assert caught.value.response["Error"]["Region"] == WEST


def test_head_bucket_in_the_wrong_region_is_301_with_the_region(
    deployment: FerryDeployment,
) -> None:
    east, west = client(deployment, EAST), client(deployment, WEST)
    create_bucket(east, "headed", EAST)
    responses = Responses(west)
    with pytest.raises(ClientError):
        west.head_bucket(Bucket="headed")
    status, headers, _ = responses.seen[0]
    assert status == 301
    assert headers["x-amz-bucket-region"] == EAST


def test_kill_9_of_one_region_leaves_the_other_serving_and_up_restarts_it(
    deployment: FerryDeployment,
) -> None:
    east, west = client(deployment, EAST), client(deployment, WEST)
    create_bucket(east, "survivor", EAST)
    create_bucket(west, "phoenix", WEST)
    west.put_object(Bucket="phoenix", Key="k", Body=b"acknowledged")

    old_pid = deployment.kill_region(WEST)

    east.put_object(Bucket="survivor", Key="k", Body=b"still serving")
    assert east.get_object(Bucket="survivor", Key="k")["Body"].read() == b"still serving"
    new_pid = deployment.wait_restarted(WEST, old_pid)
    assert new_pid != old_pid
    assert west.get_object(Bucket="phoenix", Key="k")["Body"].read() == b"acknowledged"
    log = deployment.log()
    assert f"region {WEST} (pid {old_pid}) died with signal SIGKILL" in log
    assert f"restarting region {WEST}" in log


def test_sigint_stops_every_region_and_exits_zero(tmp_path: Path) -> None:
    ferry = FerryDeployment(root=tmp_path).start()
    pids = [ferry.pid_of(region) for region in ferry.regions]
    assert all(pids)
    try:
        assert ferry.stop(signal.SIGINT) == 0
    finally:
        ferry.stop(signal.SIGKILL)
    assert processes_mentioning(str(ferry.config_path)) == []
    assert not (ferry.data_dir / "run" / f"{EAST}.pid").exists()
    assert not (ferry.data_dir / "run" / "up.pid").exists()


def ferry_command(ferry: FerryDeployment, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ferry", *args, "--config", str(ferry.config_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_second_up_refuses_at_once_and_leaves_the_first_alone(
    deployment: FerryDeployment,
) -> None:
    run_dir = deployment.data_dir / "run"
    before = {p.name: p.read_text() for p in run_dir.iterdir()}
    started = time.monotonic()

    second = ferry_command(deployment, "up")

    assert second.returncode == 1
    assert time.monotonic() - started < 10
    assert "already running" in second.stderr and "ferry down" in second.stderr
    assert {p.name: p.read_text() for p in run_dir.iterdir()} == before
    assert all(deployment.is_healthy(region) for region in deployment.regions)


def test_up_on_a_port_another_program_holds_names_the_port(tmp_path: Path) -> None:
    ferry = FerryDeployment(root=tmp_path)
    ferry.root.mkdir(parents=True, exist_ok=True)
    ferry.write_config()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", ferry.ports[WEST]))
        holder.listen()
        refused = ferry_command(ferry, "up")
    assert refused.returncode == 1
    assert f"127.0.0.1:{ferry.ports[WEST]} ({WEST})" in refused.stderr
    assert not (ferry.data_dir / "run").exists()


def test_status_then_down_then_status(tmp_path: Path) -> None:
    ferry = FerryDeployment(root=tmp_path).start()
    try:
        running = ferry_command(ferry, "status")
        assert running.returncode == 0, running.stdout + running.stderr
        for region in ferry.regions:
            line = next(ln for ln in running.stdout.splitlines() if region in ln)
            assert " up " in line and f"pid {ferry.pid_of(region)}" in line

        stopped = ferry_command(ferry, "down")
        assert stopped.returncode == 0, stopped.stderr
        assert "stopped" in stopped.stdout
        assert ferry.process is not None and ferry.process.poll() == 0

        after = ferry_command(ferry, "status")
        assert after.returncode == 1
        assert "no ferry up running" in after.stdout and " down " in after.stdout
        assert ferry_command(ferry, "down").returncode == 0  # nothing to stop is fine
    finally:
        ferry.stop(signal.SIGKILL)
    assert processes_mentioning(str(ferry.config_path)) == []
