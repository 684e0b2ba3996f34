"""The trail's records, segments, writer and queries, on real segment files in a tmp dir."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from ferry.events.trail import (
    S3_SERVICE,
    TrailEvent,
    TrailFilter,
    TrailWriter,
    WriterSettings,
    query_trail,
    redact_query,
    segments,
    to_access_log_line,
    to_cloudtrail,
)

T0 = 1_764_806_400_000  # 2025-12-04T00:00:00Z


def event(i: int = 0, **changes: object) -> TrailEvent:
    base = TrailEvent(
        time_ms=T0 + i, event_source=S3_SERVICE, event_name="PutObject", region="us-east-1",
        source_ip="10.0.0.1", user_agent="aws-cli/2", identity_type="IAMUser",
        principal_id="AIDAX", arn="arn:aws:iam::123456789012:user/ana",
        account_id="123456789012", access_key_id="AKIAX", invoked_by="", session_issuer="",
        bucket="b", key=f"k{i}", version_id=f"v{i}", error_code="", error_message="",
        request_id=f"R{i}", event_id=f"E{i}", http_status=200, method="PUT",
        request_uri=f"/b/k{i}", bytes_sent=0, object_size=5, total_ms=4, turnaround_ms=3,
        referer="", host="b.s3.local", signature_version="SigV4", auth_type="AuthHeader",
        bucket_owner="", response_elements=f'{{"x-amz-version-id":"v{i}"}}',
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_presigned_signature_and_token_values_are_redacted_names_kept() -> None:
    query = "X-Amz-Credential=AK%2F1&X-Amz-Signature=abc123&x-amz-security-token=tok&a=1"
    assert redact_query(query) == (
        "X-Amz-Credential=AK%2F1&X-Amz-Signature=REDACTED&x-amz-security-token=REDACTED&a=1"
    )


def test_cloudtrail_record_of_a_replica_write_names_s3_as_the_invoker() -> None:
    replica = event(
        identity_type="AssumedRole", invoked_by=S3_SERVICE,
        arn="arn:aws:sts::123456789012:assumed-role/r/s3-replication",
        session_issuer="arn:aws:iam::123456789012:role/r", principal_id="AROAX:s3-replication",
    )  # fmt: skip
    record = to_cloudtrail(replica)
    identity = record["userIdentity"]
    assert identity["invokedBy"] == S3_SERVICE and identity["type"] == "AssumedRole"
    assert identity["sessionContext"]["sessionIssuer"]["arn"].endswith(":role/r")
    assert record["sourceIPAddress"] == S3_SERVICE
    assert record["requestParameters"] == {
        "bucketName": "b", "Host": "b.s3.local", "key": "k0", "versionId": "v0",
    }  # fmt: skip
    assert record["responseElements"] == {"x-amz-version-id": "v0"}
    assert record["eventTime"] == "2025-12-04T00:00:00Z" and record["eventCategory"] == "Data"
    assert "errorCode" not in to_cloudtrail(event()) and "invokedBy" not in to_cloudtrail(event())


def test_access_log_line_has_awss_fields_in_order() -> None:
    line = to_access_log_line(event(key="a b.txt", bucket_owner="OWNER"))
    assert line.startswith("OWNER b [04/Dec/2025:00:00:00 +0000] 10.0.0.1 ")
    assert (
        ' REST.PUT.OBJECT a%20b.txt "PUT /b/k0 HTTP/1.1" 200 - - 5 4 3 "-" "aws-cli/2" v0 ' in line
    )
    assert line.endswith(" SigV4 - AuthHeader b.s3.local - - -")
    anonymous = to_access_log_line(event(identity_type="AWSAccount", arn=""))
    assert anonymous.split(" ")[5] == "-"


def test_writer_batches_seals_and_queries_filter_newest_first(tmp_path: Path) -> None:
    writer = TrailWriter(
        WriterSettings(directory=tmp_path, writer="w", flush_records=10, flush_ms=20),
        now_ms=lambda: T0,
    )
    writer.start()
    for i in range(25):
        writer.record(event(i, invoked_by=S3_SERVICE if i % 5 == 0 else ""))
    assert writer.wait_written(25, timeout_s=10)
    # readable while the segment is open
    assert [e.key for e in query_trail([tmp_path], TrailFilter(key="k3"))] == ["k3"]
    writer.stop()
    [segment] = segments.list_segments(tmp_path)
    assert segment.end_ms == T0 + 24 and segment.start_ms == T0
    replicas = list(query_trail([tmp_path], TrailFilter(invoked_by=S3_SERVICE), limit=None))
    assert [e.key for e in replicas] == ["k20", "k15", "k10", "k5", "k0"]
    users = list(query_trail([tmp_path], TrailFilter(invoked_by=""), limit=3))
    assert [e.key for e in users] == ["k24", "k23", "k22"]
    assert list(query_trail([tmp_path], TrailFilter(since_ms=T0 + 25))) == []


def test_a_crashed_writers_open_segment_is_sealed_by_its_successor(tmp_path: Path) -> None:
    crashed = segments.SegmentFile(tmp_path, "w", T0)
    crashed.append([event(7).as_row()])  # never sealed: the process died
    writer = TrailWriter(WriterSettings(directory=tmp_path, writer="w"), now_ms=lambda: T0)
    writer.start()
    writer.stop()
    [segment] = segments.list_segments(tmp_path)
    assert segment.end_ms == T0 + 7
    assert [e.key for e in query_trail([tmp_path], TrailFilter())] == ["k7"]


def test_a_segment_killed_before_its_table_was_made_is_removed_at_start(
    tmp_path: Path,
) -> None:
    # kill -9 between creating the file and its schema: the region must still start.
    (tmp_path / f"{T0}-w{segments.OPEN_SUFFIX}").write_bytes(b"")
    writer = TrailWriter(WriterSettings(directory=tmp_path, writer="w"), now_ms=lambda: T0 + 1)
    writer.start()
    writer.stop()
    assert segments.list_segments(tmp_path) == []
    assert list(query_trail([tmp_path], TrailFilter())) == []


def test_retention_deletes_only_sealed_segments_older_than_it(tmp_path: Path) -> None:
    for start in (T0, T0 + 10_000):
        s = segments.SegmentFile(tmp_path, f"w{start}", start)
        s.append([event(start - T0).as_row()])
        s.seal()
    assert segments.delete_expired(tmp_path, before_ms=T0 + 5_000) == 1
    assert [s.start_ms for s in segments.list_segments(tmp_path)] == [T0 + 10_000]


def test_since_skips_sealed_segments_by_name(tmp_path: Path) -> None:
    old = segments.SegmentFile(tmp_path, "w", T0)
    old.append([event(0).as_row()])
    old_path = old.seal()
    old_path.write_bytes(b"not a database: it must not be opened")
    new = segments.SegmentFile(tmp_path, "w", T0 + 60_000)
    new.append([event(60_000).as_row()])
    found = list(query_trail([tmp_path], TrailFilter(since_ms=T0 + 30_000)))
    assert [e.key for e in found] == ["k60000"]


def test_writer_never_blocks_a_request_when_it_falls_behind(tmp_path: Path) -> None:
    writer = TrailWriter(
        WriterSettings(directory=tmp_path, writer="w", max_pending=3), now_ms=lambda: T0
    )  # not started: nothing drains the queue
    began = time.monotonic()
    for i in range(10):
        writer.record(event(i))
    assert time.monotonic() - began < 1 and writer.dropped == 7
