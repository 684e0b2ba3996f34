"""Blob storage: object bodies as immutable files, written durably before metadata commits."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ferry.core.ids import new_blob_id
from ferry.store.errors import StorageFull
from ferry.store.records import Body, Segment


@dataclass(frozen=True, slots=True, kw_only=True)
class PayloadDigest:
    """What a fully received payload turned out to be."""

    size: int
    md5_hex: str
    checksum_algorithm: str | None = None  # "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"
    checksum_value: str | None = None  # base64, as in x-amz-checksum-*


class Payload(Protocol):
    """An object body on its way in.

    The store iterates it, hands every chunk to `update` (possibly from a worker thread, always
    in order, so hashing runs off the event loop next to the file write), then calls `finish`,
    which verifies what the client declared (Content-MD5, x-amz-checksum-*, x-amz-content-sha256,
    trailers, length) and raises if anything is wrong, before any metadata is committed.
    """

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    def update(self, chunk: bytes) -> None: ...

    def finish(self) -> PayloadDigest: ...


# -- the file blob store ---------------------------------------------------------------------


INLINE_MAX_BYTES = 64 * 1024
WRITE_BATCH_BYTES = 4 * 1024 * 1024
READ_CHUNK_BYTES = 1024 * 1024


class FileBlobStore:
    """Blob files under `root`: tmp → write → fsync → rename → fsync dir (Garage block manager).

    Blob names are random hex, never derived from object keys, so no key can reach a path
    outside `root`. Small bodies never become files: the caller stores them inline.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        for i in range(256):
            (root / f"{i:02x}").mkdir(exist_ok=True)

    def path_of(self, blob_id: str) -> Path:
        return self._root / blob_id[:2] / blob_id

    async def write(
        self, payload: Payload, *, inline_max: int = INLINE_MAX_BYTES
    ) -> tuple[Body, PayloadDigest]:
        """Receive a payload completely and durably. Inline if it fits in `inline_max`."""
        pending: list[bytes] = []
        pending_size = 0
        writer: _BlobWriter | None = None
        try:
            async for chunk in payload:
                pending.append(chunk)
                pending_size += len(chunk)
                if writer is None:
                    if pending_size <= inline_max:
                        continue
                    writer = await asyncio.to_thread(_BlobWriter, self, new_blob_id())
                if pending_size >= WRITE_BATCH_BYTES:
                    await asyncio.to_thread(writer.write, pending, payload)
                    pending, pending_size = [], 0
            if writer is None:
                data = b"".join(pending)
                payload.update(data)
                return Body(inline=data), payload.finish()
            if pending:
                await asyncio.to_thread(writer.write, pending, payload)
            await asyncio.to_thread(writer.flush)
            digest = payload.finish()  # verify before the blob gets its final name
            await asyncio.to_thread(writer.publish)
            segment = Segment(blob_id=writer.blob_id, size=writer.size)
            writer = None
            return Body(segments=(segment,)), digest
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull() from exc
            raise
        finally:
            if writer is not None:
                await asyncio.shield(asyncio.to_thread(writer.discard))

    async def read(
        self, body: Body, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Bytes [start, end) of a body, streamed in bounded chunks."""
        stop = body.size if end is None else min(end, body.size)
        if body.inline is not None:
            if start < stop:
                yield body.inline[start:stop]
            return
        offset = 0
        for segment in body.segments:
            seg_start, seg_end = offset, offset + segment.size
            offset = seg_end
            if seg_end <= start or seg_start >= stop:
                continue
            lo = max(start, seg_start) - seg_start
            hi = min(stop, seg_end) - seg_start
            # Opening and the first read share one thread hop: most bodies are one read.
            first = min(READ_CHUNK_BYTES, hi - lo)
            fd, data = await asyncio.to_thread(
                _open_and_read, self.path_of(segment.blob_id), first, lo
            )
            try:
                position = lo
                while True:
                    if not data:
                        raise OSError(f"blob {segment.blob_id} is shorter than recorded")
                    position += len(data)
                    yield data
                    if position >= hi:
                        break
                    size = min(READ_CHUNK_BYTES, hi - position)
                    data = await asyncio.to_thread(os.pread, fd, size, position)
            finally:
                os.close(fd)

    def delete(self, blob_ids: list[str]) -> None:
        for blob_id in blob_ids:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path_of(blob_id))

    def sweep(self, referenced: set[str]) -> int:
        """At start-up: remove temporaries and blobs no metadata row references."""
        removed = 0
        for entry in self._tmp.iterdir():
            entry.unlink(missing_ok=True)
            removed += 1
        for i in range(256):
            for entry in (self._root / f"{i:02x}").iterdir():
                if entry.name not in referenced:
                    entry.unlink(missing_ok=True)
                    removed += 1
        return removed


def _open_and_read(path: Path, size: int, position: int) -> tuple[int, bytes]:
    fd = os.open(path, os.O_RDONLY)
    try:
        return fd, os.pread(fd, size, position)
    except BaseException:
        os.close(fd)
        raise


class _BlobWriter:
    """One blob being written; all methods run in a worker thread."""

    def __init__(self, store: FileBlobStore, blob_id: str) -> None:
        self.blob_id = blob_id
        self.size = 0
        self._store = store
        self._tmp_path = store._tmp / blob_id
        self._fd: int | None = os.open(self._tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)

    def write(self, chunks: list[bytes], payload: Payload) -> None:
        assert self._fd is not None
        for chunk in chunks:
            payload.update(chunk)  # hashing here: off the event loop, hashlib drops the GIL
        total = sum(len(c) for c in chunks)
        views = [memoryview(c) for c in chunks]
        while views:
            written = os.writev(self._fd, views)
            while views and written >= len(views[0]):
                written -= len(views[0])
                views.pop(0)
            if views and written:
                views[0] = views[0][written:]
        self.size += total

    def flush(self) -> None:
        assert self._fd is not None
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None

    def publish(self) -> None:
        final = self._store.path_of(self.blob_id)
        os.rename(self._tmp_path, final)
        dir_fd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def discard(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._tmp_path.unlink(missing_ok=True)
        self._store.path_of(self.blob_id).unlink(missing_ok=True)
