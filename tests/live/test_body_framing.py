"""How an upload's body is framed, on a live server: `Expect: 100-continue` (uvicorn sends
the interim 100 only when the application first reads the body, so a request refused by its
headers is answered before the client sends a byte of it), and plain `Transfer-Encoding:
chunked` (refused as AWS refuses it) against aws-chunked (accepted)."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from ferry.protocol.sigv4 import sign_headers
from tests.live.server import ACCESS_KEY, SECRET_KEY, FerryServer

pytestmark = pytest.mark.live
UNSIGNED = "UNSIGNED-PAYLOAD"


def signed_headers(
    server: FerryServer, method: str, path: str, headers: dict[str, str], payload: str
) -> dict[str, str]:
    url = server.endpoint + path
    base = {"host": f"127.0.0.1:{server.port}", **headers}
    base.update(
        sign_headers(
            method, url, base, payload, ACCESS_KEY, SECRET_KEY, "us-east-1", datetime.now(UTC)
        )
    )
    return base


def head_block(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response_head(sock: socket.socket) -> tuple[int, bytes]:
    """The status line's code and everything read so far (head and any body bytes)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1]), data


def test_put_with_expect_continue_gets_100_then_200(
    server: FerryServer, s3: Any, bucket: str
) -> None:
    body = b"sent after the interim response" * 100
    path = f"/{bucket}/expect"
    headers = signed_headers(
        server, "PUT", path,
        {"content-length": str(len(body)), "expect": "100-continue"},
        hashlib.sha256(body).hexdigest(),
    )  # fmt: skip
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head_block("PUT", path, headers))
        status, _ = read_response_head(sock)
        assert status == 100
        sock.sendall(body)
        status, _ = read_response_head(sock)
        assert status == 200
    assert s3.get_object(Bucket=bucket, Key="expect")["Body"].read() == body


def test_refused_upload_is_answered_before_its_body_is_sent(
    server: FerryServer, bucket: str
) -> None:
    """Anonymous PutObject on a private bucket: 403 without a 100, the body never sent."""
    path = f"/{bucket}/denied"
    headers = {
        "host": f"127.0.0.1:{server.port}",
        "content-length": str(10 * 1024 * 1024),
        "expect": "100-continue",
    }
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head_block("PUT", path, headers))
        status, data = read_response_head(sock)
        assert status == 403  # the first response: no interim 100 was sent
        assert b"connection: close" in data.lower()  # the unsent body ends the connection


def test_upload_part_with_expect_continue(server: FerryServer, s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    part = b"p" * (5 * 1024 * 1024)
    path = f"/{bucket}/mp?partNumber=1&uploadId={upload_id}"
    headers = signed_headers(
        server, "PUT", path,
        {"content-length": str(len(part)), "expect": "100-continue"}, UNSIGNED,
    )  # fmt: skip
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head_block("PUT", path, headers))
        assert read_response_head(sock)[0] == 100
        sock.sendall(part)
        status, data = read_response_head(sock)
        assert status == 200
    etag = next(
        line.split(b":", 1)[1].strip().decode()
        for line in data.split(b"\r\n")
        if line.lower().startswith(b"etag:")
    )
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )  # fmt: skip
    assert s3.head_object(Bucket=bucket, Key="mp")["ContentLength"] == len(part)


def test_boto3_large_put_uses_expect_and_succeeds(s3: Any, bucket: str) -> None:
    """botocore sends `Expect: 100-continue` on PutObject bodies of 1 MiB and more."""
    seen: list[str | None] = []
    s3.meta.events.register(
        "before-send.s3.PutObject", lambda request, **_: seen.append(request.headers.get("Expect"))
    )
    data = b"e" * (2 * 1024 * 1024)
    s3.put_object(Bucket=bucket, Key="big", Body=data)
    s3.meta.events.unregister("before-send.s3.PutObject")
    assert seen and seen[-1] in ("100-continue", b"100-continue")
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == data


def _chunks() -> Iterator[bytes]:
    yield b"no "
    yield b"length"


def test_plain_chunked_put_is_refused_as_aws_does(
    server: FerryServer, s3: Any, bucket: str
) -> None:
    path = f"/{bucket}/chunked"
    headers = signed_headers(server, "PUT", path, {}, UNSIGNED)
    response = httpx.put(server.endpoint + path, headers=headers, content=_chunks())
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 501
    root = ElementTree.fromstring(response.content)
    assert root.findtext("Code") == "NotImplemented"
    assert root.findtext("Header") == "Transfer-Encoding"
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=bucket, Key="chunked")


def test_no_length_at_all_is_missing_content_length(server: FerryServer, bucket: str) -> None:
    path = f"/{bucket}/nolength"
    headers = signed_headers(server, "PUT", path, {}, UNSIGNED)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head_block("PUT", path, headers))
        status, data = read_response_head(sock)
        while b"</Error>" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert status == 411
    assert b"<Code>MissingContentLength</Code>" in data


def test_aws_chunked_over_transfer_encoding_chunked_is_accepted(
    server: FerryServer, s3: Any, bucket: str
) -> None:
    """aws-chunked framing inside HTTP chunked framing: the decoded length is declared."""
    data = b"streamed body"
    framed = f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n"
    path = f"/{bucket}/awschunked"
    headers = signed_headers(
        server, "PUT", path,
        {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))},
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    )  # fmt: skip

    def body() -> Iterator[bytes]:
        yield framed[:5]
        yield framed[5:]

    response = httpx.put(server.endpoint + path, headers=headers, content=body())
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert response.status_code == 200, response.text
    assert s3.get_object(Bucket=bucket, Key="awschunked")["Body"].read() == data
