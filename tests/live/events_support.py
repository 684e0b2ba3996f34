"""Helpers for live event tests: a webhook receiver that can be stopped and restarted on its
port, a private NATS server to start late, readers for the brokers, a signed admin GET."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.live.server import ACCESS_KEY, SECRET_KEY, free_port

NATS_SERVER = "/usr/sbin/nats-server"


@dataclass
class WebhookReceiver:
    """`http.server` on an ephemeral port; `stop()` closes the port, `start()` reopens it."""

    port: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events"

    def start(self) -> WebhookReceiver:
        records = self.records

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                records.extend(json.loads(body)["Records"])
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@dataclass
class PrivateNats:
    """A nats-server with JetStream on its own port, started only when the test says."""

    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @staticmethod
    def available() -> bool:
        return shutil.which(NATS_SERVER) is not None

    def start(self) -> None:
        store = self.root / f"nats-{self.port}"
        store.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private nats-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def signed_get(endpoint: str, path: str, region: str = "us-east-1") -> httpx.Response:
    request = AWSRequest(method="GET", url=endpoint + path, headers={})
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", region).add_auth(request)
    return httpx.get(endpoint + path, headers=dict(request.headers.items()), timeout=5)


async def nats_messages(server: str, stream: str) -> list[dict[str, Any]]:
    import nats
    from nats.js.errors import NotFoundError

    client = await nats.connect(servers=[server], connect_timeout=2, allow_reconnect=False)
    try:
        js = client.jetstream(timeout=2)
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            return []
        records = []
        if not info.state.messages:
            return records  # an empty stream reports first_seq 0, which get_msg cannot ask for
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(stream, seq)
            records.extend(json.loads(message.data or b"{}")["Records"])
        return records
    finally:
        await client.close()
