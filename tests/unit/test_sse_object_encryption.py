"""ObjectEncryption over a real store (tmp SQLite + blob files): keys, ranges, parts, copies."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from ferry.core.clock import FakeClock
from ferry.crypto import DecryptionFailed, generate_master_key
from ferry.crypto import sse_errors as e
from ferry.crypto.bucket_defaults import BucketEncryptionDefault, BucketEncryptionDefaults
from ferry.crypto.customer_keys import CustomerKey, parse_customer_key
from ferry.crypto.frames import sealed_size
from ferry.crypto.sse import ObjectEncryption, SseRequest, stored_body_size
from ferry.region import REGION_MIGRATIONS
from ferry.store import (
    Buckets,
    CompletedPart,
    FileBlobStore,
    ObjectAttributes,
    Objects,
    PartInfo,
    PayloadDigest,
    SqliteDatabase,
    Uploads,
    Version,
    VersionHooks,
)
from ferry.store.records import EncryptionKind

FRAME = 1024  # small frames: many frames per part without big data


class Bytes:
    def __init__(self, data: bytes, chunk: int = 3000) -> None:
        self._data, self._chunk = data, chunk
        self._md5 = hashlib.md5()

    async def _chunks(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self._data), self._chunk):
            yield self._data[i : i + self._chunk]

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    def update(self, chunk: bytes) -> None:
        self._md5.update(chunk)

    def finish(self) -> PayloadDigest:
        return PayloadDigest(size=len(self._data), md5_hex=self._md5.hexdigest())


def customer_key(key: bytes) -> CustomerKey:
    md5 = base64.b64encode(hashlib.md5(key).digest()).decode()
    parsed = parse_customer_key(
        "AES256", base64.b64encode(key).decode(), md5, header_prefix="x-amz-sse"
    )
    assert parsed is not None
    return parsed


class World:
    def __init__(self, root: Path) -> None:
        self.db = SqliteDatabase(root / "meta.sqlite3", REGION_MIGRATIONS)
        self.blobs = FileBlobStore(root / "blobs")
        clock, hooks = FakeClock(), VersionHooks()
        self.buckets = Buckets(self.db, clock, "us-east-1")
        self.objects = Objects(self.db, self.blobs, hooks, clock)
        self.uploads = Uploads(self.db, self.blobs, hooks, clock)
        self.sse = ObjectEncryption(
            self.objects,
            generate_master_key(),
            None,
            BucketEncryptionDefaults(self.db),
            frame_bytes=FRAME,
        )

    async def put(self, key: str, data: bytes, request: SseRequest) -> Version:
        data_key = await self.sse.for_write(request, bucket="b", key=key, account_id="1" * 12)
        assert data_key is not None
        return await self.objects.put(
            "b", key, self.sse.seal(Bytes(data), data_key), owner_id="o",
            attrs=ObjectAttributes(encryption=data_key.encryption),
        )  # fmt: skip

    async def read(
        self, version: Version, start: int = 0, end: int | None = None,
        customer: CustomerKey | None = None,
    ) -> bytes:  # fmt: skip
        stored = await self.objects.get("b", version.key, version.version_id)
        key = await self.sse.open(stored.attrs.encryption, customer, bucket="b", key=version.key)
        return b"".join([c async for c in self.sse.read(stored, key, start, end)])


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = World(tmp_path)
    await w.buckets.create("b", "o", ())
    yield w
    w.db.close()


SSE_S3 = SseRequest(kind=EncryptionKind.SSE_S3)


@pytest.mark.parametrize("size", [0, 1, FRAME, 3 * FRAME + 7, 70_000])
async def test_sse_s3_round_trip_keeps_plaintext_size_and_md5(world: World, size: int) -> None:
    data = os.urandom(size)
    version = await world.put("k", data, SSE_S3)
    assert version.attrs.size == size
    assert version.attrs.etag == hashlib.md5(data).hexdigest()
    assert version.body.size > size  # stored: header and tags on top
    assert await world.read(version) == data


async def test_every_range_of_a_stored_object(world: World) -> None:
    data = os.urandom(2 * FRAME + 10)
    version = await world.put("k", data, SSE_S3)
    for start in range(0, len(data), 97):
        for end in (start, start + 1, start + FRAME, len(data)):
            end = min(end, len(data))
            assert await world.read(version, start, end) == data[start:end]


async def test_stored_bytes_are_not_the_plaintext(world: World) -> None:
    data = b"VISIBLE" * 100_000
    version = await world.put("k", data, SSE_S3)
    stored = b"".join([c async for c in world.objects.read_body(version, 0, version.body.size)])
    assert b"VISIBLE" not in stored


async def test_sse_c_needs_exactly_its_key(world: World) -> None:
    right, wrong = customer_key(bytes(32)), customer_key(b"\x01" * 32)
    data = b"customer data" * 1000
    version = await world.put("k", data, SseRequest(customer_key=right))
    assert version.attrs.etag != hashlib.md5(data).hexdigest()
    assert version.attrs.encryption is not None
    assert repr(right.key) not in repr(right) and repr(right.key) not in repr(version)
    assert await world.read(version, customer=right) == data
    with pytest.raises(e.CustomerKeyRequired):
        await world.read(version)
    with pytest.raises(e.CustomerKeyMismatch):
        await world.read(version, customer=wrong)
    plain = await world.objects.put("b", "p", Bytes(b"x"), owner_id="o", attrs=ObjectAttributes())
    with pytest.raises(e.EncryptionNotApplicable):
        await world.sse.open(plain.attrs.encryption, right, bucket="b", key="p")


async def test_multipart_parts_are_separate_streams_under_one_key(world: World) -> None:
    data_key = await world.sse.for_write(SSE_S3, bucket="b", key="mp", account_id="1" * 12)
    assert data_key is not None
    upload = await world.uploads.create(
        "b", "mp", owner_id="o", attrs=ObjectAttributes(encryption=data_key.encryption)
    )
    part_size = 5 * 1024 * 1024
    first, second = os.urandom(part_size), os.urandom(3 * FRAME + 1)
    parts = []
    for number, data in ((1, first), (2, second)):
        part = await world.uploads.put_part(
            "b", "mp", upload.upload_id, number, world.sse.seal(Bytes(data, 1 << 20), data_key)
        )
        assert part.size == len(data)
        parts.append(CompletedPart(part_number=number, etag=part.etag))
    version = await world.uploads.complete("b", "mp", upload.upload_id, parts)
    assert version.attrs.size == part_size + len(second)
    whole = first + second
    assert await world.read(version) == whole
    for start, end in ((part_size - 3, part_size + 3), (part_size, len(whole)), (5, 6)):
        assert await world.read(version, start, end) == whole[start:end]


async def test_copy_decrypts_and_seals_under_the_target_key(world: World) -> None:
    customer = customer_key(bytes(range(32)))
    data = os.urandom(5000)
    source = await world.put("src", data, SseRequest(customer_key=customer))
    source_key = await world.sse.open(source.attrs.encryption, customer, bucket="b", key="src")
    target = await world.sse.for_write(SSE_S3, bucket="b", key="dst", account_id="1" * 12)
    assert target is not None
    body, digest = await world.sse.copy_body(source, source_key, target, 10, 4000)
    assert (digest.size, digest.md5_hex) == (3990, hashlib.md5(data[10:4000]).hexdigest())
    copy = await world.objects.commit(
        "b", "dst", owner_id="o", body=body,
        attrs=ObjectAttributes(size=digest.size, etag=digest.md5_hex, encryption=target.encryption),
    )  # fmt: skip
    assert await world.read(copy) == data[10:4000]


async def test_bucket_default_applies_when_a_write_names_none(world: World) -> None:
    with pytest.raises(e.NoSuchEncryptionConfiguration):
        await world.sse.defaults.get("b")
    none = await world.sse.for_write(SseRequest(), bucket="b", key="k", account_id="1" * 12)
    assert none is None
    rule = BucketEncryptionDefault(algorithm=EncryptionKind.SSE_S3, bucket_key_enabled=True)
    await world.sse.defaults.put("b", rule)
    assert await world.sse.defaults.get("b") == rule
    applied = await world.sse.for_write(SseRequest(), bucket="b", key="k", account_id="1" * 12)
    assert applied is not None
    assert applied.encryption.kind is EncryptionKind.SSE_S3
    assert applied.encryption.bucket_key_enabled
    await world.buckets.delete("b")
    await world.buckets.create("b", "o", ())
    assert await world.sse.defaults.find("b") is None


async def test_tampered_wrapped_key_does_not_open(world: World) -> None:
    version = await world.put("k", b"data", SSE_S3)
    assert version.attrs.encryption is not None
    bad = replace(version.attrs.encryption, wrapped_key=b"\x01" + bytes(60))
    with pytest.raises(DecryptionFailed):
        await world.sse.open(bad, None, bucket="b", key="k")


def test_customer_key_headers_are_checked_as_aws() -> None:
    key = base64.b64encode(bytes(32)).decode()
    md5 = base64.b64encode(hashlib.md5(bytes(32)).digest()).decode()
    assert parse_customer_key(None, None, None, header_prefix="p") is None
    cases = [
        ((None, key, md5), e.InvalidEncryptionArgument),
        (("AES128", key, md5), e.InvalidEncryptionAlgorithm),
        (("AES256", None, md5), e.InvalidEncryptionArgument),
        (("AES256", base64.b64encode(b"short").decode(), md5), e.InvalidEncryptionArgument),
        (("AES256", "not base64!", md5), e.InvalidEncryptionArgument),
        (("AES256", key, None), e.InvalidEncryptionArgument),
        (("AES256", key, base64.b64encode(b"x" * 16).decode()), e.CustomerKeyMd5Mismatch),
    ]
    for (algorithm, raw, digest), error in cases:
        with pytest.raises(error) as exc:
            parse_customer_key(algorithm, raw, digest, header_prefix="p")
        assert key not in str(exc.value)


async def test_replication_reads_plaintext_of_what_the_region_can_open(world: World) -> None:
    data = os.urandom(3000)
    s3_version = await world.put("s3", data, SSE_S3)
    plain = b"".join([c async for c in world.sse.read_plaintext(s3_version)])
    assert plain == data
    customer = await world.put("c", data, SseRequest(customer_key=customer_key(bytes(32))))
    with pytest.raises(e.CustomerKeyRequired):
        _ = [c async for c in world.sse.read_plaintext(customer)]
    raw = b"".join([c async for c in world.objects.read_body(customer)])
    assert len(raw) == customer.body.size > len(data)  # ciphertext, to ship as stored


@pytest.mark.parametrize(
    "sizes", [[5, 0], [0, 7], [FRAME, FRAME], [3 * FRAME + 1, 10, 2 * FRAME], [1]]
)
async def test_a_whole_object_sealed_part_by_part_reads_as_its_parts(
    world: World, sizes: list[int]
) -> None:
    """A replica of a multipart object arrives whole: one sealed stream per part, as the
    parts of an upload are, so that part reads and ranges across parts work."""
    data = os.urandom(sum(sizes))
    data_key = await world.sse.for_write(SSE_S3, bucket="b", key="mp", account_id="1" * 12)
    assert data_key is not None
    attrs = ObjectAttributes(
        encryption=data_key.encryption, parts=tuple(PartInfo(size=s) for s in sizes)
    )
    sealed = world.sse.seal(Bytes(data, 700), data_key, stream_sizes=sizes)
    body, digest = await world.blobs.write(sealed)
    assert (digest.size, digest.md5_hex) == (len(data), hashlib.md5(data).hexdigest())
    assert body.size == stored_body_size(replace(attrs, size=len(data)))
    version = await world.objects.commit(
        "b", "mp", owner_id="o", body=body, attrs=replace(attrs, size=len(data), etag="x-2")
    )
    assert await world.read(version) == data
    offset = 0
    for size in sizes:
        assert await world.read(version, offset, offset + size) == data[offset : offset + size]
        offset += size
    start, end = max(0, len(data) // 2 - 3), min(len(data), len(data) // 2 + 3)
    assert await world.read(version, start, end) == data[start:end]


async def test_a_short_payload_still_seals_every_part_and_is_caught_by_its_size(
    world: World,
) -> None:
    data_key = await world.sse.for_write(SSE_S3, bucket="b", key="mp", account_id="1" * 12)
    assert data_key is not None
    sealed = world.sse.seal(Bytes(b"abc"), data_key, stream_sizes=[5, 5])
    body, digest = await world.blobs.write(sealed)
    assert digest.size == 3  # the store's size check refuses it (5 + 5 were announced)
    assert body.size == sealed_size(3, FRAME) + sealed_size(0, FRAME)


def test_the_stored_size_of_a_plaintext_version_is_its_size() -> None:
    assert stored_body_size(ObjectAttributes(size=42)) == 42
