"""A job's completion report (S3 Batch Operations `Report_CSV_20180820`), written to the report
bucket through the region's own store: `{prefix/}job-{id}/manifest.json` listing the result
CSVs `job-{id}/results/{name}.csv`, one per task status, rows
`Bucket,Key,VersionId,TaskStatus,HTTPStatusCode,ErrorCode,ResultMessage` (the order of AWS's
example rows; the schema string keeps AWS's documented spelling)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from urllib.parse import quote

from ferry.protocol.xml._xml import format_timestamp
from ferry.replication.job_entries import EntryOutcome
from ferry.store import ObjectAttributes, Objects, PayloadDigest, Version

REPORT_FORMAT = "Report_CSV_20180820"
REPORT_SCHEMA = "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"
REPORT_CONTENT_TYPE = "text/csv"


class BytesBody:
    """A small in-memory body (reports and generated manifests) for `Objects.put`."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def _chunks(self) -> AsyncIterator[bytes]:
        yield self._data

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    def update(self, chunk: bytes) -> None:
        pass

    def finish(self) -> PayloadDigest:
        return PayloadDigest(size=len(self._data), md5_hex=hashlib.md5(self._data).hexdigest())


async def put_bytes(
    objects: Objects, bucket: str, key: str, data: bytes, *, owner_id: str, content_type: str
) -> Version:
    await objects.bucket(bucket)  # NoSuchBucket before anything is stored
    attrs = ObjectAttributes(content_headers=(("Content-Type", content_type),))
    return await objects.put(bucket, key, BytesBody(data), owner_id=owner_id, attrs=attrs)


def render_results(outcomes: Sequence[EntryOutcome]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for o in outcomes:
        writer.writerow([
            o.bucket, quote(o.key, safe="/"), o.version_id or "",
            "succeeded" if o.succeeded else "failed", o.http_status, o.error_code, o.message,
        ])  # fmt: skip
    return out.getvalue().encode()


def report_prefix(prefix: str | None, job_id: str) -> str:
    base = (prefix or "").strip("/")
    return f"{base}/job-{job_id}" if base else f"job-{job_id}"


async def write_report(
    objects: Objects,
    *,
    bucket: str,
    prefix: str | None,
    job_id: str,
    outcomes: Sequence[EntryOutcome],
    owner_id: str,
    now: datetime,
) -> str:
    """Write the result CSVs and their manifest.json; returns the manifest's key."""
    root = report_prefix(prefix, job_id)
    results = []
    for name, succeeded in (("succeeded", True), ("failed", False)):
        rows = [o for o in outcomes if o.succeeded is succeeded]
        if not rows:
            continue
        data = render_results(rows)
        key = f"{root}/results/{hashlib.sha1(f'{job_id}/{name}'.encode()).hexdigest()}.csv"
        await put_bytes(
            objects, bucket, key, data, owner_id=owner_id, content_type=REPORT_CONTENT_TYPE
        )
        results.append({
            "TaskExecutionStatus": name, "Bucket": bucket,
            "MD5Checksum": hashlib.md5(data).hexdigest(), "Key": key,
        })  # fmt: skip
    manifest = {
        "Format": REPORT_FORMAT,
        "ReportCreationDate": format_timestamp(now),
        "Results": results,
        "ReportSchema": REPORT_SCHEMA,
    }
    key = f"{root}/manifest.json"
    await put_bytes(
        objects, bucket, key, json.dumps(manifest, indent=1).encode(), owner_id=owner_id,
        content_type="application/json",
    )  # fmt: skip
    return key
