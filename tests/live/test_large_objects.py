"""Large bodies stream through with bounded server memory, in and out."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ferry.protocol.sigv4 import sign_headers
from tests.live.server import ACCESS_KEY, SECRET_KEY, FerryServer

GIB = 1024**3
CHUNK = 1024 * 1024
MAX_GROWTH_BYTES = 96 * 1024 * 1024  # far below the object size: nothing is held whole


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def current_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def generated(size: int, digest: Any) -> Iterator[bytes]:
    block = bytes(range(256)) * (CHUNK // 256)
    sent = 0
    while sent < size:
        piece = block[: min(CHUNK, size - sent)]
        digest.update(piece)
        sent += len(piece)
        yield piece


@pytest.mark.slow
def test_one_gib_put_and_get_stream_with_bounded_memory(
    server: FerryServer, s3: Any, bucket: str
) -> None:
    assert server.process is not None
    pid = server.process.pid
    baseline = current_rss_bytes(pid)
    url = f"{server.endpoint}/{bucket}/huge.bin"
    headers = {"host": f"127.0.0.1:{server.port}", "content-length": str(GIB)}
    headers.update(
        sign_headers(
            "PUT",
            url,
            headers,
            "UNSIGNED-PAYLOAD",
            ACCESS_KEY,
            SECRET_KEY,
            "us-east-1",
            datetime.now(UTC),
        )
    )
    sent = hashlib.md5()
    response = httpx.put(url, headers=headers, content=generated(GIB, sent), timeout=300)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{sent.hexdigest()}"'
    received = hashlib.md5()
    size = 0
    body = s3.get_object(Bucket=bucket, Key="huge.bin")["Body"]
    with body:
        for chunk in body.iter_chunks(CHUNK):
            received.update(chunk)
            size += len(chunk)
    assert size == GIB and received.hexdigest() == sent.hexdigest()
    assert peak_rss_bytes(pid) - baseline < MAX_GROWTH_BYTES
