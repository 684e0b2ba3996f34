"""A finished job's completion report, read as the user from its report bucket
(`replication.job_report`'s layout): each task's key, version, status and, when it failed,
its error code and message."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from urllib.parse import unquote

from ferry.console.gateway import ConsoleError, UserGateway, object_path
from ferry.protocol.xml.redrive_job import REDRIVE_PREFIX
from ferry.replication.job_report import report_prefix

MAX_ROWS_SHOWN = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskResult:
    key: str
    version_id: str
    status: str  # succeeded | failed
    http_status: str
    error_code: str
    message: str


async def read_results(gateway: UserGateway, bucket: str, job_id: str) -> list[TaskResult]:
    """The report's tasks, failed first; [] when there is no report (yet) or it is unreadable
    (the job's summary stands without it)."""
    manifest = f"{report_prefix(REDRIVE_PREFIX + 'reports', job_id)}/manifest.json"
    try:
        listing = json.loads(
            (await gateway.call("GET", object_path(bucket, manifest), bucket=bucket)).content
        )
        results: list[TaskResult] = []
        for result in listing.get("Results", []):
            body = (
                await gateway.call("GET", object_path(bucket, result["Key"]), bucket=bucket)
            ).content
            results += _rows(body)
    except (ConsoleError, ValueError, KeyError, TypeError, AttributeError):
        return []
    results.sort(key=lambda r: r.status != "failed")
    return results[:MAX_ROWS_SHOWN]


def _rows(body: bytes) -> list[TaskResult]:
    rows = []
    for row in csv.reader(io.StringIO(body.decode("utf-8", "replace"))):
        _, key, version, status, http_status, code, message = (row + [""] * 7)[:7]
        rows.append(
            TaskResult(
                key=unquote(key),
                version_id=version,
                status=status,
                http_status=http_status,
                error_code=code,
                message=message,
            )
        )
    return rows
