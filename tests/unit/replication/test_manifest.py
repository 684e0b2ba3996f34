"""CSV manifests and completion-report rows: keys URL-encoded, versions optional."""

from __future__ import annotations

import pytest

from ferry.replication.job_entries import EntryOutcome
from ferry.replication.job_report import render_results, report_prefix
from ferry.replication.manifest import (
    ManifestEntry,
    ManifestInvalid,
    parse_csv_manifest,
    render_csv_manifest,
)

KEYS = ("plain", "with space", "ünï/日本.txt", 'comma,quote"', "plus+sign", "100%")


def test_rendered_manifest_reads_back() -> None:
    entries = [ManifestEntry(bucket="b", key=k, version_id=f"v{n}") for n, k in enumerate(KEYS)]
    assert parse_csv_manifest(render_csv_manifest(entries)) == entries


def test_rows_without_version_and_ignored_fields() -> None:
    data = b"Ignore,b,a%20b\nIgnore,b,c\n\n"
    assert parse_csv_manifest(data, ["Ignore", "Bucket", "Key"]) == [
        ManifestEntry(bucket="b", key="a b"), ManifestEntry(bucket="b", key="c"),
    ]  # fmt: skip
    assert parse_csv_manifest(b"b,k,\n") == [ManifestEntry(bucket="b", key="k")]


@pytest.mark.parametrize(
    ("data", "fields"), [(b"b\n", ()), (b"\xff\xfe", ()), (b"b,k\n", ("Bucket", "VersionId"))]
)
def test_unreadable_manifests(data: bytes, fields: tuple[str, ...]) -> None:
    with pytest.raises(ManifestInvalid):
        parse_csv_manifest(data, fields)


def test_report_rows_follow_aws_example_order() -> None:
    outcomes = [
        EntryOutcome(bucket="b", key="a b", version_id="v1", succeeded=True, http_status=200,
                     error_code="", message="Successful"),
        EntryOutcome(bucket="b", key="k", version_id=None, succeeded=False, http_status=400,
                     error_code="DstBucketUnversioned", message="versioning, off"),
    ]  # fmt: skip
    assert render_results(outcomes).decode().splitlines() == [
        "b,a%20b,v1,succeeded,200,,Successful",
        'b,k,,failed,400,DstBucketUnversioned,"versioning, off"',
    ]


def test_report_prefix() -> None:
    assert report_prefix(None, "j") == "job-j"
    assert report_prefix("/reports/", "j") == "reports/job-j"
