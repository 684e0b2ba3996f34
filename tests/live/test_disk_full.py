"""A disk that fills: the write that does not fit gets a clear error and leaves nothing."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.conftest import make_client
from tests.live.server import FerryServer

DISK_BYTES = 24 * 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount)],
        capture_output=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_put_on_a_full_disk_is_refused_and_the_region_keeps_serving(small_disk: Path) -> None:
    data = small_disk / "region"
    data.mkdir()
    server = FerryServer(data_dir=data).start()
    try:
        s3: Any = make_client(server.endpoint)
        s3.create_bucket(Bucket="full")
        s3.put_object(Bucket="full", Key="keep", Body=b"small and safe")
        big = os.urandom(8 * 1024 * 1024)
        stored = []
        with pytest.raises(ClientError) as exc:
            for i in range(10):
                s3.put_object(Bucket="full", Key=f"big{i}", Body=big)
                stored.append(f"big{i}")
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 507
        assert exc.value.response["Error"]["Code"] == "XFerryStorageFull"
        failed = f"big{len(stored)}"
        with pytest.raises(ClientError):
            s3.head_object(Bucket="full", Key=failed)
        assert not list((data / "blobs" / "tmp").iterdir())
        assert s3.get_object(Bucket="full", Key="keep")["Body"].read() == b"small and safe"
        s3.delete_object(Bucket="full", Key=stored[0])
        s3.put_object(Bucket="full", Key="after", Body=big)
        assert s3.head_object(Bucket="full", Key="after")["ContentLength"] == len(big)
    finally:
        server.stop()
