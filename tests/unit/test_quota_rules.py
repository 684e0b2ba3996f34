"""Pure quota logic: which limit a write breaks, the error clients and the replicator see, and
the sizes operators type."""

from __future__ import annotations

import pytest

from ferry.api.admin import AdminError
from ferry.api.admin.quotas import parse_quota
from ferry.api.errors import to_s3_error
from ferry.cli.quota import parse_size, render_size
from ferry.client import RemoteS3Error
from ferry.replication.replicator import classify_remote
from ferry.replication.retry import FailureReason
from ferry.replication.tasks import Operation
from ferry.store import BucketQuota, BucketUsage
from ferry.store.errors import BucketQuotaExceeded
from ferry.store.quotas import QuotaLimit, exceeded_limit

FULLISH = BucketUsage(stored_bytes=700, objects=3, upload_bytes=200)


@pytest.mark.parametrize(
    ("quota", "added_bytes", "added_objects", "expected"),
    [
        (BucketQuota(max_bytes=1000), 100, 1, None),  # exactly at the limit is allowed
        (BucketQuota(max_bytes=1000), 101, 1, QuotaLimit.BYTES),  # uploads count too
        (BucketQuota(max_bytes=500), 0, 0, None),  # already over: a no-growth write passes
        (BucketQuota(max_bytes=500), -10, 1, None),  # frees bytes: only objects matter
        (BucketQuota(max_objects=4), 5, 1, None),
        (BucketQuota(max_objects=3), 5, 1, QuotaLimit.OBJECTS),
        (BucketQuota(max_objects=3), 5, 0, None),  # an overwrite keeps the count
        (BucketQuota(), 10**12, 10**6, None),
    ],
)
def test_exceeded_limit(
    quota: BucketQuota, added_bytes: int, added_objects: int, expected: QuotaLimit | None
) -> None:
    got = exceeded_limit(quota, FULLISH, added_bytes=added_bytes, added_objects=added_objects)
    assert got == expected


def test_quota_error_is_minio_code_with_status_400_and_bucket_name() -> None:
    error = to_s3_error(BucketQuotaExceeded("Bucket quota exceeded: more", bucket="b"))
    assert (error.code.value, error.status) == ("XMinioAdminBucketQuotaExceeded", 400)
    assert error.fields["BucketName"] == "b"
    assert error.message == "Bucket quota exceeded: more"


@pytest.mark.parametrize("operation", list(Operation))
def test_destination_quota_refusal_is_a_permanent_ferry_reason(operation: Operation) -> None:
    error = RemoteS3Error("XMinioAdminBucketQuotaExceeded", 400, "Bucket quota exceeded")
    reason = classify_remote(error, operation)
    assert reason is FailureReason.DstBucketQuotaExceeded
    assert not reason.is_transient


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("0", 0),
        ("1048576", 1_048_576),
        ("10K", 10_000),
        ("10k", 10_000),
        ("10Ki", 10_240),
        ("5MiB", 5 * 2**20),
        ("2GB", 2_000_000_000),
        ("1Ti", 2**40),
        (" 3 gi ", 3 * 2**30),
    ],
)
def test_parse_size_takes_minio_suffixes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "-1", "1.5G", "10X", "G", "10 KiBs"])
def test_parse_size_rejects_what_is_not_a_size(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


def test_render_size_for_people() -> None:
    assert render_size(999) == "999 B"
    assert render_size(1536) == "1.5 KiB (1536)"
    assert render_size(5 * 2**30) == "5.0 GiB (5368709120)"


def test_admin_query_parameters_become_a_quota() -> None:
    assert parse_quota({"max_bytes": "10", "max_objects": ""}) == BucketQuota(max_bytes=10)
    assert parse_quota({"max_objects": "3"}) == BucketQuota(max_objects=3)
    with pytest.raises(AdminError) as refused:
        parse_quota({"max_bytes": "10G"})
    assert (refused.value.status, refused.value.code) == (400, "InvalidArgument")
