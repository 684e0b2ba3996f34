"""`ferry worker`: replication runs in its own process when `ferry serve --no-workers`."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.live.replication_support import (
    Deployment,
    replicate,
    status,
    v2_rule,
    versioned_bucket,
    wait_for,
)

EAST, WEST = "us-east-1", "eu-west-1"


def test_separate_worker_process_replicates(tmp_path: Path) -> None:
    deployment = Deployment(root=tmp_path / "w")
    deployment.root.mkdir(parents=True)
    deployment.write_config()
    deployment.start_region(EAST, "--no-workers")
    deployment.start_region(WEST)
    try:
        east, west = deployment.client(EAST), deployment.client(WEST)
        versioned_bucket(east, "w-src", EAST)
        versioned_bucket(west, "w-dst", WEST)
        replicate(east, "w-src", v2_rule("w-dst"))
        east.put_object(Bucket="w-src", Key="k", Body=b"by the worker")
        wait_for(lambda: status(east, "w-src", "k") == "PENDING", what="pending")
        worker = deployment.start_worker(EAST)
        try:
            wait_for(lambda: status(east, "w-src", "k") == "COMPLETED", what="completed")
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=15) == 0
        assert west.get_object(Bucket="w-dst", Key="k")["Body"].read() == b"by the worker"
    finally:
        deployment.stop()
