"""The audit trail and server access logging in process: PutBucketLogging/GetBucketLogging,
every request recorded by the pipeline, one delivery round writing the log object."""

from __future__ import annotations

import asyncio

from ferry.events.trail import TrailFilter, query_trail
from ferry.region import Region
from tests.integration.s3 import S3, error_of, parse_xml, texts

LOGGING = (
    b"<BucketLoggingStatus><LoggingEnabled><TargetBucket>it-logs</TargetBucket>"
    b"<TargetPrefix>l/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>"
)


async def _events(region: Region, where: TrailFilter, count: int) -> list[str]:
    assert region.trail is not None
    directory = region.services.region.data_dir / "trail"
    for _ in range(100):
        found = [e.event_name for e in query_trail([directory], where, limit=None)]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {found}")


async def test_put_and_get_bucket_logging(s3: S3, bucket: str) -> None:
    assert (await s3.put("/it-logs")).status_code == 200
    assert (await s3.put(f"/{bucket}", LOGGING, query={"logging": None})).status_code == 200
    got = parse_xml(await s3.get(f"/{bucket}", query={"logging": None}))
    assert texts(got, "LoggingEnabled/TargetBucket") == ["it-logs"]
    assert texts(got, "LoggingEnabled/TargetPrefix") == ["l/"]
    off = b"<BucketLoggingStatus/>"
    assert (await s3.put(f"/{bucket}", off, query={"logging": None})).status_code == 200
    empty = await s3.get(f"/{bucket}", query={"logging": None})
    assert b"LoggingEnabled" not in empty.content


async def test_missing_target_and_malformed_status(s3: S3, bucket: str) -> None:
    missing = await s3.put(f"/{bucket}", LOGGING, query={"logging": None})
    error_of(missing, 400, "InvalidTargetBucketForLogging")
    bad = await s3.put(
        f"/{bucket}", b"<BucketLoggingStatus><LoggingEnabled/>", query={"logging": None}
    )
    error_of(bad, 400, "MalformedXML")


async def test_pipeline_records_each_request_and_delivery_writes_the_log(
    region: Region, s3: S3, bucket: str
) -> None:
    assert region.access_logs is not None
    await region.access_logs.deliver()  # the first round starts the cursor at "now"
    assert (await s3.put("/it-logs")).status_code == 200
    assert (await s3.put(f"/{bucket}", LOGGING, query={"logging": None})).status_code == 200
    assert (await s3.put(f"/{bucket}/k", b"data")).status_code == 200
    assert (await s3.get(f"/{bucket}/nope")).status_code == 404
    names = await _events(region, TrailFilter(bucket=bucket), 4)
    assert names[:3] == ["GetObject", "PutObject", "PutBucketLogging"]
    assert await region.access_logs.deliver() >= 3
    listed = parse_xml(await s3.get("/it-logs", query={"list-type": "2"}))
    [key] = texts(listed, "Contents/Key")
    lines = (await s3.get(f"/it-logs/{key}")).text.splitlines()
    assert any(" REST.PUT.OBJECT k " in line and " 200 " in line for line in lines)
    assert any(" REST.GET.OBJECT nope " in line and " 404 NoSuchKey " in line for line in lines)
    # writing the log object made no event of its own
    await asyncio.sleep(0.3)
    assert [
        e
        for e in query_trail(
            [region.services.region.data_dir / "trail"],
            TrailFilter(bucket="it-logs", event_name="PutObject"),
        )
    ] == []
