"""Object Lock through boto3 and the aws CLI, as AWS documents it: buckets created with (or
given) Object Lock, default retention, retention and legal holds per version, locked versions
refused on delete, GOVERNANCE bypassed only with the header and s3:BypassGovernanceRetention,
COMPLIANCE never shortened; replication carries the lock to a lock-enabled destination."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.live.iam_support import ensure_replication_role, iam_client, replication_policy
from tests.live.replication_support import Deployment, status, v2_rule, versioned_bucket, wait_for
from tests.live.server import ACCESS_KEY, SECRET_KEY, FerryServer
from tests.live.test_aws_cli import aws_cli

_names = itertools.count()


def code_of(error: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = error.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def message_of(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"].get("Message", ""))


def later(days: float = 1) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


@pytest.fixture
def locked_bucket(s3: Any) -> str:
    name = f"lock-{next(_names)}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def put_locked(s3: Any, bucket: str, key: str, mode: str, until: datetime) -> str:
    put = s3.put_object(
        Bucket=bucket, Key=key, Body=b"kept", ObjectLockMode=mode, ObjectLockRetainUntilDate=until
    )
    version_id: str = put["VersionId"]
    return version_id


# -- buckets ------------------------------------------------------------------------------------


def test_bucket_created_with_object_lock_is_versioned_for_good(s3: Any, locked_bucket: str) -> None:
    assert s3.get_bucket_versioning(Bucket=locked_bucket)["Status"] == "Enabled"
    config = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]
    assert config == {"ObjectLockEnabled": "Enabled"}
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_versioning(
            Bucket=locked_bucket, VersioningConfiguration={"Status": "Suspended"}
        )
    assert code_of(refused) == (409, "InvalidBucketState")


def test_bucket_without_object_lock_answers_configuration_not_found(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as missing:
        s3.get_object_lock_configuration(Bucket=bucket)
    assert code_of(missing) == (404, "ObjectLockConfigurationNotFoundError")


def test_object_lock_on_an_existing_bucket_needs_versioning(s3: Any, bucket: str) -> None:
    config = {"ObjectLockEnabled": "Enabled"}
    with pytest.raises(ClientError) as unversioned:
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=config)
    assert code_of(unversioned) == (409, "InvalidBucketState")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=config)
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == config
    with pytest.raises(ClientError) as suspend:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert code_of(suspend) == (409, "InvalidBucketState")


def test_default_retention_applies_to_new_versions(s3: Any, locked_bucket: str) -> None:
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}}
    s3.put_object_lock_configuration(
        Bucket=locked_bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
    )
    got = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]
    assert got["Rule"] == rule
    before = datetime.now(UTC)
    version = s3.put_object(Bucket=locked_bucket, Key="k", Body=b"x")["VersionId"]
    retention = s3.get_object_retention(Bucket=locked_bucket, Key="k", VersionId=version)
    assert retention["Retention"]["Mode"] == "GOVERNANCE"
    until = retention["Retention"]["RetainUntilDate"]
    assert before + timedelta(days=2) - timedelta(minutes=1) < until < later(2.01)
    head = s3.head_object(Bucket=locked_bucket, Key="k")
    assert head["ObjectLockMode"] == "GOVERNANCE" and head["ObjectLockRetainUntilDate"] == until
    with pytest.raises(ClientError) as locked:
        s3.delete_object(Bucket=locked_bucket, Key="k", VersionId=version)
    assert code_of(locked) == (403, "AccessDenied")


@pytest.mark.parametrize(
    ("retention", "expected"),
    [
        ({"Mode": "GOVERNANCE"}, (400, "MalformedXML")),
        ({"Mode": "GOVERNANCE", "Days": 1, "Years": 1}, (400, "MalformedXML")),
        ({"Mode": "SOMETIMES", "Days": 1}, (400, "MalformedXML")),
        ({"Mode": "COMPLIANCE", "Days": 0}, (400, "InvalidArgument")),
        ({"Mode": "COMPLIANCE", "Years": -1}, (400, "InvalidArgument")),
    ],
)
def test_default_retention_is_validated_as_aws(
    s3: Any, locked_bucket: str, retention: dict[str, Any], expected: tuple[int, str]
) -> None:
    config = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}}
    with pytest.raises(ClientError) as refused:
        s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration=config)
    assert code_of(refused) == expected
    got = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]
    assert "Rule" not in got


# -- retention and legal hold --------------------------------------------------------------------


def test_retention_headers_on_put_and_get(s3: Any, locked_bucket: str) -> None:
    until = later()
    version = put_locked(s3, locked_bucket, "k", "COMPLIANCE", until)
    got = s3.get_object(Bucket=locked_bucket, Key="k", VersionId=version)
    assert got["ObjectLockMode"] == "COMPLIANCE"
    assert got["ObjectLockRetainUntilDate"] == until
    retention = s3.get_object_retention(Bucket=locked_bucket, Key="k", VersionId=version)
    assert retention["Retention"] == {"Mode": "COMPLIANCE", "RetainUntilDate": until}


def test_compliance_version_is_never_deleted_nor_shortened(s3: Any, locked_bucket: str) -> None:
    until = later()
    version = put_locked(s3, locked_bucket, "k", "COMPLIANCE", until)
    for attempt in ({}, {"BypassGovernanceRetention": True}):
        with pytest.raises(ClientError) as refused:
            s3.delete_object(Bucket=locked_bucket, Key="k", VersionId=version, **attempt)
        assert code_of(refused) == (403, "AccessDenied")
        assert "object lock" in message_of(refused)
    for retention in (
        {"Mode": "COMPLIANCE", "RetainUntilDate": until - timedelta(hours=1)},
        {"Mode": "GOVERNANCE", "RetainUntilDate": until + timedelta(days=1)},
        {},
    ):
        with pytest.raises(ClientError) as shortened:
            s3.put_object_retention(
                Bucket=locked_bucket, Key="k", VersionId=version, Retention=retention,
                BypassGovernanceRetention=True,
            )  # fmt: skip
        assert code_of(shortened) == (403, "AccessDenied")
    extended = until + timedelta(days=3)
    s3.put_object_retention(
        Bucket=locked_bucket, Key="k", VersionId=version,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": extended},
    )  # fmt: skip
    got = s3.get_object_retention(Bucket=locked_bucket, Key="k", VersionId=version)
    assert got["Retention"]["RetainUntilDate"] == extended
    versions = s3.list_object_versions(Bucket=locked_bucket, Prefix="k")["Versions"]
    assert [v["VersionId"] for v in versions] == [version]


def test_delete_without_version_id_still_adds_a_delete_marker(s3: Any, locked_bucket: str) -> None:
    version = put_locked(s3, locked_bucket, "k", "COMPLIANCE", later())
    deleted = s3.delete_object(Bucket=locked_bucket, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    s3.delete_object(Bucket=locked_bucket, Key="k", VersionId=marker)  # markers carry no lock
    assert s3.head_object(Bucket=locked_bucket, Key="k")["VersionId"] == version


def test_governance_is_shortened_with_the_bypass_header(s3: Any, locked_bucket: str) -> None:
    until = later(5)
    version = put_locked(s3, locked_bucket, "k", "GOVERNANCE", until)
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": later(1)}
    with pytest.raises(ClientError) as refused:
        s3.put_object_retention(Bucket=locked_bucket, Key="k", VersionId=version, Retention=shorter)
    assert code_of(refused) == (403, "AccessDenied")
    s3.put_object_retention(
        Bucket=locked_bucket, Key="k", VersionId=version, Retention=shorter,
        BypassGovernanceRetention=True,
    )  # fmt: skip
    got = s3.get_object_retention(Bucket=locked_bucket, Key="k", VersionId=version)
    assert got["Retention"]["RetainUntilDate"] == shorter["RetainUntilDate"]
    s3.put_object_retention(  # stronger: GOVERNANCE → COMPLIANCE needs no bypass
        Bucket=locked_bucket, Key="k", VersionId=version,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(2)},
    )  # fmt: skip
    with pytest.raises(ClientError) as compliance:
        s3.delete_object(
            Bucket=locked_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
        )
    assert code_of(compliance) == (403, "AccessDenied")


def test_legal_hold_blocks_deletes_until_removed(s3: Any, locked_bucket: str) -> None:
    put = s3.put_object(Bucket=locked_bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")
    version = put["VersionId"]
    assert s3.head_object(Bucket=locked_bucket, Key="k")["ObjectLockLegalHoldStatus"] == "ON"
    got = s3.get_object_legal_hold(Bucket=locked_bucket, Key="k", VersionId=version)
    assert got["LegalHold"] == {"Status": "ON"}
    with pytest.raises(ClientError) as held:
        s3.delete_object(
            Bucket=locked_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
        )
    assert code_of(held) == (403, "AccessDenied")
    s3.put_object_legal_hold(
        Bucket=locked_bucket, Key="k", VersionId=version, LegalHold={"Status": "OFF"}
    )
    assert s3.get_object_legal_hold(Bucket=locked_bucket, Key="k")["LegalHold"]["Status"] == "OFF"
    s3.delete_object(Bucket=locked_bucket, Key="k", VersionId=version)
    assert "Versions" not in s3.list_object_versions(Bucket=locked_bucket, Prefix="k")


def test_delete_objects_refuses_locked_versions_per_key(s3: Any, locked_bucket: str) -> None:
    locked = put_locked(s3, locked_bucket, "locked", "GOVERNANCE", later())
    free = s3.put_object(Bucket=locked_bucket, Key="free", Body=b"x")["VersionId"]
    answer = s3.delete_objects(
        Bucket=locked_bucket,
        Delete={
            "Objects": [
                {"Key": "locked", "VersionId": locked},
                {"Key": "free", "VersionId": free},
            ]
        },
    )
    assert [d["Key"] for d in answer["Deleted"]] == ["free"]
    assert [(e["Key"], e["Code"]) for e in answer["Errors"]] == [("locked", "AccessDenied")]
    bypassed = s3.delete_objects(
        Bucket=locked_bucket,
        Delete={"Objects": [{"Key": "locked", "VersionId": locked}]},
        BypassGovernanceRetention=True,
    )
    assert [d["Key"] for d in bypassed["Deleted"]] == ["locked"]


def test_copy_and_multipart_take_their_lock_from_the_request(s3: Any, locked_bucket: str) -> None:
    until = later()
    put_locked(s3, locked_bucket, "src", "COMPLIANCE", until)
    copy = s3.copy_object(
        Bucket=locked_bucket, Key="copy", CopySource={"Bucket": locked_bucket, "Key": "src"}
    )
    with pytest.raises(ClientError) as none:
        s3.get_object_retention(Bucket=locked_bucket, Key="copy", VersionId=copy["VersionId"])
    assert code_of(none) == (404, "NoSuchObjectLockConfiguration")
    s3.copy_object(
        Bucket=locked_bucket, Key="copy2", CopySource={"Bucket": locked_bucket, "Key": "src"},
        ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until,
        ObjectLockLegalHoldStatus="ON",
    )  # fmt: skip
    head = s3.head_object(Bucket=locked_bucket, Key="copy2")
    assert (head["ObjectLockMode"], head["ObjectLockLegalHoldStatus"]) == ("GOVERNANCE", "ON")
    upload = s3.create_multipart_upload(
        Bucket=locked_bucket, Key="mpu", ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
    )  # fmt: skip
    part = s3.upload_part(
        Bucket=locked_bucket, Key="mpu", UploadId=upload["UploadId"], PartNumber=1, Body=b"p"
    )
    done = s3.complete_multipart_upload(
        Bucket=locked_bucket, Key="mpu", UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )  # fmt: skip
    retention = s3.get_object_retention(
        Bucket=locked_bucket, Key="mpu", VersionId=done["VersionId"]
    )
    assert retention["Retention"] == {"Mode": "COMPLIANCE", "RetainUntilDate": until}


# -- refusals ----------------------------------------------------------------------------------


def test_lock_operations_on_a_bucket_without_object_lock_are_refused(
    s3: Any, versioned_bucket: str
) -> None:
    s3.put_object(Bucket=versioned_bucket, Key="k", Body=b"x")
    attempts = [
        lambda: s3.put_object(
            Bucket=versioned_bucket, Key="k2", Body=b"x", ObjectLockMode="GOVERNANCE",
            ObjectLockRetainUntilDate=later(),
        ),
        lambda: s3.put_object(
            Bucket=versioned_bucket, Key="k2", Body=b"x", ObjectLockLegalHoldStatus="ON"
        ),
        lambda: s3.create_multipart_upload(
            Bucket=versioned_bucket, Key="k2", ObjectLockLegalHoldStatus="ON"
        ),
        lambda: s3.put_object_retention(
            Bucket=versioned_bucket, Key="k",
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later()},
        ),
        lambda: s3.get_object_retention(Bucket=versioned_bucket, Key="k"),
        lambda: s3.put_object_legal_hold(
            Bucket=versioned_bucket, Key="k", LegalHold={"Status": "ON"}
        ),
        lambda: s3.get_object_legal_hold(Bucket=versioned_bucket, Key="k"),
    ]  # fmt: skip
    for attempt in attempts:
        with pytest.raises(ClientError) as refused:
            attempt()
        assert code_of(refused) == (400, "InvalidRequest")
        assert message_of(refused) == "Bucket is missing Object Lock Configuration"
    assert [v["Key"] for v in s3.list_object_versions(Bucket=versioned_bucket)["Versions"]] == ["k"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-amz-object-lock-mode": "GOVERNANCE"}, (400, "InvalidArgument")),
        (
            {
                "x-amz-object-lock-mode": "FOREVER",
                "x-amz-object-lock-retain-until-date": "2099-01-01T00:00:00Z",
            },
            (400, "InvalidArgument"),
        ),
        ({"x-amz-object-lock-legal-hold": "MAYBE"}, (400, "InvalidArgument")),
    ],
)
def test_bad_lock_headers_are_refused(
    s3: Any, locked_bucket: str, headers: dict[str, str], expected: tuple[int, str]
) -> None:
    def add_headers(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            request.headers[name] = value

    s3.meta.events.register_first("before-sign.s3.PutObject", add_headers)
    try:
        with pytest.raises(ClientError) as refused:
            s3.put_object(Bucket=locked_bucket, Key="k", Body=b"x")
    finally:
        s3.meta.events.unregister("before-sign.s3.PutObject", add_headers)
    assert code_of(refused) == expected


def test_retain_until_date_in_the_past_is_refused(s3: Any, locked_bucket: str) -> None:
    s3.put_object(Bucket=locked_bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as past:
        s3.put_object_retention(
            Bucket=locked_bucket, Key="k",
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(-1)},
        )  # fmt: skip
    assert code_of(past) == (400, "InvalidArgument")


def test_locked_put_needs_content_md5_or_a_checksum(
    server: FerryServer, locked_bucket: str
) -> None:
    legacy = boto3.client(  # an SDK that sends no checksum unless asked
        "s3", endpoint_url=server.endpoint, region_name=server.region,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=Config(
            retries={"max_attempts": 1}, request_checksum_calculation="when_required"
        ),
    )  # fmt: skip
    with pytest.raises(ClientError) as bare:
        legacy.put_object(Bucket=locked_bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")
    assert code_of(bare) == (400, "InvalidRequest")
    assert "Content-MD5" in message_of(bare)
    legacy.put_object(
        Bucket=locked_bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON",
        ChecksumAlgorithm="CRC32",
    )  # fmt: skip
    legacy.put_object(Bucket=locked_bucket, Key="plain", Body=b"x")  # nothing to lock


# -- the bypass permission ------------------------------------------------------------------


def _user_client(server: FerryServer, name: str, actions: list[str]) -> Any:
    iam = iam_client(server.endpoint)
    iam.create_user(UserName=name)
    policy = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}  # fmt: skip
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client(
        "s3", endpoint_url=server.endpoint, region_name=server.region,
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip


@pytest.fixture(scope="module")
def users(server: FerryServer) -> Iterator[dict[str, Any]]:
    base = ["s3:PutObject", "s3:GetObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention",
            "s3:GetObjectRetention", "s3:ListBucketVersions"]  # fmt: skip
    yield {
        "plain": _user_client(server, "lock-plain", base),
        "bypass": _user_client(server, "lock-bypass", [*base, "s3:BypassGovernanceRetention"]),
    }


def test_bypass_needs_the_permission_as_well_as_the_header(
    s3: Any, locked_bucket: str, users: dict[str, Any]
) -> None:
    plain, bypass = users["plain"], users["bypass"]
    version = put_locked(s3, locked_bucket, "k", "GOVERNANCE", later())
    with pytest.raises(ClientError) as without_permission:
        plain.delete_object(
            Bucket=locked_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
        )
    assert code_of(without_permission) == (403, "AccessDenied")
    with pytest.raises(ClientError) as shorten:
        plain.put_object_retention(
            Bucket=locked_bucket, Key="k", VersionId=version, Retention={},
            BypassGovernanceRetention=True,
        )  # fmt: skip
    assert code_of(shorten) == (403, "AccessDenied")
    with pytest.raises(ClientError) as without_header:
        bypass.delete_object(Bucket=locked_bucket, Key="k", VersionId=version)
    assert code_of(without_header) == (403, "AccessDenied")
    bypass.delete_object(
        Bucket=locked_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
    )
    assert "Versions" not in s3.list_object_versions(Bucket=locked_bucket, Prefix="k")


def test_lock_headers_need_their_permission(
    s3: Any, locked_bucket: str, users: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as hold:  # no s3:PutObjectLegalHold
        users["plain"].put_object(
            Bucket=locked_bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON"
        )
    assert code_of(hold) == (403, "AccessDenied")
    assert "Versions" not in s3.list_object_versions(Bucket=locked_bucket, Prefix="k")


def test_a_bucket_policy_limits_retention_with_the_condition_key(
    s3: Any, locked_bucket: str, users: dict[str, Any]
) -> None:
    """AWS's "Setting limits on retention periods with a bucket policy"."""
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{locked_bucket}/*",
        "Condition": {"NumericGreaterThan": {"s3:object-lock-remaining-retention-days": "10"}},
    }
    s3.put_bucket_policy(
        Bucket=locked_bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]})
    )
    plain = users["plain"]
    with pytest.raises(ClientError) as too_long:
        plain.put_object(
            Bucket=locked_bucket, Key="long", Body=b"x", ObjectLockMode="GOVERNANCE",
            ObjectLockRetainUntilDate=later(30),
        )  # fmt: skip
    assert code_of(too_long) == (403, "AccessDenied")
    plain.put_object(
        Bucket=locked_bucket, Key="short", Body=b"x", ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=later(5),
    )  # fmt: skip
    keys = [v["Key"] for v in s3.list_object_versions(Bucket=locked_bucket)["Versions"]]
    assert keys == ["short"]


# -- the aws CLI ----------------------------------------------------------------------------


def _aws(server: FerryServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = server.env()
    env.pop("AWS_PROFILE", None)
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return subprocess.run(
        [*aws_cli(), "--endpoint-url", server.endpoint, "--output", "json", "s3api", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _aws_json(server: FerryServer, *args: str) -> Any:
    result = _aws(server, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_aws_cli_object_lock_round_trip(server: FerryServer, tmp_path: Path) -> None:
    name = f"lock-cli-{next(_names)}"
    _aws_json(server, "create-bucket", "--bucket", name, "--object-lock-enabled-for-bucket")
    config = _aws_json(server, "get-object-lock-configuration", "--bucket", name)
    assert config["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    body = tmp_path / "body"
    body.write_bytes(b"cli")
    until = later().strftime("%Y-%m-%dT%H:%M:%SZ")
    put = _aws_json(
        server, "put-object", "--bucket", name, "--key", "k", "--body", str(body),
        "--object-lock-mode", "COMPLIANCE", "--object-lock-retain-until-date", until,
    )  # fmt: skip
    retention = _aws_json(server, "get-object-retention", "--bucket", name, "--key", "k")
    assert retention["Retention"]["Mode"] == "COMPLIANCE"
    _aws_json(
        server, "put-object-legal-hold", "--bucket", name, "--key", "k",
        "--legal-hold", "Status=ON",
    )  # fmt: skip
    hold = _aws_json(server, "get-object-legal-hold", "--bucket", name, "--key", "k")
    assert hold["LegalHold"]["Status"] == "ON"
    failed = _aws(
        server, "delete-object", "--bucket", name, "--key", "k", "--version-id", put["VersionId"]
    )
    assert failed.returncode != 0 and "AccessDenied" in failed.stderr


# -- replication --------------------------------------------------------------------------------

EAST, WEST = "us-east-1", "eu-west-1"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    running = Deployment(root=tmp_path_factory.mktemp("object-lock")).start()
    yield running
    running.stop()


def _locked_pair(east: Any, west: Any, name: str, *, destination_lock: bool) -> tuple[str, str]:
    source, destination = f"{name}-src", f"{name}-dst"
    east.create_bucket(Bucket=source, ObjectLockEnabledForBucket=True)
    location = {"LocationConstraint": WEST}
    if destination_lock:
        west.create_bucket(
            Bucket=destination, CreateBucketConfiguration=location, ObjectLockEnabledForBucket=True
        )
    else:
        versioned_bucket(west, destination, WEST)
    return source, destination


def _configure(deployment: Deployment, east: Any, source: str, destination: str, rule: str,
               policy: dict[str, Any] | None = None) -> None:  # fmt: skip
    role = ensure_replication_role(deployment.endpoint(EAST), rule, policy=policy)
    east.put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={"Role": role, "Rules": [v2_rule(destination, rule_id=rule)]},
    )


def _failures(deployment: Deployment, rule: str) -> list[dict[str, Any]]:
    result = deployment.run_cli("failures", "list", "--json", "--rule", rule, "--state", "FAILED")
    assert result.returncode == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)["failures"]
    return found


def test_replication_carries_retention_and_legal_hold_and_their_changes(
    deployment: Deployment, east: Any, west: Any
) -> None:
    source, destination = _locked_pair(east, west, "ol-carry", destination_lock=True)
    _configure(deployment, east, source, destination, "ol-carry")
    until = later()
    version = east.put_object(
        Bucket=source, Key="doc", Body=b"kept", ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON",
    )["VersionId"]  # fmt: skip
    wait_for(lambda: status(east, source, "doc", version) == "COMPLETED", what="replicated")
    replica = west.head_object(Bucket=destination, Key="doc", VersionId=version)
    assert replica["ReplicationStatus"] == "REPLICA"
    assert (replica["ObjectLockMode"], replica["ObjectLockRetainUntilDate"]) == (
        "COMPLIANCE", until,
    )  # fmt: skip
    assert replica["ObjectLockLegalHoldStatus"] == "ON"
    with pytest.raises(ClientError) as locked:  # the replica is locked as the source is
        west.delete_object(Bucket=destination, Key="doc", VersionId=version)
    assert code_of(locked) == (403, "AccessDenied")
    extended = until + timedelta(days=2)
    east.put_object_retention(
        Bucket=source, Key="doc", VersionId=version,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": extended},
    )  # fmt: skip
    east.put_object_legal_hold(
        Bucket=source, Key="doc", VersionId=version, LegalHold={"Status": "OFF"}
    )

    def synced() -> bool:
        head = west.head_object(Bucket=destination, Key="doc", VersionId=version)
        return (
            head.get("ObjectLockRetainUntilDate") == extended
            and "ObjectLockLegalHoldStatus" not in head
        )

    wait_for(synced, what="retention and legal hold changes replicated")
    assert status(east, source, "doc", version) == "COMPLETED"


def test_replication_to_a_destination_without_object_lock_is_refused(
    deployment: Deployment, east: Any, west: Any
) -> None:
    source, destination = _locked_pair(east, west, "ol-refused", destination_lock=False)
    role = ensure_replication_role(deployment.endpoint(EAST), "ol-refused")
    with pytest.raises(ClientError) as refused:
        east.put_bucket_replication(
            Bucket=source,
            ReplicationConfiguration={"Role": role, "Rules": [v2_rule(destination)]},
        )
    assert code_of(refused) == (400, "InvalidRequest")
    assert "Object Lock" in message_of(refused)


def test_a_source_that_gains_object_lock_fails_to_an_unlocked_destination(
    deployment: Deployment, east: Any, west: Any
) -> None:
    """AWS checks the destination as it replicates: the version ends FAILED with
    DstBucketObjectLockConfigMissing in the failure store."""
    source, destination = "ol-gained-src", "ol-gained-dst"
    versioned_bucket(east, source, EAST)
    versioned_bucket(west, destination, WEST)
    _configure(deployment, east, source, destination, "ol-gained")
    east.put_object_lock_configuration(
        Bucket=source, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}
    )
    version = east.put_object(Bucket=source, Key="doc", Body=b"x", ObjectLockLegalHoldStatus="ON")[
        "VersionId"
    ]
    wait_for(lambda: status(east, source, "doc", version) == "FAILED", what="FAILED")
    [failure] = _failures(deployment, "ol-gained")
    assert (failure["reason"], failure["version_id"]) == (
        "DstBucketObjectLockConfigMissing", version,
    )  # fmt: skip
    assert west.list_object_versions(Bucket=destination).get("Versions", []) == []


@pytest.mark.parametrize("missing", ["s3:GetObjectRetention", "s3:GetObjectLegalHold"])
def test_the_role_must_read_the_lock_of_an_object_lock_source(
    deployment: Deployment, east: Any, west: Any, missing: str
) -> None:
    name = "ol-" + missing.split(":")[1].lower()[:16]
    source, destination = _locked_pair(east, west, name, destination_lock=True)
    _configure(deployment, east, source, destination, name,
               policy=replication_policy(without=(missing,)))  # fmt: skip
    version = east.put_object(Bucket=source, Key="doc", Body=b"x")["VersionId"]
    wait_for(lambda: status(east, source, "doc", version) == "FAILED", what="FAILED")
    [failure] = _failures(deployment, name)
    assert failure["reason"] == "SrcGetObjectNotPermitted"
    assert missing in failure["message"]


def test_verify_repair_never_deletes_a_locked_version(
    deployment: Deployment, east: Any, west: Any
) -> None:
    source, destination = _locked_pair(east, west, "ol-verify", destination_lock=True)
    _configure(deployment, east, source, destination, "ol-verify")
    version = east.put_object(Bucket=source, Key="doc", Body=b"x")["VersionId"]
    wait_for(lambda: status(east, source, "doc", version) == "COMPLETED", what="replicated")
    extra = put_locked(west, destination, "extra", "COMPLIANCE", later())  # not the source's
    result = deployment.run_cli(
        "verify", "--bucket", source, "--json", "--repair", "--delete-extra", region=EAST
    )
    assert result.returncode in (0, 1), result.stderr
    assert "under Object Lock: never deleted by verify" in result.stdout
    kept = west.list_object_versions(Bucket=destination, Prefix="extra")["Versions"]
    assert [v["VersionId"] for v in kept] == [extra]
