"""Lean asyncio HTTP/1.1 load generator: one keep-alive connection per worker, no SDK.

A phase runs `concurrency` workers, each owning one `Connection`, until `max_ops` operations
have been issued or `max_seconds` have passed, whichever comes first. Every operation has its own
timeout and the phase as a whole has a hard one, so a hung server cannot hang the benchmark.
Bodies are sent from caller-owned buffers in slices and response bodies are read in chunks and
dropped, so the client never allocates a large object per request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

STREAM_LIMIT_BYTES = 1 << 18
SLICE_BYTES = 1 << 20
ERROR_SAMPLE_BYTES = 240
CONNECT_TIMEOUT_S = 5.0
PHASE_GRACE_S = 5.0
MAX_ERROR_SAMPLES = 5


class HttpProtocolError(Exception):
    """The server's reply is not HTTP/1.x as this client understands it."""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body_bytes: int
    sample: bytes  # start of the body, kept only when the status is not 2xx


class Connection:
    """One HTTP/1.1 keep-alive connection; reconnects lazily after a close or a failure."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                self._reader, self._writer = await asyncio.open_connection(
                    self.host, self.port, limit=STREAM_LIMIT_BYTES
                )
        return self._reader, self._writer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.transport.abort()
        self._reader = self._writer = None

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: memoryview | bytes = b""
    ) -> Reply:
        reader, writer = await self.connect()
        lines = [f"{method} {target} HTTP/1.1\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in headers.items())
        lines.append("\r\n")
        head = "".join(lines).encode("latin-1")
        try:
            if len(body) <= STREAM_LIMIT_BYTES:
                writer.write(head + body)
            else:
                writer.write(head)
                view = memoryview(body)
                for offset in range(0, len(view), SLICE_BYTES):
                    writer.write(view[offset : offset + SLICE_BYTES])
                    await writer.drain()
            await writer.drain()
            reply, keep_alive = await _read_reply(reader, method)
        except BaseException:
            self.close()
            raise
        if not keep_alive:
            self.close()
        return reply


async def _read_reply(reader: asyncio.StreamReader, method: str) -> tuple[Reply, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head[:-4].split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    if not version.startswith(b"HTTP/1.") or len(rest) < 3 or not rest[:3].isdigit():
        raise HttpProtocolError(f"bad status line {status_line[:80]!r}")
    status = int(rest[:3])
    keep_alive = version == b"HTTP/1.1"
    length: int | None = None
    chunked = False
    for line in header_lines:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            token = value.strip().lower()
            keep_alive = token != b"close" and (keep_alive or token == b"keep-alive")
    keep_sample = not 200 <= status < 300
    if method == "HEAD" or status in (204, 304) or status < 200:
        return Reply(status, 0, b""), keep_alive
    if chunked:
        count, sample = await _discard_chunked(reader, keep_sample)
    elif length is not None:
        count, sample = await _discard(reader, length, keep_sample)
    else:
        count, sample = await _discard(reader, None, keep_sample)
        keep_alive = False
    return Reply(status, count, sample), keep_alive


async def _discard(
    reader: asyncio.StreamReader, length: int | None, keep_sample: bool
) -> tuple[int, bytes]:
    """Read `length` bytes (or up to EOF when None) and drop them, keeping a short sample."""
    if length is not None and length <= STREAM_LIMIT_BYTES:
        data = await reader.readexactly(length)
        return length, data[:ERROR_SAMPLE_BYTES] if keep_sample else b""
    count = 0
    sample = b""
    while length is None or count < length:
        want = SLICE_BYTES if length is None else min(SLICE_BYTES, length - count)
        chunk = await reader.read(want)
        if not chunk:
            if length is None:
                break
            raise asyncio.IncompleteReadError(b"", length - count)
        if keep_sample and len(sample) < ERROR_SAMPLE_BYTES:
            sample += chunk[: ERROR_SAMPLE_BYTES - len(sample)]
        count += len(chunk)
    return count, sample


async def _discard_chunked(reader: asyncio.StreamReader, keep_sample: bool) -> tuple[int, bytes]:
    count = 0
    sample = b""
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailer fields
            return count, sample
        read, part = await _discard(reader, size, keep_sample and len(sample) < ERROR_SAMPLE_BYTES)
        sample += part
        count += read
        await reader.readexactly(2)


Op = Callable[[Connection, int], Awaitable[Reply]]

TRANSPORT_ERRORS = (
    OSError,  # includes ConnectionError and TimeoutError
    EOFError,  # includes asyncio.IncompleteReadError
    ValueError,  # a malformed Content-Length or chunk size
    asyncio.LimitOverrunError,
    HttpProtocolError,
)


@dataclass(slots=True)
class PhaseResult:
    ok: int = 0
    errors: int = 0
    bytes_ok: int = 0
    elapsed_s: float = 0.0
    timed_out: bool = False
    latencies_s: list[float] = field(default_factory=list)
    ok_indices: list[int] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    def record_error(self, description: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(description)


async def run_phase(
    *,
    host: str,
    port: int,
    op: Op,
    concurrency: int,
    max_ops: int,
    max_seconds: float,
    op_timeout_s: float,
    payload_bytes: int,
) -> PhaseResult:
    """Run `op(connection, index)` for indices 0.. until the op or time budget runs out."""
    result = PhaseResult()
    connections = [Connection(host, port) for _ in range(concurrency)]
    outcomes = await asyncio.gather(
        *(conn.connect() for conn in connections), return_exceptions=True
    )
    failures = [exc for exc in outcomes if isinstance(exc, BaseException)]
    if failures:
        for conn in connections:
            conn.close()
        for exc in failures:
            if not isinstance(exc, TRANSPORT_ERRORS):
                raise exc
        result.record_error(f"connect: {type(failures[0]).__name__}: {failures[0]}")
        return result
    issued = 0
    start = time.perf_counter()
    deadline = start + max_seconds

    async def worker(conn: Connection) -> None:
        nonlocal issued
        while issued < max_ops and time.perf_counter() < deadline:
            index = issued
            issued += 1
            began = time.perf_counter()
            try:
                async with asyncio.timeout(op_timeout_s):
                    reply = await op(conn, index)
            except TRANSPORT_ERRORS as exc:
                conn.close()
                result.record_error(f"{type(exc).__name__}: {exc}"[:ERROR_SAMPLE_BYTES])
                continue
            if 200 <= reply.status < 300:
                result.latencies_s.append(time.perf_counter() - began)
                result.ok += 1
                result.bytes_ok += payload_bytes
                result.ok_indices.append(index)
            else:
                text = reply.sample.decode("utf-8", "replace")
                result.record_error(f"HTTP {reply.status}: {text}")

    try:
        async with asyncio.timeout(max_seconds + op_timeout_s + PHASE_GRACE_S):
            await asyncio.gather(*(worker(conn) for conn in connections))
    except TimeoutError:
        result.timed_out = True
    finally:
        result.elapsed_s = time.perf_counter() - start
        for conn in connections:
            conn.close()
    return result
