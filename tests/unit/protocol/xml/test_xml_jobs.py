"""S3 Control job codecs: what botocore's s3control serializer sends parses, and every response
Ferry renders is read by botocore's own parser as the intended dict."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.parsers import RestXMLParser
from botocore.serialize import create_serializer
from botocore.session import get_session

from ferry.protocol.errors import S3Error
from ferry.protocol.xml.job_render import (
    JobProgress,
    JobView,
    render_control_error,
    render_create_job,
    render_describe_job,
    render_list_jobs,
    render_update_job_priority,
    render_update_job_status,
)
from ferry.protocol.xml.jobs import (
    GeneratorFilter,
    JobReport,
    KeyNameConstraint,
    bucket_of_arn,
    object_of_arn,
    parse_create_job,
)

MODEL = get_session().get_service_model("s3control")
REPORT: dict[str, Any] = {
    "Bucket": "arn:aws:s3:::reports", "Format": "Report_CSV_20180820", "Enabled": True,
    "Prefix": "p", "ReportScope": "FailedTasksOnly",
}  # fmt: skip
MANIFEST: dict[str, Any] = {
    "Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key", "VersionId"]},
    "Location": {"ObjectArn": "arn:aws:s3:::m/list.csv", "ETag": "abc", "ObjectVersionId": "v1"},
}  # fmt: skip
GENERATOR: dict[str, Any] = {"S3JobManifestGenerator": {
    "SourceBucket": "arn:aws:s3:::src", "EnableManifestOutput": True,
    "ManifestOutputLocation": {"Bucket": "arn:aws:s3:::out", "ManifestPrefix": "gen",
                               "ManifestFormat": "S3InventoryReport_CSV_20211130"},
    "Filter": {"EligibleForReplication": True,
               "CreatedAfter": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
               "CreatedBefore": datetime(2025, 1, 2, tzinfo=UTC),
               "ObjectReplicationStatuses": ["NONE", "FAILED"],
               "KeyNameConstraint": {"MatchAnyPrefix": ["a/"], "MatchAnySuffix": [".txt"],
                                     "MatchAnySubstring": ["mid"]}},
}}  # fmt: skip


def _body(operation: str, params: dict[str, Any]) -> bytes:
    request = create_serializer("rest-xml").serialize_to_request(
        {"AccountId": "123456789012", **params}, MODEL.operation_model(operation)
    )
    body = request["body"]
    return body if isinstance(body, bytes) else body.encode()


def _parse(operation: str, body: bytes, status: int = 200) -> dict[str, Any]:
    shape = MODEL.operation_model(operation).output_shape
    parsed: dict[str, Any] = RestXMLParser().parse(
        {"body": body, "headers": {}, "status_code": status}, shape
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


def _create(**extra: Any) -> dict[str, Any]:
    return {
        "Operation": {"S3ReplicateObject": {}}, "Report": REPORT, "ClientRequestToken": "tok",
        "Priority": 7, "RoleArn": "arn:aws:iam::123456789012:role/batch", **extra,
    }  # fmt: skip


def test_create_job_with_csv_manifest_from_botocore_parses() -> None:
    request = parse_create_job(_body("CreateJob", _create(Manifest=MANIFEST,
                                                          ConfirmationRequired=False)))  # fmt: skip
    assert request.operation == "S3ReplicateObject"
    assert request.confirmation_required is False
    assert request.priority == 7 and request.client_request_token == "tok"
    assert request.report == JobReport(enabled=True, bucket="arn:aws:s3:::reports",
                                       format="Report_CSV_20180820", prefix="p",
                                       scope="FailedTasksOnly")  # fmt: skip
    assert request.manifest is not None
    assert request.manifest.fields == ("Bucket", "Key", "VersionId")
    assert request.manifest.location.object_version_id == "v1"


def test_create_job_with_manifest_generator_from_botocore_parses() -> None:
    request = parse_create_job(_body("CreateJob", _create(ManifestGenerator=GENERATOR)))
    assert request.confirmation_required is None
    generator = request.generator
    assert generator is not None and generator.output is not None
    assert generator.output.prefix == "gen"
    assert generator.filter == GeneratorFilter(
        eligible_for_replication=True,
        created_after=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        created_before=datetime(2025, 1, 2, tzinfo=UTC),
        statuses=("NONE", "FAILED"),
        key_name=KeyNameConstraint(prefixes=("a/",), suffixes=(".txt",), substrings=("mid",)),
    )


def test_create_job_other_operation_is_kept_by_name() -> None:
    body = _body("CreateJob", _create(Operation={"S3PutObjectTagging": {"TagSet": []}},
                                      Manifest=MANIFEST))  # fmt: skip
    assert parse_create_job(body).operation == "S3PutObjectTagging"


@pytest.mark.parametrize(
    "body",
    [
        b"<CreateJobRequest/>",
        b"<Other/>",
        b"<CreateJobRequest><Operation><S3ReplicateObject/></Operation></CreateJobRequest>",
    ],
)
def test_malformed_create_job_is_refused(body: bytes) -> None:
    with pytest.raises(S3Error):
        parse_create_job(body)


def test_both_manifest_and_generator_is_refused() -> None:
    with pytest.raises(S3Error):
        parse_create_job(
            _body("CreateJob", _create(Manifest=MANIFEST, ManifestGenerator=GENERATOR))
        )


def test_arns() -> None:
    assert bucket_of_arn("arn:aws:s3:::b") == "b"
    assert object_of_arn("arn:aws:s3:::b/k/x.csv") == ("b", "k/x.csv")
    for bad in ("b", "arn:aws:s3:::", "arn:aws:s3:::b/k"):
        with pytest.raises(S3Error):
            bucket_of_arn(bad)
    with pytest.raises(S3Error):
        object_of_arn("arn:aws:s3:::b")


def _view(**extra: Any) -> JobView:
    request = parse_create_job(_body("CreateJob", _create(ManifestGenerator=GENERATOR)))
    fields: dict[str, Any] = {
        "job_id": "0f3c-1234-abcd",
        "job_arn": "arn:aws:s3:us-east-1:123456789012:job/0f3c-1234-abcd",
        "status": "Active", "operation": "S3ReplicateObject", "priority": 7,
        "confirmation_required": True, "role_arn": request.role_arn, "report": request.report,
        "creation_time": datetime(2026, 1, 1, tzinfo=UTC),
        "progress": JobProgress(total=10, succeeded=6, failed=1, elapsed_active_s=3),
        "description": "redrive <&>", "generator": request.generator,
    }  # fmt: skip
    return JobView(**{**fields, **extra})


def test_describe_job_renders_for_botocore() -> None:
    view = _view(
        failure_reasons=(("ManifestETagMismatch", "nope"),),
        termination_date=datetime(2026, 1, 2, tzinfo=UTC),
        suspended_date=datetime(2026, 1, 1, 1, tzinfo=UTC), suspended_cause="AwaitingConfirmation",
        status_update_reason="because",
    )  # fmt: skip
    job = _parse("DescribeJob", render_describe_job(view))["Job"]
    assert job["JobId"] == "0f3c-1234-abcd" and job["Status"] == "Active"
    assert job["Operation"] == {"S3ReplicateObject": {}}
    assert job["ProgressSummary"] == {
        "TotalNumberOfTasks": 10, "NumberOfTasksSucceeded": 6, "NumberOfTasksFailed": 1,
        "Timers": {"ElapsedTimeInActiveSeconds": 3},
    }  # fmt: skip
    assert job["Report"] == REPORT
    assert job["ManifestGenerator"] == GENERATOR
    assert job["FailureReasons"] == [
        {"FailureCode": "ManifestETagMismatch", "FailureReason": "nope"}
    ]
    assert job["Description"] == "redrive <&>"
    assert job["SuspendedCause"] == "AwaitingConfirmation"
    assert job["TerminationDate"] == datetime(2026, 1, 2, tzinfo=UTC)


def test_describe_job_with_csv_manifest_renders_for_botocore() -> None:
    request = parse_create_job(_body("CreateJob", _create(Manifest=MANIFEST)))
    job = _parse("DescribeJob", render_describe_job(_view(generator=None, manifest=request.manifest,
                                                          progress=None)))["Job"]  # fmt: skip
    assert job["Manifest"] == MANIFEST
    assert "ProgressSummary" not in job


def test_list_jobs_renders_for_botocore() -> None:
    parsed = _parse("ListJobs", render_list_jobs([_view(), _view(job_id="second-job")], "2"))
    assert parsed["NextToken"] == "2"
    assert [j["JobId"] for j in parsed["Jobs"]] == ["0f3c-1234-abcd", "second-job"]
    assert parsed["Jobs"][0]["Operation"] == "S3ReplicateObject"
    assert parsed["Jobs"][0]["ProgressSummary"]["NumberOfTasksSucceeded"] == 6
    assert _parse("ListJobs", render_list_jobs([], None)) == {"Jobs": []}


def test_small_responses_render_for_botocore() -> None:
    assert _parse("CreateJob", render_create_job("job-1")) == {"JobId": "job-1"}
    assert _parse("UpdateJobStatus", render_update_job_status("job-1", "Cancelled", "why")) == {
        "JobId": "job-1", "Status": "Cancelled", "StatusUpdateReason": "why",
    }  # fmt: skip
    assert _parse("UpdateJobPriority", render_update_job_priority("job-1", 3)) == {
        "JobId": "job-1", "Priority": 3,
    }  # fmt: skip


def test_control_error_renders_for_botocore() -> None:
    parsed = _parse("DescribeJob", render_control_error("NotFoundException", "gone", "r1"), 404)
    assert parsed["Error"] == {"Code": "NotFoundException", "Message": "gone"}


@pytest.mark.parametrize(
    "fragment",
    [
        b"<Operation/>",
        b"<Operation><S3ReplicateObject/><LambdaInvoke/></Operation>",
    ],
)
def test_operation_must_name_exactly_one(fragment: bytes) -> None:
    body = _body("CreateJob", _create(Manifest=MANIFEST))
    start, end = body.index(b"<Operation>"), body.index(b"</Operation>") + len(b"</Operation>")
    with pytest.raises(S3Error):
        parse_create_job(body[:start] + fragment + body[end:])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<member>VersionId</member>", b"<member>Size</member>"),
        (b"<member>FAILED</member>", b"<member>PENDING</member>"),
        (b"2024-01-02T03:04:05Z", b"yesterday"),
    ],
)
def test_invalid_values_are_refused(old: bytes, new: bytes) -> None:
    body = (
        _body("CreateJob", _create(Manifest=MANIFEST))
        if b"Version" in old
        else _body("CreateJob", _create(ManifestGenerator=GENERATOR))
    )
    assert old in body
    with pytest.raises(S3Error):
        parse_create_job(body.replace(old, new))


def test_epoch_seconds_and_naive_timestamps_are_read_as_utc() -> None:
    body = _body("CreateJob", _create(ManifestGenerator=GENERATOR))
    body = body.replace(b"2024-01-02T03:04:05Z", b"1704164645")
    body = body.replace(b"2025-01-02T00:00:00Z", b"2025-01-02T00:00:00")
    generator = parse_create_job(body).generator
    assert generator is not None and generator.filter is not None
    assert generator.filter.created_after == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert generator.filter.created_before == datetime(2025, 1, 2, tzinfo=UTC)


def test_minimal_generator_renders_for_botocore() -> None:
    minimal = {"S3JobManifestGenerator": {"SourceBucket": "arn:aws:s3:::src",
                                          "EnableManifestOutput": False}}  # fmt: skip
    request = parse_create_job(_body("CreateJob", _create(ManifestGenerator=minimal)))
    job = _parse("DescribeJob", render_describe_job(_view(generator=request.generator)))["Job"]
    assert job["ManifestGenerator"] == minimal
