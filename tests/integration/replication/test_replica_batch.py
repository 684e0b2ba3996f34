"""ReplicateBatch: many small replicas in one request to the destination, each item with its
own result (one failure fails only itself), idempotent when sent again, and the engine's
per-key order kept when a backlog drains in batches."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import httpx

from ferry.client import Credentials, RemoteS3, RemoteS3Error
from ferry.core.secret import Secret
from ferry.protocol import replica
from ferry.replication.identity import (
    REPLICATION_ACCESS_KEY,
    REPLICATION_ROLE_HEADER,
    replication_secret,
)
from ferry.replication.tasks import TaskStatus, count_tasks
from tests.integration.replication.conftest import TwoRegions, eventually
from tests.integration.replication.test_engine import configure, make_bucket
from tests.integration.s3 import ACCESS_KEY, SECRET_KEY

OWNER = "owner-canonical-id"
ROLE = "arn:aws:iam::000000000042:role/r"  # created by the `regions` fixture


Item = tuple[replica.BatchItem, bytes]


def _object(key: str, body: bytes, version_id: str, *, etag: str | None = None) -> Item:
    d = replica.ReplicaDescriptor(
        version_id=version_id, last_modified_ms=1_700_000_000_000, owner_id=OWNER,
        size=len(body), etag=etag or hashlib.md5(body).hexdigest(),
        tags=(("team", "blue"),),
    )  # fmt: skip
    return replica.BatchItem(key=key, operation=replica.ITEM_OBJECT, descriptor=d), body


def _marker(key: str, version_id: str, ms: int) -> tuple[replica.BatchItem, bytes]:
    d = replica.ReplicaDescriptor(
        version_id=version_id, last_modified_ms=ms, owner_id=OWNER, is_delete_marker=True
    )
    return replica.BatchItem(key=key, operation=replica.ITEM_DELETE_MARKER, descriptor=d), b""


def _tags(key: str, version_id: str) -> tuple[replica.BatchItem, bytes]:
    d = replica.ReplicaDescriptor(
        version_id=version_id, last_modified_ms=1, owner_id=OWNER, tags=(("k", "v"),)
    )
    return replica.BatchItem(key=key, operation=replica.ITEM_METADATA, descriptor=d), b""


async def send_batch(
    regions: TwoRegions,
    bucket: str,
    items: Sequence[tuple[replica.BatchItem, bytes]],
    *,
    access_key: str = REPLICATION_ACCESS_KEY,
    secret: Secret | None = None,
) -> httpx.Response:
    body = b"".join(replica.item_header(item) + data for item, data in items)
    client = RemoteS3(transport=regions.transport)
    credentials = Credentials(
        access_key=access_key,
        secret_key=secret or replication_secret(Secret(SECRET_KEY)),
        region="eu-west-1",
    )
    try:
        return await client.request(
            credentials, "POST", f"{regions.west.config.endpoint}/{bucket}",
            headers={replica.REPLICA_HEADER: replica.BATCH, REPLICATION_ROLE_HEADER: ROLE},
            content=body,
        )  # fmt: skip
    finally:
        await client.close()


async def test_one_failed_item_fails_only_itself(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_west, "dst")
    good = _object("a.txt", b"alpha" * 10, "v-a")
    corrupt = _object("b.txt", b"bravo", "v-b", etag="0" * 32)  # bytes do not match the ETag
    missing = _tags("never-written.txt", "v-x")  # tags for a version that is not there
    marker = _marker("c.txt", "v-c", 1_700_000_000_500)
    response = await send_batch(regions, "dst", [good, corrupt, missing, marker])
    results = replica.results_from_json(response.content)
    assert [r.status for r in results] == [200, 400, 404, 200]
    assert results[1].code == "BadDigest"
    assert results[2].code in ("NoSuchVersion", "NoSuchKey")
    assert results[0].version_id == "v-a"
    got = await regions.s3_west.get("/dst/a.txt")
    assert got.status_code == 200 and got.content == b"alpha" * 10
    assert got.headers["x-amz-replication-status"] == "REPLICA"
    assert got.headers["x-amz-version-id"] == "v-a"
    assert (await regions.s3_west.head("/dst/b.txt")).status_code == 404  # no trace of it
    head = await regions.s3_west.head("/dst/c.txt", query={"versionId": "v-c"})
    assert head.headers.get("x-amz-delete-marker") == "true"


async def test_sending_a_batch_again_changes_nothing(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_west, "dst")
    items = [_object(f"k{i}", f"body {i}".encode(), f"v{i}") for i in range(20)]
    first = replica.results_from_json((await send_batch(regions, "dst", items)).content)
    again = replica.results_from_json((await send_batch(regions, "dst", items)).content)
    assert [r.status for r in first] == [200] * 20
    assert [(r.status, r.version_id) for r in again] == [(200, f"v{i}") for i in range(20)]
    listing = await regions.s3_west.get("/dst", query={"versions": None})
    assert listing.text.count("<Version>") == 20


async def test_a_batch_for_a_missing_bucket_is_refused_whole(regions: TwoRegions) -> None:
    items = [_object("a", b"x", "v1"), _marker("b", "v2", 5)]
    try:
        await send_batch(regions, "no-such-bucket", items)
    except RemoteS3Error as exc:
        assert (exc.status, exc.code) == (404, "NoSuchBucket")
    else:
        raise AssertionError("a batch for a missing bucket was accepted")


async def test_only_the_replication_identity_may_send_batches(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_west, "dst")
    try:
        await send_batch(
            regions, "dst", [_object("a", b"x", "v1")], access_key=ACCESS_KEY,
            secret=Secret(SECRET_KEY),
        )  # fmt: skip
    except RemoteS3Error as exc:
        assert (exc.status, exc.code) == (403, "AccessDenied")
    else:
        raise AssertionError("a root-signed batch was accepted")
    assert (await regions.s3_west.head("/dst/a")).status_code == 404


async def test_a_backlog_drains_in_batches_keeping_each_keys_order(regions: TwoRegions) -> None:
    """Destination down while versions and delete markers pile up: once it is back the
    backlog goes in batches, and no delete marker lands before the version it covers."""
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(regions.s3_east, "src", "dst", dmr="Enabled")
    regions.take_down(regions.west)
    for i in range(60):
        assert (await regions.s3_east.put(f"/src/k{i}", body=b"v1-%d" % i)).status_code == 200
        assert (await regions.s3_east.put(f"/src/k{i}", body=b"v2-%d" % i)).status_code == 200
        if i % 3 == 0:
            assert (await regions.s3_east.delete(f"/src/k{i}")).status_code == 204
    regions.bring_up(regions.west)

    async def drained() -> bool:
        pending = await regions.east.db.read(lambda tx: count_tasks(tx, TaskStatus.PENDING))
        return pending == 0

    await eventually(drained, timeout_s=30)
    # Arrival order at the destination (its commit sequence) follows each key's source order.
    order_sql = "SELECT key, version_id FROM versions WHERE bucket = ? ORDER BY seq"
    source = await regions.east.db.read(lambda tx: tx.execute(order_sql, ("src",)).fetchall())
    arrived = await regions.west.db.read(lambda tx: tx.execute(order_sql, ("dst",)).fetchall())
    for i in range(60):
        assert [v for k, v in arrived if k == f"k{i}"] == [v for k, v in source if k == f"k{i}"]
    for i in range(60):
        got = await regions.s3_west.get(f"/dst/k{i}")
        if i % 3 == 0:
            assert got.status_code == 404 and got.headers.get("x-amz-delete-marker") == "true"
        else:
            assert got.status_code == 200 and got.content == b"v2-%d" % i
        versions = await regions.s3_west.get("/dst", query={"versions": None, "prefix": f"k{i}"})
        assert versions.text.count(f"<Key>k{i}</Key>") == (3 if i % 3 == 0 else 2)


class _RefusingBatches(httpx.AsyncBaseTransport):
    """The destination as one that does not admit the batch request: 403 AccessDenied."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.headers.get(replica.REPLICA_HEADER) == "batch":
            self.refused += 1
            body = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
            return httpx.Response(403, content=body)
        return await self.inner.handle_async_request(request)


async def test_a_destination_refusing_batches_gets_one_request_per_replica(
    regions: TwoRegions,
) -> None:
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(regions.s3_east, "src", "dst")
    netloc = f"127.0.0.1:{regions.west.config.port}"
    refusing = _RefusingBatches(regions.transport.apps[netloc])
    regions.transport.apps[netloc] = refusing  # type: ignore[assignment]
    regions.take_down(regions.west)
    for i in range(30):
        assert (await regions.s3_east.put(f"/src/k{i}", body=b"%d" % i)).status_code == 200
    regions.bring_up(regions.west)

    async def drained() -> bool:
        return await regions.east.db.read(lambda tx: count_tasks(tx, TaskStatus.PENDING)) == 0

    await eventually(drained, timeout_s=30)
    assert refusing.refused >= 1  # a batch was tried, refused, and its items sent one by one
    failed = await regions.east.db.read(lambda tx: count_tasks(tx, TaskStatus.FAILED))
    assert failed == 0
    for i in range(30):
        got = await regions.s3_west.get(f"/dst/k{i}")
        assert got.status_code == 200 and got.content == b"%d" % i
