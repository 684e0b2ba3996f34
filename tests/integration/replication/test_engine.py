"""The replication engine end to end, in process: planner → task → worker → destination."""

from __future__ import annotations

import json

from ferry.replication.tasks import TaskStatus, count_tasks
from tests.integration.replication.conftest import TwoRegions, eventually
from tests.integration.s3 import S3

V2_RULE = """<ReplicationConfiguration><Role>arn:aws:iam::000000000042:role/r</Role>
<Rule><ID>{id}</ID><Priority>{priority}</Priority><Status>Enabled</Status>
<Filter><Prefix>{prefix}</Prefix></Filter>
<DeleteMarkerReplication><Status>{dmr}</Status></DeleteMarkerReplication>
<Destination><Bucket>arn:aws:s3:::{dest}</Bucket></Destination></Rule>
</ReplicationConfiguration>"""


async def make_bucket(s3: S3, name: str, *, versioned: bool = True) -> None:
    location = b""
    if s3.region != "us-east-1":
        location = (
            b"<CreateBucketConfiguration><LocationConstraint>"
            + s3.region.encode()
            + b"</LocationConstraint></CreateBucketConfiguration>"
        )
    assert (await s3.put(f"/{name}", body=location)).status_code == 200
    if versioned:
        body = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
        assert (await s3.put(f"/{name}", query={"versioning": None}, body=body)).status_code == 200


async def configure(s3: S3, bucket: str, dest: str, *, prefix: str = "", dmr: str = "Disabled",
                    rule_id: str = "r1") -> None:  # fmt: skip
    import base64
    import hashlib

    body = V2_RULE.format(id=rule_id, priority=1, prefix=prefix, dmr=dmr, dest=dest).encode()
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    response = await s3.put(
        f"/{bucket}", query={"replication": None}, body=body, headers={"content-md5": md5}
    )
    assert response.status_code == 200, response.text


async def status_of(s3: S3, path: str, version_id: str | None = None) -> str | None:
    query = {"versionId": version_id} if version_id else None
    response = await s3.head(path, query=query)
    assert response.status_code == 200, (response.status_code, response.headers)
    return response.headers.get("x-amz-replication-status")


async def test_cross_region_put_is_replicated_with_identity_and_status(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(regions.s3_east, "src", "dst")
    put = await regions.s3_east.put(
        "/src/photos/a.jpg", body=b"tulips" * 100,
        headers={"content-type": "image/jpeg", "x-amz-meta-camera": "leica",
                 "x-amz-tagging": "color=red"},
    )  # fmt: skip
    version_id = put.headers["x-amz-version-id"]
    assert await status_of(regions.s3_east, "/src/photos/a.jpg") in ("PENDING", "COMPLETED")

    async def completed() -> bool:
        return await status_of(regions.s3_east, "/src/photos/a.jpg") == "COMPLETED"

    await eventually(completed)
    replica = await regions.s3_west.get("/dst/photos/a.jpg")
    assert replica.status_code == 200
    assert replica.content == b"tulips" * 100
    assert replica.headers["x-amz-version-id"] == version_id
    assert replica.headers["etag"] == put.headers["etag"]
    assert replica.headers["content-type"] == "image/jpeg"
    assert replica.headers["x-amz-meta-camera"] == "leica"
    assert replica.headers["x-amz-replication-status"] == "REPLICA"
    source = await regions.s3_east.head("/src/photos/a.jpg")
    assert replica.headers["last-modified"] == source.headers["last-modified"]
    tags = await regions.s3_west.get("/dst/photos/a.jpg", query={"tagging": None})
    assert b"<Key>color</Key>" in tags.content


async def test_two_way_replication_copies_once_each_way(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_east, "left")
    await make_bucket(regions.s3_west, "right")
    await configure(regions.s3_east, "left", "right")
    await configure(regions.s3_west, "right", "left")
    await regions.s3_east.put("/left/from-east", body=b"e")
    await regions.s3_west.put("/right/from-west", body=b"w")

    async def settled() -> bool:
        return (
            await status_of(regions.s3_east, "/left/from-east") == "COMPLETED"
            and await status_of(regions.s3_west, "/right/from-west") == "COMPLETED"
        )

    await eventually(settled)
    for s3, bucket in ((regions.s3_east, "left"), (regions.s3_west, "right")):
        listing = (await s3.get(f"/{bucket}", query={"versions": None})).text
        assert listing.count("<Version>") == 2, listing  # one original, one replica, no echo
    assert await status_of(regions.s3_west, "/right/from-east") == "REPLICA"
    assert await status_of(regions.s3_east, "/left/from-west") == "REPLICA"


async def test_unreachable_destination_stays_pending_then_completes(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(regions.s3_east, "src", "dst")
    regions.take_down(regions.west)
    await regions.s3_east.put("/src/k", body=b"patience")
    await regions.east.db.write(lambda tx: None)
    for _ in range(20):
        assert await status_of(regions.s3_east, "/src/k") == "PENDING"
    regions.bring_up(regions.west)

    async def completed() -> bool:
        return await status_of(regions.s3_east, "/src/k") == "COMPLETED"

    await eventually(completed)


async def test_unversioned_destination_fails_with_reason(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(regions.s3_east, "src", "dst")
    body = b"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"
    await regions.s3_west.put("/dst", query={"versioning": None}, body=body)
    await regions.s3_east.put("/src/k", body=b"x")

    async def failed() -> bool:
        return await status_of(regions.s3_east, "/src/k") == "FAILED"

    await eventually(failed)
    rows = await regions.east.db.read(
        lambda tx: tx.execute("SELECT failure_reason FROM replication_tasks").fetchall()
    )
    assert [r[0] for r in rows] == ["DstBucketUnversioned"]
    assert await regions.east.db.read(lambda tx: count_tasks(tx, TaskStatus.FAILED)) == 1


async def test_delete_markers_follow_only_with_dmr_and_after_the_version(
    regions: TwoRegions,
) -> None:
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(regions.s3_east, "src", "dst", dmr="Enabled")
    await regions.s3_east.put("/src/k", body=b"x")
    deleted = await regions.s3_east.delete("/src/k")
    marker = deleted.headers["x-amz-version-id"]

    async def marker_arrived() -> bool:
        listing = (await regions.s3_west.get("/dst", query={"versions": None})).text
        return marker in listing and "<Version>" in listing

    await eventually(marker_arrived)
    assert (await regions.s3_west.get("/dst/k")).status_code == 404


async def test_prefix_filter_and_ineligible_objects_have_no_status(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(regions.s3_east, "src", "dst", prefix="logs/")
    await regions.s3_east.put("/src/other", body=b"x")
    assert await status_of(regions.s3_east, "/src/other") is None
    await regions.s3_east.put("/src/logs/a", body=b"x")

    async def completed() -> bool:
        return await status_of(regions.s3_east, "/src/logs/a") == "COMPLETED"

    await eventually(completed)
    assert (await regions.s3_west.head("/dst/other")).status_code == 404


async def test_replica_write_path_refuses_clients(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_west, "dst")
    header = json.dumps({"version_id": "x"})
    response = await regions.s3_west.put("/dst/k", body=b"x", headers={"x-ferry-replica": header})
    assert response.status_code == 403
