"""kill -9 under load: acknowledged PUTs survive; unacknowledged ones leave nothing behind."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from ferry.store.sweeper import referenced_blob_ids
from tests.live.conftest import make_client
from tests.live.server import FerryServer

ROUNDS = 5
WRITERS = 8
SIZES = (0, 700, 4096, 70_000, 300_000)  # inline and blob-file bodies


def body_for(key: str) -> bytes:
    size = SIZES[int(hashlib.md5(key.encode()).hexdigest(), 16) % len(SIZES)]
    seed = hashlib.sha256(key.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def _writer(
    endpoint: str,
    bucket: str,
    prefix: str,
    stop: threading.Event,
    acked: list[str],
    attempted: list[str],
) -> None:
    s3 = make_client(endpoint, connect_timeout=2, read_timeout=5)
    n = 0
    while not stop.is_set():
        key = f"{prefix}/{n}"
        n += 1
        attempted.append(key)
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=body_for(key))
        except (ClientError, BotoCoreError):
            return  # the server died under us
        acked.append(key)


def _blob_files(data_dir: Path) -> set[str]:
    root = data_dir / "blobs"
    return {p.name for p in root.glob("[0-9a-f][0-9a-f]/*")}


@pytest.mark.slow
def test_acknowledged_puts_survive_kill_9_in_a_loop(tmp_path: Path) -> None:
    data = tmp_path / "region"
    data.mkdir()
    server = FerryServer(data_dir=data).start()
    rng = random.Random(7)
    s3 = make_client(server.endpoint)
    s3.create_bucket(Bucket="durable")
    all_acked: list[str] = []
    all_attempted: list[str] = []
    try:
        for round_no in range(ROUNDS):
            stop = threading.Event()
            acked: list[str] = []
            attempted: list[str] = []
            threads = [
                threading.Thread(
                    target=_writer,
                    args=(server.endpoint, "durable", f"r{round_no}w{w}", stop, acked, attempted),
                )
                for w in range(WRITERS)
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.5, 1.5))
            server.kill()
            stop.set()
            for t in threads:
                t.join(timeout=30)
            assert acked, "the load generator made no progress before the kill"
            all_acked += acked
            all_attempted += attempted
            server.start()
            s3 = make_client(server.endpoint)
            for key in acked:
                got = s3.get_object(Bucket="durable", Key=key)["Body"].read()
                assert got == body_for(key), f"acknowledged {key} lost or corrupt"
        listed = {
            o["Key"]: o["Size"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket="durable")
            for o in page.get("Contents", [])
        }
        assert set(all_acked) <= set(listed)
        for key in set(listed) - set(all_acked):  # unacknowledged yet committed: must be whole
            assert key in all_attempted
            assert listed[key] == len(body_for(key))
    finally:
        server.stop()
    # After a clean stop: no temporary leftovers and no blob without metadata.
    assert not list((data / "blobs" / "tmp").iterdir())
    with sqlite3.connect(data / "metadata.sqlite3") as conn:
        referenced = referenced_blob_ids(conn)
    assert _blob_files(data) == referenced
