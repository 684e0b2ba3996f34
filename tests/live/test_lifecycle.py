"""Bucket lifecycle (docs/lifecycle.md): the configuration API through boto3 and the aws CLI,
and the rules applied by the lifecycle worker of a real deployment whose lifecycle "day" is
one second, with replication between its two regions."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.events_support import WebhookReceiver
from tests.live.iam_support import ensure_replication_role
from tests.live.replication_support import (
    Deployment,
    replicate,
    status,
    v2_rule,
    versioned_bucket,
    wait_for,
)
from tests.live.server import ACCESS_KEY, SECRET_KEY, FerryServer
from tests.live.test_aws_cli import aws_cli

EAST, WEST = "us-east-1", "eu-west-1"
LIFECYCLE = ("[lifecycle]", "day_seconds = 1.0", "pass_interval_s = 0.3")
BIG = 130 * 1024  # over the 128 KiB below which objects are not transitioned by default


WEBHOOK_ARN = "arn:ferry:webhook:::lifecycle"


@pytest.fixture(scope="module")
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, webhook: WebhookReceiver
) -> Iterator[Deployment]:
    target = (
        "[[notification_targets]]", f'arn = "{WEBHOOK_ARN}"', 'type = "webhook"',
        f'url = "{webhook.url}"',
    )  # fmt: skip
    running = Deployment(
        root=tmp_path_factory.mktemp("lifecycle"), extra_config=(*LIFECYCLE, *target)
    )
    yield running.start()
    running.stop()


def rule(rule_id: str = "r", *, prefix: str = "", **actions: Any) -> dict[str, Any]:
    return {"ID": rule_id, "Status": "Enabled", "Filter": {"Prefix": prefix}, **actions}


def configure(s3: Any, bucket: str, *rules: dict[str, Any]) -> None:
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": list(rules)}
    )


def error_of(call: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    err = caught.value.response
    return (
        err["Error"]["Code"],
        err["Error"].get("Message", ""),
        err["ResponseMetadata"]["HTTPStatusCode"],
    )


def keys_of(s3: Any, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def versions_of(s3: Any, bucket: str) -> list[tuple[str, bool]]:
    """(key, is delete marker) of every version, newest first per key."""
    listing = s3.list_object_versions(Bucket=bucket)
    found = [(v["Key"], False, v["LastModified"]) for v in listing.get("Versions", [])]
    found += [(m["Key"], True, m["LastModified"]) for m in listing.get("DeleteMarkers", [])]
    return [(k, marker) for k, marker, _ in sorted(found, key=lambda f: (f[0], f[2]))]


# ---- the configuration API


FULL_SCHEMA = [
    {
        "ID": "everything",
        "Status": "Enabled",
        "Filter": {
            "And": {
                "Prefix": "logs/",
                "Tags": [{"Key": "class", "Value": "tmp"}, {"Key": "team", "Value": "a"}],
                "ObjectSizeGreaterThan": 10,
                "ObjectSizeLessThan": 10_000_000,
            }
        },
        "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
        "Expiration": {"Days": 365},
        "NoncurrentVersionTransitions": [
            {"NoncurrentDays": 5, "StorageClass": "GLACIER", "NewerNoncurrentVersions": 2}
        ],
        "NoncurrentVersionExpiration": {"NoncurrentDays": 40, "NewerNoncurrentVersions": 3},
    },
    {"ID": "legacy", "Status": "Disabled", "Prefix": "old/", "Expiration": {"Days": 3}},
    {
        "ID": "dated",
        "Status": "Enabled",
        "Filter": {"Tag": {"Key": "k", "Value": "v"}},
        "Expiration": {"Date": datetime(2030, 1, 1, tzinfo=UTC)},
    },
    {
        "ID": "markers-and-uploads",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "Expiration": {"ExpiredObjectDeleteMarker": True},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
    },
    {
        "ID": "sizes",
        "Status": "Enabled",
        "Filter": {"ObjectSizeGreaterThan": 100, "ObjectSizeLessThan": 200},
        "Transitions": [{"Date": datetime(2031, 1, 1, tzinfo=UTC), "StorageClass": "GLACIER"}],
    },
]


def test_configuration_round_trip_with_the_whole_schema(s3: Any, bucket: str) -> None:
    configure(s3, bucket, *FULL_SCHEMA)
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["Rules"] == FULL_SCHEMA
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"


def test_rule_without_id_gets_one_and_get_without_configuration_is_404(
    s3: Any, bucket: str
) -> None:
    code, _, http = error_of(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))
    assert (code, http) == ("NoSuchLifecycleConfiguration", 404)
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [{"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}]
        },
        TransitionDefaultMinimumObjectSize="varies_by_storage_class",
    )
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    assert len(got["Rules"][0]["ID"]) > 0
    assert got == {**got, "Rules": [{**got["Rules"][0], "Expiration": {"Days": 1}}]}
    s3.delete_bucket_lifecycle(Bucket=bucket)
    code, _, http = error_of(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))
    assert (code, http) == ("NoSuchLifecycleConfiguration", 404)


def test_missing_bucket_is_no_such_bucket(s3: Any) -> None:
    code, _, http = error_of(lambda: s3.get_bucket_lifecycle_configuration(Bucket="nope-lc"))
    assert (code, http) == ("NoSuchBucket", 404)


INVALID = {
    "days-zero": (
        [rule(Expiration={"Days": 0})],
        "InvalidArgument",
        "'Days' for Expiration action must be a positive integer",
    ),
    "duplicate-ids": (
        [rule("same", Expiration={"Days": 1}), rule("same", Expiration={"Days": 2})],
        "InvalidArgument",
        "Rule ID must be unique",
    ),
    "id-too-long": (
        [rule("x" * 256, Expiration={"Days": 1})],
        "InvalidArgument",
        "ID length should not exceed allowed limit of 255",
    ),
    "date-not-midnight": (
        [rule(Expiration={"Date": datetime(2030, 1, 1, 12, tzinfo=UTC)})],
        "InvalidArgument",
        "'Date' must be at midnight GMT",
    ),
    "no-action": ([rule()], "InvalidArgument", "At least one action needs to be specified"),
    "days-and-marker": (
        [rule(Expiration={"Days": 1, "ExpiredObjectDeleteMarker": True})],
        "MalformedXML",
        "",
    ),
    "filter-and-prefix": (
        [{**rule(Expiration={"Days": 1}), "Prefix": "a/"}],
        "MalformedXML",
        "",
    ),
    "two-conditions-without-and": (
        [
            {
                **rule(Expiration={"Days": 1}),
                "Filter": {"Prefix": "a/", "Tag": {"Key": "k", "Value": "v"}},
            }
        ],
        "MalformedXML",
        "",
    ),
    "sizes-inverted": (
        [
            {
                **rule(Expiration={"Days": 1}),
                "Filter": {"ObjectSizeGreaterThan": 10, "ObjectSizeLessThan": 5},
            }
        ],
        "InvalidArgument",
        "ObjectSizeLessThan must be greater than ObjectSizeGreaterThan",
    ),
    "abort-with-tags": (
        [
            {
                **rule(AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1}),
                "Filter": {"Tag": {"Key": "k", "Value": "v"}},
            }
        ],
        "InvalidArgument",
        "AbortIncompleteMultipartUpload cannot be specified with Tags",
    ),
    "ia-too-soon": (
        [rule(Transitions=[{"Days": 10, "StorageClass": "STANDARD_IA"}])],
        "InvalidArgument",
        "'Days' in Transition action must be greater than or equal to 30 for storageClass "
        "'STANDARD_IA'",
    ),
    "transition-after-expiration": (
        [rule(Transitions=[{"Days": 5, "StorageClass": "GLACIER"}], Expiration={"Days": 5})],
        "InvalidArgument",
        "'Days' in the Expiration action for filter must be greater than 'Days' in the "
        "Transition action",
    ),
    "newer-noncurrent-over-100": (
        [rule(NoncurrentVersionExpiration={"NoncurrentDays": 1, "NewerNoncurrentVersions": 101})],
        "InvalidArgument",
        "NewerNoncurrentVersions must be between 1 and 100",
    ),
    "too-many-rules": (
        [rule(f"r{i}", Expiration={"Days": 1}) for i in range(1001)],
        "InvalidRequest",
        "more than 1000 rules",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_configuration_is_refused_as_aws_refuses_it(
    s3: Any, bucket: str, case: str
) -> None:
    rules, code, message = INVALID[case]
    got_code, got_message, http = error_of(lambda: configure(s3, bucket, *rules))
    assert (got_code, http) == (code, 400)
    assert message in got_message
    code, _, _ = error_of(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))
    assert code == "NoSuchLifecycleConfiguration"  # nothing stored


def run_aws(server: FerryServer, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION=server.region, AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )  # fmt: skip
    result = subprocess.run(
        [*aws_cli(), "--endpoint-url", server.endpoint, *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_aws_cli_round_trip(server: FerryServer, bucket: str, tmp_path: Path) -> None:
    document = {"Rules": [rule("cli", prefix="tmp/", Expiration={"Days": 7})]}
    config = tmp_path / "lifecycle.json"
    config.write_text(json.dumps(document))
    run_aws(
        server, "s3api", "put-bucket-lifecycle-configuration", "--bucket", bucket,
        "--lifecycle-configuration", f"file://{config}",
    )  # fmt: skip
    got = json.loads(
        run_aws(server, "s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket)
    )
    assert got["Rules"] == document["Rules"]
    run_aws(server, "s3api", "delete-bucket-lifecycle", "--bucket", bucket)


# ---- the rules applied (one-second days)


def test_expiration_deletes_matching_objects_of_an_unversioned_bucket(east: Any) -> None:
    east.create_bucket(Bucket="lc-plain")
    for key in ("tmp/a", "tmp/b", "keep/c"):
        east.put_object(Bucket="lc-plain", Key=key, Body=b"x" * 10)
    configure(east, "lc-plain", rule(prefix="tmp/", Expiration={"Days": 1}))
    wait_for(lambda: keys_of(east, "lc-plain") == ["keep/c"], what="tmp/ expired")
    assert versions_of(east, "lc-plain") == [("keep/c", False)]  # no delete markers


def test_expiration_in_a_versioned_bucket_adds_a_delete_marker_and_is_announced(
    east: Any,
) -> None:
    versioned_bucket(east, "lc-versioned", EAST)
    configure(east, "lc-versioned", rule("expire-soon", Expiration={"Days": 30}))
    put = east.put_object(Bucket="lc-versioned", Key="k", Body=b"data")
    assert 'rule-id="expire-soon"' in put["Expiration"]
    head = east.head_object(Bucket="lc-versioned", Key="k")
    assert head["Expiration"].startswith('expiry-date="')
    assert 'rule-id="expire-soon"' in head["Expiration"]
    configure(east, "lc-versioned", rule("expire-now", Expiration={"Days": 1}))
    wait_for(lambda: keys_of(east, "lc-versioned") == [], what="k expired")
    assert versions_of(east, "lc-versioned") == [("k", False), ("k", True)]
    assert east.get_object(Bucket="lc-versioned", Key="k", VersionId=put["VersionId"])


def test_noncurrent_expiration_keeps_the_newer_noncurrent_versions(east: Any) -> None:
    versioned_bucket(east, "lc-noncurrent", EAST)
    ids = [east.put_object(Bucket="lc-noncurrent", Key="k", Body=b"v%d" % i)["VersionId"]
           for i in range(5)]  # fmt: skip
    configure(
        east, "lc-noncurrent",
        rule(NoncurrentVersionExpiration={"NoncurrentDays": 1, "NewerNoncurrentVersions": 2}),
    )  # fmt: skip

    def remaining() -> list[str]:
        listing = east.list_object_versions(Bucket="lc-noncurrent")
        return sorted(v["VersionId"] for v in listing.get("Versions", []))

    wait_for(lambda: remaining() == sorted(ids[2:]), what="the two oldest versions removed")
    assert east.get_object(Bucket="lc-noncurrent", Key="k")["Body"].read() == b"v4"


def test_expired_object_delete_markers_are_removed(east: Any) -> None:
    versioned_bucket(east, "lc-markers", EAST)
    put = east.put_object(Bucket="lc-markers", Key="gone", Body=b"x")
    east.delete_object(Bucket="lc-markers", Key="gone")
    east.put_object(Bucket="lc-markers", Key="still-has-versions", Body=b"x")
    east.delete_object(Bucket="lc-markers", Key="still-has-versions")
    east.delete_object(Bucket="lc-markers", Key="gone", VersionId=put["VersionId"])
    configure(east, "lc-markers", rule(Expiration={"ExpiredObjectDeleteMarker": True}))
    wait_for(
        lambda: (
            versions_of(east, "lc-markers")
            == [("still-has-versions", False), ("still-has-versions", True)]
        ),
        what="the lone marker removed, the other kept",
    )


def test_incomplete_multipart_uploads_are_aborted(east: Any) -> None:
    east.create_bucket(Bucket="lc-uploads")
    upload = east.create_multipart_upload(Bucket="lc-uploads", Key="tmp/big")["UploadId"]
    east.upload_part(
        Bucket="lc-uploads", Key="tmp/big", UploadId=upload, PartNumber=1, Body=b"p" * 100
    )
    kept = east.create_multipart_upload(Bucket="lc-uploads", Key="keep/big")["UploadId"]
    configure(
        east, "lc-uploads",
        rule(prefix="tmp/", AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1}),
    )  # fmt: skip

    def uploads() -> list[str]:
        return [u["UploadId"] for u in east.list_multipart_uploads(Bucket="lc-uploads").get(
            "Uploads", [])]  # fmt: skip

    wait_for(lambda: uploads() == [kept], what="tmp/big aborted")
    code, _, _ = error_of(
        lambda: east.list_parts(Bucket="lc-uploads", Key="tmp/big", UploadId=upload)
    )
    assert code == "NoSuchUpload"


def test_transitions_change_the_storage_class_of_large_objects_only(east: Any) -> None:
    east.create_bucket(Bucket="lc-transitions")
    east.put_object(Bucket="lc-transitions", Key="big", Body=b"b" * BIG)
    east.put_object(Bucket="lc-transitions", Key="small", Body=b"s")
    east.put_object(Bucket="lc-transitions", Key="sized/small", Body=b"s" * 20)
    configure(
        east, "lc-transitions",
        rule("all", Transitions=[{"Days": 1, "StorageClass": "GLACIER"}]),
        {
            "ID": "sized", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 10},
            "Transitions": [{"Days": 1, "StorageClass": "GLACIER_IR"}],
        },
    )  # fmt: skip

    def storage_class(key: str) -> str:
        return east.head_object(Bucket="lc-transitions", Key=key).get("StorageClass", "STANDARD")

    wait_for(lambda: storage_class("big") == "GLACIER", what="big to GLACIER")
    wait_for(lambda: storage_class("sized/small") == "GLACIER_IR", what="sized/small to GLACIER_IR")
    assert storage_class("small") == "STANDARD"  # under 128 KiB, no size filter
    assert east.get_object(Bucket="lc-transitions", Key="big")["Body"].read() == b"b" * BIG


def test_filters_by_prefix_tags_and_size(east: Any) -> None:
    east.create_bucket(Bucket="lc-filters")
    objects = {
        "logs/match": (b"x" * 50, "class=tmp&team=a"),
        "logs/wrong-tag": (b"x" * 50, "class=keep&team=a"),
        "logs/one-tag": (b"x" * 50, "class=tmp"),
        "logs/too-big": (b"x" * 500, "class=tmp&team=a"),
        "logs/too-small": (b"x", "class=tmp&team=a"),
        "other/match": (b"x" * 50, "class=tmp&team=a"),
    }
    for key, (body, tags) in objects.items():
        east.put_object(Bucket="lc-filters", Key=key, Body=body, Tagging=tags)
    and_filter = {
        "Prefix": "logs/",
        "Tags": [{"Key": "class", "Value": "tmp"}, {"Key": "team", "Value": "a"}],
        "ObjectSizeGreaterThan": 10,
        "ObjectSizeLessThan": 100,
    }
    configure(
        east, "lc-filters",
        {"ID": "and", "Status": "Enabled", "Filter": {"And": and_filter},
         "Expiration": {"Days": 1}},
    )  # fmt: skip
    wait_for(lambda: "logs/match" not in keys_of(east, "lc-filters"), what="logs/match expired")
    assert keys_of(east, "lc-filters") == sorted(set(objects) - {"logs/match"})


def test_lifecycle_actions_are_announced_as_lifecycle_events(
    east: Any, webhook: WebhookReceiver
) -> None:
    versioned_bucket(east, "lc-events", EAST)
    east.put_bucket_notification_configuration(
        Bucket="lc-events",
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": WEBHOOK_ARN,
                 "Events": ["s3:LifecycleExpiration:*", "s3:LifecycleTransition",
                            "s3:ObjectRemoved:*"]}
            ]
        },
    )  # fmt: skip
    east.put_object(Bucket="lc-events", Key="old", Body=b"x")
    east.put_object(Bucket="lc-events", Key="old", Body=b"y")  # the first becomes noncurrent
    east.put_object(Bucket="lc-events", Key="big", Body=b"b" * BIG)
    configure(
        east, "lc-events",
        rule("expire", prefix="old", Expiration={"Days": 2},
             NoncurrentVersionExpiration={"NoncurrentDays": 1}),
        rule("cool", prefix="big", Transitions=[{"Days": 1, "StorageClass": "GLACIER"}]),
    )  # fmt: skip

    def seen() -> set[tuple[str, str]]:
        return {
            (r["eventName"], r["s3"]["object"]["key"])
            for r in webhook.records
            if r["s3"]["bucket"]["name"] == "lc-events"
        }

    wanted = {
        ("LifecycleExpiration:Delete", "old"),
        ("LifecycleExpiration:DeleteMarkerCreated", "old"),
        ("LifecycleTransition", "big"),
    }
    wait_for(lambda: wanted <= seen(), what="the three lifecycle events")
    # lifecycle's removals are its own events, not ObjectRemoved ones (subscribed to as well)
    assert not any(name.startswith("ObjectRemoved") for name, _ in seen())


def test_ferry_worker_applies_lifecycle_when_serve_runs_no_workers(tmp_path: Path) -> None:
    deployment = Deployment(root=tmp_path / "d", regions=(EAST,), extra_config=LIFECYCLE)
    deployment.root.mkdir(parents=True)
    deployment.write_config()
    deployment.start_region(EAST, "--no-workers")
    worker = None
    try:
        s3 = deployment.client(EAST)
        s3.create_bucket(Bucket="lc-worker")
        s3.put_object(Bucket="lc-worker", Key="k", Body=b"x")
        configure(s3, "lc-worker", rule(Expiration={"Days": 1}))
        with pytest.raises(AssertionError):
            wait_for(lambda: keys_of(s3, "lc-worker") == [], timeout_s=3)  # nobody applies it
        worker = deployment.start_worker(EAST)
        wait_for(lambda: keys_of(s3, "lc-worker") == [], what="ferry worker expired k")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=15)
        deployment.stop()


def test_a_pass_killed_with_sigkill_resumes_after_its_checkpoint(tmp_path: Path) -> None:
    """Passes of 5 keys each, 2 s apart, over 20 keys: kill -9 the region once some keys
    have expired and others not; after the restart every key gets exactly one marker."""
    slow = ("[lifecycle]", "day_seconds = 1.0", "pass_interval_s = 2.0", "keys_per_pass = 5",
            "keys_per_transaction = 2")  # fmt: skip
    deployment = Deployment(root=tmp_path / "d", regions=(EAST,), extra_config=slow)
    deployment.start()
    try:
        s3 = deployment.client(EAST)
        versioned_bucket(s3, "lc-kill", EAST)
        keys = [f"k{i:02d}" for i in range(20)]
        for key in keys:
            s3.put_object(Bucket="lc-kill", Key=key, Body=b"x")
        configure(s3, "lc-kill", rule(Expiration={"Days": 1}))
        wait_for(lambda: len(keys_of(s3, "lc-kill")) < len(keys), what="a first pass")
        deployment.kill_region(EAST)
        deployment.start_region(EAST)
        s3 = deployment.client(EAST)
        assert keys_of(s3, "lc-kill"), "every key expired before the kill"
        wait_for(lambda: keys_of(s3, "lc-kill") == [], timeout_s=90, what="the rest expired")
        markers = [k for k, marker in versions_of(s3, "lc-kill") if marker]
        assert sorted(markers) == keys  # one marker per key: nothing skipped, nothing twice
    finally:
        deployment.stop()


# ---- with replication


def test_lifecycle_delete_markers_are_not_replicated(east: Any, west: Any) -> None:
    versioned_bucket(east, "lc-dm-src", EAST)
    versioned_bucket(west, "lc-dm-dst", WEST)
    replicate(east, "lc-dm-src", v2_rule("lc-dm-dst", dmr="Enabled"))
    east.put_object(Bucket="lc-dm-src", Key="k", Body=b"data")
    wait_for(lambda: status(east, "lc-dm-src", "k") == "COMPLETED", what="k replicated")
    configure(east, "lc-dm-src", rule(Expiration={"Days": 1}))
    wait_for(lambda: keys_of(east, "lc-dm-src") == [], what="k expired on the source")
    east.put_object(Bucket="lc-dm-src", Key="after", Body=b"x")  # replication still flows
    wait_for(lambda: "after" in keys_of(west, "lc-dm-dst"), what="a later object replicated")
    assert west.get_object(Bucket="lc-dm-dst", Key="k")["Body"].read() == b"data"
    assert [m for m in versions_of(west, "lc-dm-dst") if m[1]] == []


def test_versions_pending_replication_are_not_expired_until_replicated(
    deployment: Deployment, east: Any, west: Any
) -> None:
    versioned_bucket(east, "lc-pending-src", EAST)
    versioned_bucket(west, "lc-pending-dst", WEST)
    replicate(east, "lc-pending-src", v2_rule("lc-pending-dst"))
    configure(east, "lc-pending-src", rule(Expiration={"Days": 1}))
    deployment.kill_region(WEST)
    try:
        east.put_object(Bucket="lc-pending-src", Key="k", Body=b"data")
        with pytest.raises(AssertionError):  # due after a second or two, but PENDING
            wait_for(lambda: keys_of(east, "lc-pending-src") == [], timeout_s=4)
        assert status(east, "lc-pending-src", "k") == "PENDING"
    finally:
        deployment.start_region(WEST)
    wait_for(lambda: keys_of(east, "lc-pending-src") == [], what="expired once replicated")
    assert west.get_object(Bucket="lc-pending-dst", Key="k")["Body"].read() == b"data"


def test_seed_004_gdpr_pattern_removes_deleted_data_everywhere(
    deployment: Deployment, east: Any, west: Any
) -> None:
    """Seed 004: a V1 rule replicates delete markers, and lifecycle rules on the source and the
    destination then remove the deleted object's versions and markers on both sides."""
    versioned_bucket(east, "gdpr-src", EAST)
    versioned_bucket(west, "gdpr-dst", WEST)
    role = ensure_replication_role(deployment.endpoint(EAST), "gdpr")
    east.put_bucket_replication(
        Bucket="gdpr-src",
        ReplicationConfiguration={
            "Role": role,
            "Rules": [
                {
                    "ID": "Replication V1 Rule", "Prefix": "", "Status": "Enabled",
                    "Destination": {"Bucket": "arn:aws:s3:::gdpr-dst"},
                }
            ],
        },
    )  # fmt: skip
    purge = rule(
        "purge-deleted",
        NoncurrentVersionExpiration={"NoncurrentDays": 1},
        Expiration={"ExpiredObjectDeleteMarker": True},
    )
    configure(east, "gdpr-src", purge)
    configure(west, "gdpr-dst", purge)
    east.put_object(Bucket="gdpr-src", Key="person/42", Body=b"personal data")
    east.put_object(Bucket="gdpr-src", Key="person/43", Body=b"kept")
    for key in ("person/42", "person/43"):
        wait_for(lambda key=key: status(east, "gdpr-src", key) == "COMPLETED", what=key)
    east.delete_object(Bucket="gdpr-src", Key="person/42")
    for s3, bucket in ((east, "gdpr-src"), (west, "gdpr-dst")):
        wait_for(
            lambda s3=s3, bucket=bucket: versions_of(s3, bucket) == [("person/43", False)],
            timeout_s=60,
            what=f"person/42 gone from {bucket}",
        )
