"""Put/Get/DeleteBucketReplication against a real server, with boto3 and the aws CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.server import FerryServer
from tests.live.test_aws_cli import run_aws

ACCOUNT_ID = "000000000001"  # the server's root account (FERRY_ROOT_ACCOUNT_ID default)

# The two configurations of the AWS Storage Blog post "Managing delete marker replication in
# Amazon S3", exactly as printed there.
BLOG_V1 = """{
    "Role": " IAM-role-ARN ",
    "Rules": [
        {
            "ID": "Replication V1 Rule",
            "Prefix": "",
            "Status": "Enabled",
            "Destination": {
                "Bucket": "arn:aws:s3:::<destination-bucket>"
            }
        }
    ]
}"""
BLOG_V2 = """{
    "Role": "IAM-role-ARN",
    "Rules": [
        {
            "ID": "Replication V2 Rule",
            "Priority": 1,
            "Filter": {},
            "Status": "Enabled",
            "Destination": {
                "Bucket": "arn:aws:s3:::<destination-bucket>"
            },
            "DeleteMarkerReplication": {
                "Status": "Disabled"
            }
        }
    ]
}"""


@pytest.fixture
def destination(s3: Any, versioned_bucket: str) -> str:
    name = f"{versioned_bucket}-dst"[:63]
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def full_configuration(destination: str) -> dict[str, Any]:
    return {
        "Role": "arn:aws:iam::000000000001:role/replication",
        "Rules": [
            {
                "ID": "everything",
                "Priority": 10,
                "Filter": {
                    "And": {"Prefix": "logs/", "Tags": [{"Key": "team", "Value": "storage"}]}
                },
                "Status": "Enabled",
                "SourceSelectionCriteria": {
                    "SseKmsEncryptedObjects": {"Status": "Enabled"},
                    "ReplicaModifications": {"Status": "Enabled"},
                },
                "Destination": {
                    "Bucket": f"arn:aws:s3:::{destination}",
                    "Account": ACCOUNT_ID,
                    "StorageClass": "STANDARD_IA",
                    "AccessControlTranslation": {"Owner": "Destination"},
                    "EncryptionConfiguration": {
                        "ReplicaKmsKeyID": "arn:aws:kms:us-east-1:000000000001:key/replica"
                    },
                    "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                    "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
                },
                "DeleteMarkerReplication": {"Status": "Disabled"},
            },
            {
                "ID": "prefix-only",
                "Priority": 1,
                "Filter": {"Prefix": ""},
                "Status": "Disabled",
                "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
                "DeleteMarkerReplication": {"Status": "Enabled"},
            },
        ],
    }


@pytest.mark.parametrize("template", [BLOG_V1, BLOG_V2], ids=["v1", "v2"])
def test_blog_configurations_round_trip_through_the_aws_cli(
    server: FerryServer, versioned_bucket: str, destination: str, tmp_path: Path, template: str
) -> None:
    text = template.replace("<destination-bucket>", destination)
    path = tmp_path / "replication.json"
    path.write_text(text)
    source = versioned_bucket

    run_aws(server, "s3api", "put-bucket-replication", "--bucket", source,
            "--replication-configuration", f"file://{path}")  # fmt: skip
    got = json.loads(run_aws(server, "s3api", "get-bucket-replication", "--bucket", source))

    assert got == {"ReplicationConfiguration": json.loads(text)}


def test_full_configuration_round_trips_through_boto3(
    s3: Any, versioned_bucket: str, destination: str
) -> None:
    configuration = full_configuration(destination)

    put = s3.put_bucket_replication(Bucket=versioned_bucket, ReplicationConfiguration=configuration)
    got = s3.get_bucket_replication(Bucket=versioned_bucket)

    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["ReplicationConfiguration"] == configuration


def test_status_before_filter_is_accepted(s3: Any, versioned_bucket: str, destination: str) -> None:
    rule = {
        "Status": "Enabled",
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
        "Filter": {},
        "Priority": 1,
        "ID": "dict-order",
    }
    configuration = {"Rules": [rule], "Role": "role"}

    s3.put_bucket_replication(Bucket=versioned_bucket, ReplicationConfiguration=configuration)

    got = s3.get_bucket_replication(Bucket=versioned_bucket)["ReplicationConfiguration"]
    assert got == configuration


def test_rule_without_id_comes_back_with_a_generated_one(
    s3: Any, versioned_bucket: str, destination: str
) -> None:
    rule = {
        "Prefix": "",
        "Status": "Enabled",
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
    }
    s3.put_bucket_replication(
        Bucket=versioned_bucket, ReplicationConfiguration={"Role": "r", "Rules": [rule]}
    )

    [got] = s3.get_bucket_replication(Bucket=versioned_bucket)["ReplicationConfiguration"]["Rules"]

    assert got.pop("ID")
    assert got == rule


def _v2(destination: str, **overrides: Any) -> dict[str, Any]:
    rule = {
        "ID": "rule",
        "Priority": 1,
        "Filter": {},
        "Status": "Enabled",
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
        "DeleteMarkerReplication": {"Status": "Disabled"},
    }
    rule.update(overrides)
    return {k: v for k, v in rule.items() if v is not None}


def _rtc(time: dict[str, Any] | None, metrics: dict[str, Any] | None) -> dict[str, Any]:
    return {"ReplicationTime": time, "Metrics": metrics}


_GUIDE = "Please refer to S3 Developer Guide for more information."
_DEST = "arn:aws:s3:::{destination}"
_ON = {"Status": "Enabled", "Time": {"Minutes": 15}}
_METRICS_ON = {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}

# (case, rules (with "{destination}" placeholders), code, message)
INVALID: list[tuple[str, list[dict[str, Any]], str, str]] = [
    ("v2-without-priority", [{"Priority": None}], "InvalidRequest",
     "Priority must be specified for this version of Cross Region Replication configuration "
     f"schema.{_GUIDE}"),
    ("v2-without-dmr", [{"DeleteMarkerReplication": None}], "InvalidRequest",
     "DeleteMarkerReplication must be specified for this version of Cross Region Replication "
     f"configuration schema. {_GUIDE}"),
    ("v1-with-dmr", [{"Filter": None, "Priority": None, "Prefix": ""}], "InvalidRequest",
     "DeleteMarkerReplication cannot be used for this version of Cross Region Replication "
     f"configuration schema. {_GUIDE}"),
    ("tag-filter-with-dmr", [{"Filter": {"Tag": {"Key": "k", "Value": "v"}},
     "DeleteMarkerReplication": {"Status": "Enabled"}}], "InvalidRequest",
     f"Delete marker replication is not supported if any Tag filter is specified. {_GUIDE}"),
    ("duplicate-priority", [{"ID": "a"}, {"ID": "b"}], "InvalidRequest",
     "Found duplicate priority 1."),
    ("duplicate-id", [{"Priority": 1}, {"Priority": 2}], "InvalidArgument",
     "Rule Id must be unique"),
    ("non-ascii-id", [{"ID": "règle"}], "InvalidArgument",
     "Rule ID must not contain non-ASCII characters"),
    ("existing-object-replication", [{"ExistingObjectReplication": {"Status": "Enabled"}}],
     "MalformedXML", "The XML you provided was not well-formed or did not validate against our "
     "published schema"),
    ("owner-override-without-account", [{"Destination": {"Bucket": _DEST,
     "AccessControlTranslation": {"Owner": "Destination"}}}], "InvalidRequest",
     "The <Owner> in <AccessControlTranslation> has a value, so the <Account> element must be "
     "specified."),
    ("account-of-someone-else", [{"Destination": {"Bucket": _DEST, "Account": "123456789012"}}],
     "InvalidArgument", "The AWS account specified in the <Account> element must match the "
     "destination bucket owner."),
    ("rtc-without-metrics", [{"Destination": {"Bucket": _DEST, "ReplicationTime": _ON}}],
     "InvalidRequest", "The replication destination must contain both ReplicationTime and "
     "Metrics, or neither."),
    ("rtc-minutes-not-15", [{"Destination": {"Bucket": _DEST, "ReplicationTime": {
     "Status": "Enabled", "Time": {"Minutes": 10}}, "Metrics": _METRICS_ON}}],
     "InvalidArgument", "Replication-ReplicationTimeValue-Minutes value must be 15"),
    ("threshold-without-rtc", [{"Destination": {"Bucket": _DEST, "Metrics": _METRICS_ON}}],
     "InvalidArgument", "Metrics cannot contain an event threshold when ReplicationTime is not "
     "specified or Disabled"),
    ("sse-kms-without-replica-key", [{"SourceSelectionCriteria": {"SseKmsEncryptedObjects":
     {"Status": "Enabled"}}}], "InvalidRequest",
     "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present."),
    ("source-as-destination", [{"Destination": {"Bucket": "arn:aws:s3:::{source}"}}],
     "InvalidRequest", "Destination bucket cannot be the same as the source bucket."),
]  # fmt: skip


def _fill(value: Any, **names: str) -> Any:
    if isinstance(value, str):
        return value.replace("{destination}", names["destination"]).replace(
            "{source}", names["source"]
        )
    if isinstance(value, dict):
        return {k: _fill(v, **names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, **names) for v in value]
    return value


@pytest.mark.parametrize(
    ("rules", "code", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_configuration_is_refused_with_aws_code_and_message(
    s3: Any,
    versioned_bucket: str,
    destination: str,
    rules: list[dict[str, Any]],
    code: str,
    message: str,
) -> None:
    filled = _fill(copy.deepcopy(rules), destination=destination, source=versioned_bucket)
    configuration = {"Role": "r", "Rules": [_v2(destination, **rule) for rule in filled]}

    with pytest.raises(ClientError) as caught:
        s3.put_bucket_replication(Bucket=versioned_bucket, ReplicationConfiguration=configuration)

    error = caught.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (code, message)
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unversioned_source_or_destination_is_refused(s3: Any, bucket: str) -> None:
    unversioned_destination = f"{bucket}-plain"[:63]
    s3.create_bucket(Bucket=unversioned_destination)
    configuration = {"Role": "r", "Rules": [_v2(unversioned_destination)]}

    with pytest.raises(ClientError) as source_error:
        s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=configuration)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    with pytest.raises(ClientError) as destination_error:
        s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=configuration)

    source = source_error.value.response["Error"]
    assert (source["Code"], source["Message"]) == (
        "InvalidRequest",
        "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
    )
    destination = destination_error.value.response["Error"]
    assert (destination["Code"], destination["Message"]) == (
        "InvalidRequest",
        "Destination bucket must have versioning enabled.",
    )


def test_missing_destination_is_refused_as_missing(s3: Any, versioned_bucket: str) -> None:
    configuration = {"Role": "r", "Rules": [_v2(f"{versioned_bucket}-nowhere"[:63])]}

    with pytest.raises(ClientError) as caught:
        s3.put_bucket_replication(Bucket=versioned_bucket, ReplicationConfiguration=configuration)

    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidRequest", "Destination bucket must exist.")


def test_delete_then_get_is_not_found(s3: Any, versioned_bucket: str, destination: str) -> None:
    s3.put_bucket_replication(
        Bucket=versioned_bucket, ReplicationConfiguration={"Role": "r", "Rules": [_v2(destination)]}
    )

    deleted = s3.delete_bucket_replication(Bucket=versioned_bucket)

    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_replication(Bucket=versioned_bucket)
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Code"] == "ReplicationConfigurationNotFoundError"
    assert error["Error"]["BucketName"] == versioned_bucket
    again = s3.delete_bucket_replication(Bucket=versioned_bucket)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_suspending_versioning_of_a_replicated_bucket_is_refused(
    s3: Any, versioned_bucket: str, destination: str
) -> None:
    s3.put_bucket_replication(
        Bucket=versioned_bucket, ReplicationConfiguration={"Role": "r", "Rules": [_v2(destination)]}
    )

    with pytest.raises(ClientError) as caught:
        s3.put_bucket_versioning(
            Bucket=versioned_bucket, VersioningConfiguration={"Status": "Suspended"}
        )

    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert error["Error"]["Code"] == "InvalidBucketState"
    assert error["Error"]["Message"] == (
        "A replication configuration is present on this bucket, so you cannot change the "
        "versioning state. To change the versioning state, first delete the replication "
        "configuration."
    )
    status = s3.get_bucket_versioning(Bucket=versioned_bucket)["Status"]
    assert status == "Enabled"
