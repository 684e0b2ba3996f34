"""Nothing Ferry accepts is silently ignored (issue 15's "Done when").

Every element of every configuration Ferry accepts (the bucket-level PUT operations it
routes, and PutObject's headers) is enumerated from botocore's service model, so an element
botocore adds, or an operation the route table gains, fails `test_every_element_is_classified`
until someone decides what Ferry does with it. Each element is, by the most specific pattern
that names it:

- `HONOURED`: a probe below sends it and observes its effect (read back, and behaviour);
- `REFUSED`: a probe sends it and expects AWS's error;
- `NO_EFFECT_ON_AWS_EITHER`: AWS itself accepts it without effect in Ferry's situation.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

import botocore.session
import httpx
import pytest
from botocore.exceptions import ClientError

from ferry.api.routing import ROUTES, Target
from ferry.protocol.sigv4 import sign_headers
from tests.live.server import ACCESS_KEY, SECRET_KEY

pytestmark = pytest.mark.live

# The configuration-bearing operations Ferry routes, by botocore name.
BUCKET_OPERATIONS = (
    "PutBucketVersioning", "PutBucketTagging", "PutBucketAcl", "PutBucketReplication",
    "PutBucketNotificationConfiguration", "PutBucketPolicy", "PutBucketEncryption",
    "PutBucketLifecycleConfiguration", "PutBucketCors", "PutBucketOwnershipControls",
    "PutPublicAccessBlock", "PutObjectLockConfiguration", "PutBucketLogging",
)  # fmt: skip
OBJECT_OPERATIONS = ("PutObject", "PutObjectRetention", "PutObjectLegalHold")
# Route ops that carry no configuration of their own (sub-resources of the object, or
# Ferry's replica write path, whose inputs are the source's as checked above).
NOT_CONFIGURATION = frozenset(
    {"PutObjectTagging", "PutObjectAcl", "ReplicateObject", "ReplicateTags"}
)

# ---- the verdicts ------------------------------------------------------------------------

_R = "PutBucketReplication.ReplicationConfiguration.Rules"
_N = "PutBucketNotificationConfiguration.NotificationConfiguration"
_E = "PutBucketEncryption.ServerSideEncryptionConfiguration.Rules"
_L = "PutBucketLogging.BucketLoggingStatus.LoggingEnabled"
_LOCK = "PutObjectLockConfiguration.ObjectLockConfiguration"

HONOURED: dict[str, str] = {
    # versioning
    "PutBucketVersioning.VersioningConfiguration.Status": "versioning_status",
    "PutBucketVersioning.VersioningConfiguration.MFADelete": "versioning_mfa_delete",
    "PutBucketVersioning.header.MFA": "versioning_mfa_delete",
    # tagging
    "PutBucketTagging.Tagging.*": "bucket_tagging",
    # replication
    "PutBucketReplication.ReplicationConfiguration.Role": "replication_filters",
    f"{_R}": "replication_filters",
    f"{_R}.ID": "replication_filters",
    f"{_R}.Priority": "replication_filters",
    f"{_R}.Prefix": "replication_v1_prefix",
    f"{_R}.Status": "replication_filters",
    f"{_R}.Filter": "replication_filters",
    f"{_R}.Filter.Prefix": "replication_filters",
    f"{_R}.Filter.Tag*": "replication_filters",
    f"{_R}.Filter.And": "replication_filters",
    f"{_R}.Filter.And.Prefix": "replication_filters",
    f"{_R}.Filter.And.Tags*": "replication_filters",
    f"{_R}.DeleteMarkerReplication*": "replication_delete_markers",
    f"{_R}.Destination": "replication_filters",
    f"{_R}.Destination.Bucket": "replication_filters",
    # effect on replicas: tests/live/test_replication.py (StorageClass),
    # tests/integration/replication/test_owner_override.py (Account, AccessControlTranslation)
    f"{_R}.Destination.Account": "replication_destination_options",
    f"{_R}.Destination.StorageClass": "replication_destination_options",
    f"{_R}.Destination.AccessControlTranslation*": "replication_destination_options",
    # effect on replicas: tests/integration/replication/test_encrypted_replication.py
    f"{_R}.SourceSelectionCriteria": "replication_sse_kms",
    f"{_R}.SourceSelectionCriteria.SseKmsEncryptedObjects*": "replication_sse_kms",
    f"{_R}.Destination.EncryptionConfiguration": "replication_sse_kms",
    f"{_R}.Destination.EncryptionConfiguration.ReplicaKmsKeyID": "replication_sse_kms",
    # effect (replica metadata sync): tests/unit/replication/test_rules.py, test_planner.py
    f"{_R}.SourceSelectionCriteria.ReplicaModifications*": "replication_replica_modifications",
    # notifications: targets are the deployment's [[notification_targets]]; delivery is
    # tests/live/test_events.py; an unknown destination is AWS's validation error
    f"{_N}.*Configurations*": "notification_unknown_destinations",
    # encryption
    f"{_E}": "encryption_default",
    f"{_E}.ApplyServerSideEncryptionByDefault*": "encryption_default",
    f"{_E}.BucketKeyEnabled": "encryption_default",
    # headers every configuration PUT may carry
    "*.header.ContentMD5": "content_md5",
    "*.header.ChecksumAlgorithm": "content_md5",
    "*.header.ExpectedBucketOwner": "expected_bucket_owner",
    # PutObject
    "PutObject.header.CacheControl": "object_headers",
    "PutObject.header.ContentDisposition": "object_headers",
    "PutObject.header.ContentEncoding": "object_headers",
    "PutObject.header.ContentLanguage": "object_headers",
    "PutObject.header.ContentType": "object_headers",
    "PutObject.header.Expires": "object_headers",
    "PutObject.header.Metadata": "object_headers",
    "PutObject.header.WebsiteRedirectLocation": "object_headers",
    "PutObject.header.StorageClass": "object_headers",
    "PutObject.header.Tagging": "object_headers",
    "PutObject.header.ContentLength": "object_checksums",
    "PutObject.header.ChecksumCRC32": "object_checksums",
    "PutObject.header.ChecksumCRC32C": "object_checksums",
    "PutObject.header.ChecksumCRC64NVME": "object_checksums",
    "PutObject.header.ChecksumSHA1": "object_checksums",
    "PutObject.header.ChecksumSHA256": "object_checksums",
    "PutObject.header.IfMatch": "object_conditional_writes",
    "PutObject.header.IfNoneMatch": "object_conditional_writes",
    "PutObject.header.ServerSideEncryption": "object_sse",
    "PutObject.header.BucketKeyEnabled": "object_sse",
    "PutObject.header.SSECustomer*": "object_sse_c",
    # SSE-KMS on objects: tests/live/test_encryption.py (needs a KMS key of the region)
    "PutObject.header.SSEKMS*": "object_sse_kms_unknown_key",
    # RTC: the threshold events themselves are tests/live/test_replication_rtc.py
    f"{_R}.Destination.Metrics*": "replication_time_control",
    f"{_R}.Destination.ReplicationTime*": "replication_time_control",
    # lifecycle: every element's effect is tests/live/test_lifecycle.py (expiration,
    # noncurrent versions, markers, multipart, transitions, each filter)
    "PutBucketLifecycleConfiguration.LifecycleConfiguration*": "lifecycle",
    "PutBucketLifecycleConfiguration.header.TransitionDefaultMinimumObjectSize": "lifecycle",
    # CORS: preflights and response headers, tests/live/test_cors.py
    "PutBucketCors.CORSConfiguration*": "cors",
    # ACLs and ownership: tests/live/test_ownership_acl.py
    "PutBucketAcl.*": "acls",
    "PutObject.header.ACL": "acls",
    "PutObject.header.Grant*": "acls",
    "PutBucketOwnershipControls.OwnershipControls*": "acls",
    # Block Public Access: tests/live/test_public_access_block.py
    "PutPublicAccessBlock.PublicAccessBlockConfiguration*": "public_access_block",
    # Object Lock: tests/live/test_object_lock.py
    f"{_LOCK}*": "object_lock_default_retention",
    "PutObject.header.ObjectLock*": "object_lock_headers",
    "PutObjectLegalHold.LegalHold*": "object_lock_headers",
    "PutObjectRetention.Retention*": "object_lock_retention",
    "PutObjectRetention.header.BypassGovernanceRetention": "object_lock_retention",
    # server access logs: their delivery is tests/live/test_trail.py
    f"{_L}": "bucket_logging",
    f"{_L}.TargetBucket": "bucket_logging",
    f"{_L}.TargetPrefix": "bucket_logging",
    f"{_L}.TargetObjectKeyFormat*": "bucket_logging",
}

REFUSED: dict[str, str] = {
    # S3 no longer accepts it (and Ferry replicates existing objects by batch jobs)
    f"{_R}.ExistingObjectReplication*": "replication_refused_elements",
    f"{_R}.Filter.Not*": "replication_refused_elements",
    f"{_R}.Filter.And.Not*": "replication_refused_elements",
    f"{_R}.Destination.EncryptionConfiguration.UseSource*": "replication_refused_elements",
    f"{_N}.EventBridgeConfiguration": "notification_refused",
    "PutBucketNotificationConfiguration.header.SkipDestinationValidation": "notification_refused",
    f"{_E}.BlockedEncryptionTypes*": "encryption_blocked_types_refused",
    "PutObject.header.ChecksumSHA512": "object_unknown_checksums_refused",
    "PutObject.header.ChecksumMD5": "object_unknown_checksums_refused",
    "PutObject.header.ChecksumXXHASH*": "object_unknown_checksums_refused",
    "PutObject.header.WriteOffsetBytes": "object_append_refused",
    f"{_LOCK}.Rule.DefaultRetention.DefaultEventHold*": "object_lock_event_holds_refused",
    "PutObjectRetention.Retention.EventHold*": "object_lock_event_holds_refused",
    f"{_L}.TargetGrants*": "bucket_logging_grants_refused",
}

NO_EFFECT_ON_AWS_EITHER: dict[str, str] = {
    "*.header.Token": "the Object Lock token AWS once issued through support to enable Object "
    "Lock or replication on an existing bucket; AWS no longer needs it, nor does Ferry",
    "*.header.RequestPayer": "the requester's acknowledgement of Requester Pays; "
    "AWS ignores it on buckets without Requester Pays, and Ferry has none",
    "PutBucketPolicy.header.ConfirmRemoveSelfBucketAccess": "confirms a policy that locks "
    "its author out; the bucket owner's root keeps policy access in Ferry as on AWS",
}


# ---- enumeration from botocore's model ---------------------------------------------------


def _walk(shape: Any, path: str, out: list[str], depth: int = 0) -> None:
    if depth > 10:
        return
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            out.append(f"{path}.{name}")
            _walk(member, f"{path}.{name}", out, depth + 1)
    elif shape.type_name == "list":
        _walk(shape.member, path, out, depth + 1)


def model_elements() -> list[str]:
    model = botocore.session.get_session().get_service_model("s3")
    found: list[str] = []
    for operation in BUCKET_OPERATIONS + OBJECT_OPERATIONS:
        shape = model.operation_model(operation).input_shape
        payload = shape.serialization.get("payload")
        if payload and shape.members[payload].type_name == "structure":
            _walk(shape.members[payload], f"{operation}.{payload}", found)
        for name, member in shape.members.items():
            if member.serialization.get("location") in ("header", "headers"):
                found.append(f"{operation}.header.{name}")
    return found


TABLES = {
    "honoured": HONOURED,
    "refused": REFUSED,
    "no effect": NO_EFFECT_ON_AWS_EITHER,
}


def verdict_of(element: str) -> tuple[str, str, str] | None:
    """(table, pattern, value) of the most specific pattern naming `element`."""
    matches = [
        (len(pattern), table, pattern, value)
        for table, entries in TABLES.items()
        for pattern, value in entries.items()
        if fnmatchcase(element, pattern)
    ]
    if not matches:
        return None
    _, table, pattern, value = max(matches)
    return table, pattern, value


def test_every_configuration_operation_ferry_routes_is_enumerated() -> None:
    model = botocore.session.get_session().get_service_model("s3")
    routed = {
        route.op.value
        for route in ROUTES
        if route.method == "PUT" and route.target is not Target.SERVICE
        and route.op.value in model.operation_names
    }  # fmt: skip
    routed -= {"CreateBucket", "CopyObject", "UploadPart", "UploadPartCopy"}  # no config
    missing = routed - set(BUCKET_OPERATIONS) - set(OBJECT_OPERATIONS) - NOT_CONFIGURATION
    assert not missing, f"routed PUT operations not enumerated here: {sorted(missing)}"


def test_every_element_is_classified() -> None:
    elements = model_elements()
    assert len(elements) > 150  # the walk found the model
    unclassified = [e for e in elements if verdict_of(e) is None]
    assert not unclassified, f"elements with no verdict: {unclassified}"
    stale = [
        pattern
        for entries in TABLES.values()
        for pattern in entries
        if not any(fnmatchcase(e, pattern) for e in elements)
    ]
    assert not stale, f"patterns naming no element of the model: {stale}"


def test_every_probe_named_exists() -> None:
    named = set(HONOURED.values()) | set(REFUSED.values())
    assert named == set(PROBES), named ^ set(PROBES)


# ---- probes ---------------------------------------------------------------------------------


class Probe:
    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def code(self, call: Callable[[], Any]) -> str:
        with pytest.raises(ClientError) as caught:
            call()
        code: str = caught.value.response["Error"]["Code"]
        return code

    def destination(self) -> str:
        name = f"{self.bucket}-d"[:63]
        self.s3.create_bucket(Bucket=name)
        self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_bucket_versioning(
            Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        return name

    def replicate(self, *rules: dict[str, Any]) -> None:
        self.s3.put_bucket_replication(
            Bucket=self.bucket,
            ReplicationConfiguration={"Role": ROLE, "Rules": list(rules)},
        )

    def status(self, key: str) -> str | None:
        status: str | None = self.s3.head_object(Bucket=self.bucket, Key=key).get(
            "ReplicationStatus"
        )
        return status


ROLE = "arn:aws:iam::000000000001:role/replication"


def rule(destination: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ID": "r1", "Priority": 1, "Status": "Enabled", "Filter": {},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
    }  # fmt: skip
    for name, value in extra.items():
        if name.startswith("Destination_"):
            base["Destination"][name.removeprefix("Destination_")] = value
        else:
            base[name] = value
    return base


def probe_versioning_status(p: Probe) -> None:
    p.s3.put_bucket_versioning(Bucket=p.bucket, VersioningConfiguration={"Status": "Enabled"})
    assert p.s3.get_bucket_versioning(Bucket=p.bucket)["Status"] == "Enabled"
    first = p.s3.put_object(Bucket=p.bucket, Key="k", Body=b"1")["VersionId"]
    second = p.s3.put_object(Bucket=p.bucket, Key="k", Body=b"2")["VersionId"]
    assert first != second
    p.s3.put_bucket_versioning(Bucket=p.bucket, VersioningConfiguration={"Status": "Suspended"})
    assert p.s3.put_object(Bucket=p.bucket, Key="k", Body=b"3").get("VersionId") == "null"


def probe_versioning_mfa_delete(p: Probe) -> None:
    enabled = {"Status": "Enabled", "MFADelete": "Enabled"}
    assert (
        p.code(
            lambda: p.s3.put_bucket_versioning(
                Bucket=p.bucket, VersioningConfiguration=enabled, MFA="arn:aws:iam::1:mfa/x 123456"
            )
        )
        == "InvalidArgument"
    )
    assert "MFADelete" not in p.s3.get_bucket_versioning(Bucket=p.bucket)
    disabled = {"Status": "Enabled", "MFADelete": "Disabled"}  # the state Ferry is in
    p.s3.put_bucket_versioning(Bucket=p.bucket, VersioningConfiguration=disabled)
    assert p.s3.get_bucket_versioning(Bucket=p.bucket)["Status"] == "Enabled"


def probe_bucket_tagging(p: Probe) -> None:
    tags = [{"Key": "team", "Value": "web"}, {"Key": "cost", "Value": "42"}]
    p.s3.put_bucket_tagging(Bucket=p.bucket, Tagging={"TagSet": tags})
    got = p.s3.get_bucket_tagging(Bucket=p.bucket)["TagSet"]
    assert sorted(got, key=lambda t: t["Key"]) == sorted(tags, key=lambda t: t["Key"])


def probe_replication_filters(p: Probe) -> None:
    destination = p.destination()
    tag_rule = rule(
        destination, ID="tagged", Priority=2,
        Filter={"And": {"Prefix": "docs/", "Tags": [{"Key": "copy", "Value": "yes"}]}},
    )  # fmt: skip
    single_tag = rule(
        destination, ID="single", Priority=3, Filter={"Tag": {"Key": "t", "Value": "1"}}
    )
    p.replicate(rule(destination, Filter={"Prefix": "logs/"}), tag_rule, single_tag)
    got = p.s3.get_bucket_replication(Bucket=p.bucket)["ReplicationConfiguration"]
    assert got["Role"] == ROLE
    assert [(r["ID"], r["Priority"], r["Status"]) for r in got["Rules"]] == [
        ("r1", 1, "Enabled"), ("tagged", 2, "Enabled"), ("single", 3, "Enabled"),
    ]  # fmt: skip
    assert got["Rules"][1]["Filter"]["And"]["Tags"] == [{"Key": "copy", "Value": "yes"}]
    p.s3.put_object(Bucket=p.bucket, Key="logs/a", Body=b"x")
    p.s3.put_object(Bucket=p.bucket, Key="other/a", Body=b"x")
    p.s3.put_object(Bucket=p.bucket, Key="docs/a", Body=b"x", Tagging="copy=yes")
    p.s3.put_object(Bucket=p.bucket, Key="docs/b", Body=b"x", Tagging="copy=no")
    p.s3.put_object(Bucket=p.bucket, Key="any", Body=b"x", Tagging="t=1")
    assert p.status("logs/a") is not None
    assert p.status("docs/a") is not None
    assert p.status("any") is not None
    assert p.status("other/a") is None
    assert p.status("docs/b") is None


def probe_replication_v1_prefix(p: Probe) -> None:
    destination = p.destination()
    v1 = {"ID": "v1", "Prefix": "in/", "Status": "Enabled",
          "Destination": {"Bucket": f"arn:aws:s3:::{destination}"}}  # fmt: skip
    p.replicate(v1)
    assert (
        p.s3.get_bucket_replication(Bucket=p.bucket)["ReplicationConfiguration"]["Rules"][0][
            "Prefix"
        ]
        == "in/"
    )
    p.s3.put_object(Bucket=p.bucket, Key="in/a", Body=b"x")
    p.s3.put_object(Bucket=p.bucket, Key="out/a", Body=b"x")
    assert p.status("in/a") is not None
    assert p.status("out/a") is None


def probe_replication_delete_markers(p: Probe) -> None:
    """Read back, and the V2 default (Disabled) vs Enabled; the markers' arrival at the
    destination is tests/live/test_replication.py's seed-004 V1/V2 test."""
    destination = p.destination()
    p.replicate(rule(destination, DeleteMarkerReplication={"Status": "Enabled"}))
    got = p.s3.get_bucket_replication(Bucket=p.bucket)["ReplicationConfiguration"]["Rules"][0]
    assert got["DeleteMarkerReplication"] == {"Status": "Enabled"}
    bad = rule(destination, DeleteMarkerReplication={"Status": "Sometimes"})
    assert p.code(lambda: p.replicate(bad)) == "MalformedXML"


def probe_replication_destination_options(p: Probe) -> None:
    destination = p.destination()
    p.replicate(
        rule(
            destination, Destination_Account="000000000001", Destination_StorageClass="STANDARD_IA",
            Destination_AccessControlTranslation={"Owner": "Destination"},
        )
    )  # fmt: skip
    got = p.s3.get_bucket_replication(Bucket=p.bucket)["ReplicationConfiguration"]["Rules"][0]
    assert got["Destination"]["Account"] == "000000000001"
    assert got["Destination"]["StorageClass"] == "STANDARD_IA"
    assert got["Destination"]["AccessControlTranslation"] == {"Owner": "Destination"}
    no_account = rule(destination, Destination_AccessControlTranslation={"Owner": "Destination"})
    assert p.code(lambda: p.replicate(no_account)) == "InvalidRequest"


def probe_replication_sse_kms(p: Probe) -> None:
    destination = p.destination()
    key = "arn:aws:kms:us-east-1:000000000001:key/00000000-0000-0000-0000-000000000000"
    paired = rule(
        destination,
        SourceSelectionCriteria={"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        Destination_EncryptionConfiguration={"ReplicaKmsKeyID": key},
    )
    p.replicate(paired)
    got = p.s3.get_bucket_replication(Bucket=p.bucket)["ReplicationConfiguration"]["Rules"][0]
    assert got["SourceSelectionCriteria"]["SseKmsEncryptedObjects"] == {"Status": "Enabled"}
    assert got["Destination"]["EncryptionConfiguration"] == {"ReplicaKmsKeyID": key}
    # each without the other is refused, as AWS refuses it
    alone = rule(
        destination, SourceSelectionCriteria={"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    )
    assert p.code(lambda: p.replicate(alone)) == "InvalidRequest"
    key_only = rule(destination, Destination_EncryptionConfiguration={"ReplicaKmsKeyID": key})
    assert p.code(lambda: p.replicate(key_only)) == "InvalidRequest"


def probe_replication_replica_modifications(p: Probe) -> None:
    destination = p.destination()
    criteria = {"ReplicaModifications": {"Status": "Enabled"}}
    p.replicate(rule(destination, SourceSelectionCriteria=criteria))
    got = p.s3.get_bucket_replication(Bucket=p.bucket)["ReplicationConfiguration"]["Rules"][0]
    assert got["SourceSelectionCriteria"] == criteria


def probe_replication_refused_elements(p: Probe) -> None:
    destination = p.destination()
    for extra in (
        {"ExistingObjectReplication": {"Status": "Enabled"}},
        {"Filter": {"Not": {"Prefix": "x"}}},
        {"Filter": {"And": {"Prefix": "a", "Not": {"Prefix": "x"}}}},
        {"Destination_EncryptionConfiguration": {"UseSourceMultiRegionKey": {"Status": "Enabled"}}},
    ):
        refused = rule(destination, **extra)
        assert p.code(lambda: p.replicate(refused)) == "MalformedXML", extra  # noqa: B023
    assert p.code(lambda: p.s3.get_bucket_replication(Bucket=p.bucket)) == (
        "ReplicationConfigurationNotFoundError"
    )


def probe_notification_unknown_destinations(p: Probe) -> None:
    configs = {
        "TopicConfigurations": [{"TopicArn": "arn:aws:sns:us-east-1:000000000001:t",
                                 "Events": ["s3:ObjectCreated:*"]}],
        "QueueConfigurations": [{"QueueArn": "arn:aws:sqs:us-east-1:000000000001:q",
                                 "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [
                                     {"Name": "prefix", "Value": "a/"}]}}}],
        "LambdaFunctionConfigurations": [
            {"LambdaFunctionArn": "arn:aws:lambda:us-east-1:000000000001:function:f",
             "Events": ["s3:ObjectCreated:*"]}],
    }  # fmt: skip
    for kind, value in configs.items():
        assert (
            p.code(
                lambda: p.s3.put_bucket_notification_configuration(
                    Bucket=p.bucket,
                    NotificationConfiguration={kind: value},  # noqa: B023
                )
            )
            == "InvalidArgument"
        ), kind
    got = p.s3.get_bucket_notification_configuration(Bucket=p.bucket)
    assert not any(k.endswith("Configurations") for k in got)


def probe_notification_refused(p: Probe) -> None:
    assert (
        p.code(
            lambda: p.s3.put_bucket_notification_configuration(
                Bucket=p.bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )
        )
        == "NotImplemented"
    )
    assert (
        p.code(
            lambda: p.s3.put_bucket_notification_configuration(
                Bucket=p.bucket, NotificationConfiguration={}, SkipDestinationValidation=True
            )
        )
        == "NotImplemented"
    )
    assert "EventBridgeConfiguration" not in p.s3.get_bucket_notification_configuration(
        Bucket=p.bucket
    )


def probe_encryption_default(p: Probe) -> None:
    p.s3.put_bucket_encryption(
        Bucket=p.bucket,
        ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BucketKeyEnabled": True,
        }]},
    )  # fmt: skip
    rule_got = p.s3.get_bucket_encryption(Bucket=p.bucket)["ServerSideEncryptionConfiguration"][
        "Rules"
    ][0]
    assert rule_got["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    p.s3.put_object(Bucket=p.bucket, Key="plain", Body=b"x")
    assert p.s3.head_object(Bucket=p.bucket, Key="plain")["ServerSideEncryption"] == "AES256"
    key_for_aes = {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "alias/x"}
    assert (
        p.code(
            lambda: p.s3.put_bucket_encryption(
                Bucket=p.bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": key_for_aes}]
                },
            )
        )
        == "InvalidArgument"
    )


def probe_encryption_blocked_types_refused(p: Probe) -> None:
    config = {"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]},
    }]}  # fmt: skip
    assert (
        p.code(
            lambda: p.s3.put_bucket_encryption(
                Bucket=p.bucket, ServerSideEncryptionConfiguration=config
            )
        )
        == "NotImplemented"
    )


def probe_content_md5(p: Probe) -> None:
    """A configuration body whose Content-MD5 does not match is refused (raw SigV4)."""
    body = b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>"
    endpoint = p.s3.meta.endpoint_url
    url = f"{endpoint}/{p.bucket}?tagging"
    for md5, expected in ((hashlib.md5(b"other").digest(), 400), (hashlib.md5(body).digest(), 204)):
        headers = {
            "host": endpoint.split("//", 1)[1],
            "content-md5": base64.b64encode(md5).decode(),
        }
        headers.update(
            sign_headers(
                "PUT", url, headers, hashlib.sha256(body).hexdigest(), ACCESS_KEY, SECRET_KEY,
                "us-east-1", datetime.now(UTC),
            )
        )  # fmt: skip
        response = httpx.put(url, headers=headers, content=body)
        assert response.status_code == expected, response.text
        if expected == 400:
            assert b"<Code>BadDigest</Code>" in response.content
            assert p.code(lambda: p.s3.get_bucket_tagging(Bucket=p.bucket)) == "NoSuchTagSet"
    assert p.s3.get_bucket_tagging(Bucket=p.bucket)["TagSet"] == [{"Key": "a", "Value": "b"}]


def probe_expected_bucket_owner(p: Probe) -> None:
    assert (
        p.code(
            lambda: p.s3.put_bucket_tagging(
                Bucket=p.bucket, Tagging={"TagSet": []}, ExpectedBucketOwner="999999999999"
            )
        )
        == "AccessDenied"
    )
    assert (
        p.code(
            lambda: p.s3.put_object(
                Bucket=p.bucket, Key="k", Body=b"x", ExpectedBucketOwner="999999999999"
            )
        )
        == "AccessDenied"
    )
    p.s3.put_object(Bucket=p.bucket, Key="k", Body=b"x", ExpectedBucketOwner="000000000001")


def probe_object_headers(p: Probe) -> None:
    p.s3.put_object(
        Bucket=p.bucket, Key="h", Body=b"x", CacheControl="max-age=5",
        ContentDisposition="attachment", ContentEncoding="identity", ContentLanguage="fr",
        ContentType="text/plain", Expires="Wed, 21 Oct 2015 07:28:00 GMT",
        Metadata={"colour": "blue"}, WebsiteRedirectLocation="/elsewhere",
        StorageClass="STANDARD_IA", Tagging="a=1",
    )  # fmt: skip
    head = p.s3.head_object(Bucket=p.bucket, Key="h")
    assert head["CacheControl"] == "max-age=5"
    assert head["ContentDisposition"] == "attachment"
    assert head["ContentEncoding"] == "identity"
    assert head["ContentLanguage"] == "fr"
    assert head["ContentType"] == "text/plain"
    assert head["ExpiresString"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert head["Metadata"] == {"colour": "blue"}
    assert head["WebsiteRedirectLocation"] == "/elsewhere"
    assert head["StorageClass"] == "STANDARD_IA"
    assert p.s3.get_object_tagging(Bucket=p.bucket, Key="h")["TagSet"] == [
        {"Key": "a", "Value": "1"}
    ]
    assert (
        p.code(lambda: p.s3.put_object(Bucket=p.bucket, Key="h2", Body=b"x", StorageClass="NOPE"))
        == "InvalidStorageClass"
    )


def probe_object_checksums(p: Probe) -> None:
    body = b"checked body"
    for algorithm in ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"):
        p.s3.put_object(Bucket=p.bucket, Key=algorithm, Body=body, ChecksumAlgorithm=algorithm)
        head = p.s3.head_object(Bucket=p.bucket, Key=algorithm, ChecksumMode="ENABLED")
        assert head[f"Checksum{algorithm}"], algorithm
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    assert (
        p.code(lambda: p.s3.put_object(Bucket=p.bucket, Key="bad", Body=body, ChecksumSHA256=wrong))
        == "BadDigest"
    )
    assert p.code(lambda: p.s3.head_object(Bucket=p.bucket, Key="bad")) == "404"


def probe_object_conditional_writes(p: Probe) -> None:
    etag = p.s3.put_object(Bucket=p.bucket, Key="c", Body=b"1")["ETag"]
    assert (
        p.code(lambda: p.s3.put_object(Bucket=p.bucket, Key="c", Body=b"2", IfNoneMatch="*"))
        == "PreconditionFailed"
    )
    assert (
        p.code(lambda: p.s3.put_object(Bucket=p.bucket, Key="c", Body=b"2", IfMatch='"0"'))
        == "PreconditionFailed"
    )
    p.s3.put_object(Bucket=p.bucket, Key="c", Body=b"3", IfMatch=etag)
    assert p.s3.get_object(Bucket=p.bucket, Key="c")["Body"].read() == b"3"


def probe_object_sse(p: Probe) -> None:
    put = p.s3.put_object(
        Bucket=p.bucket, Key="s", Body=b"x", ServerSideEncryption="AES256", BucketKeyEnabled=False
    )
    assert put["ServerSideEncryption"] == "AES256"
    assert p.s3.head_object(Bucket=p.bucket, Key="s")["ServerSideEncryption"] == "AES256"


def probe_object_sse_c(p: Probe) -> None:
    key = b"k" * 32
    sse = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}
    p.s3.put_object(Bucket=p.bucket, Key="c", Body=b"secret", **sse)
    assert p.code(lambda: p.s3.get_object(Bucket=p.bucket, Key="c")) == "InvalidRequest"
    assert p.s3.get_object(Bucket=p.bucket, Key="c", **sse)["Body"].read() == b"secret"


def probe_object_sse_kms_unknown_key(p: Probe) -> None:
    code = p.code(
        lambda: p.s3.put_object(
            Bucket=p.bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms",
            SSEKMSKeyId="alias/no-such-key", SSEKMSEncryptionContext=base64.b64encode(
                json.dumps({"a": "b"}).encode()).decode(),
        )
    )  # fmt: skip
    assert code in ("KMS.NotFoundException", "NotImplemented", "InvalidArgument")
    assert p.code(lambda: p.s3.head_object(Bucket=p.bucket, Key="kms")) == "404"


def probe_object_unknown_checksums_refused(p: Probe) -> None:
    for header in ("x-amz-checksum-sha512", "x-amz-checksum-md5", "x-amz-checksum-xxhash64"):

        def add(request: Any, name: str = header, **_: Any) -> None:
            request.headers[name] = "AAAA"

        p.s3.meta.events.register("before-sign.s3.PutObject", add)
        try:
            assert (
                p.code(lambda: p.s3.put_object(Bucket=p.bucket, Key="u", Body=b"x"))
                == "NotImplemented"
            ), header
        finally:
            p.s3.meta.events.unregister("before-sign.s3.PutObject", add)
    assert p.code(lambda: p.s3.head_object(Bucket=p.bucket, Key="u")) == "404"


def probe_object_append_refused(p: Probe) -> None:
    assert (
        p.code(lambda: p.s3.put_object(Bucket=p.bucket, Key="a", Body=b"x", WriteOffsetBytes=0))
        == "NotImplemented"
    )


ALL_USERS = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'


def _anonymous_status(p: Probe, path: str) -> int:
    return httpx.get(f"{p.s3.meta.endpoint_url}/{p.bucket}{path}").status_code


def _allow_acls(p: Probe) -> None:
    """What an AWS user does first to use ACLs on a new bucket."""
    p.s3.put_bucket_ownership_controls(
        Bucket=p.bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    p.s3.delete_public_access_block(Bucket=p.bucket)


def probe_replication_time_control(p: Probe) -> None:
    destination = p.destination()
    minutes = {"Minutes": 15}
    without_metrics = rule(
        destination, Destination_ReplicationTime={"Status": "Enabled", "Time": minutes}
    )
    assert p.code(lambda: p.replicate(without_metrics)) == "InvalidRequest"
    rtc = rule(
        destination,
        Destination_ReplicationTime={"Status": "Enabled", "Time": minutes},
        Destination_Metrics={"Status": "Enabled", "EventThreshold": minutes},
    )
    p.replicate(rtc)
    got = p.s3.get_bucket_replication(Bucket=p.bucket)["ReplicationConfiguration"]["Rules"][0]
    assert got["Destination"]["ReplicationTime"]["Status"] == "Enabled"
    assert got["Destination"]["Metrics"]["EventThreshold"] == minutes


def probe_lifecycle(p: Probe) -> None:
    config = {"Rules": [{
        "ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
        "Expiration": {"Days": 3},
    }]}  # fmt: skip
    p.s3.put_bucket_lifecycle_configuration(Bucket=p.bucket, LifecycleConfiguration=config)
    stored = p.s3.get_bucket_lifecycle_configuration(Bucket=p.bucket)["Rules"]
    assert [(r["ID"], r["Expiration"]["Days"]) for r in stored] == [("logs", 3)]
    covered = p.s3.put_object(Bucket=p.bucket, Key="logs/a", Body=b"x")
    assert 'rule-id="logs"' in covered["Expiration"]  # x-amz-expiration: it will expire
    assert "Expiration" not in p.s3.put_object(Bucket=p.bucket, Key="kept", Body=b"x")


def probe_cors(p: Probe) -> None:
    rules = [{
        "ID": "web", "AllowedMethods": ["GET"], "AllowedOrigins": ["https://app.example"],
        "AllowedHeaders": ["x-custom"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600,
    }]  # fmt: skip
    p.s3.put_bucket_cors(Bucket=p.bucket, CORSConfiguration={"CORSRules": rules})
    url = f"{p.s3.meta.endpoint_url}/{p.bucket}/k"
    asked = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-custom"}
    allowed = httpx.options(url, headers={"Origin": "https://app.example", **asked})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert allowed.headers["access-control-allow-headers"] == "x-custom"
    assert allowed.headers["access-control-expose-headers"] == "ETag"
    assert allowed.headers["access-control-max-age"] == "600"
    assert (
        httpx.options(url, headers={"Origin": "https://other.example", **asked}).status_code == 403
    )


def probe_acls(p: Probe) -> None:
    # BucketOwnerEnforced, the default: ACLs are refused, not stored and ignored
    refused = p.code(
        lambda: p.s3.put_object(Bucket=p.bucket, Key="k", Body=b"x", ACL="public-read")
    )
    assert refused == "AccessControlListNotSupported"
    _allow_acls(p)
    p.s3.put_object(Bucket=p.bucket, Key="k", Body=b"x", ACL="public-read")
    assert _anonymous_status(p, "/k") == 200
    p.s3.put_object(Bucket=p.bucket, Key="g", Body=b"x", GrantRead=ALL_USERS)
    assert _anonymous_status(p, "/g") == 200
    p.s3.put_object(Bucket=p.bucket, Key="private", Body=b"x")
    assert _anonymous_status(p, "/private") == 403
    p.s3.put_bucket_acl(Bucket=p.bucket, ACL="public-read")
    assert _anonymous_status(p, "") == 200  # anyone may list
    owner = p.s3.get_bucket_acl(Bucket=p.bucket)["Owner"]
    private = {"Owner": owner, "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]},
                                           "Permission": "FULL_CONTROL"}]}  # fmt: skip
    p.s3.put_bucket_acl(Bucket=p.bucket, AccessControlPolicy=private)
    assert _anonymous_status(p, "") == 403


def probe_public_access_block(p: Probe) -> None:
    _allow_acls(p)

    def block(**settings: bool) -> None:
        names = (
            "BlockPublicAcls",
            "IgnorePublicAcls",
            "BlockPublicPolicy",
            "RestrictPublicBuckets",
        )
        config = {name: settings.get(name, False) for name in names}
        p.s3.put_public_access_block(Bucket=p.bucket, PublicAccessBlockConfiguration=config)

    block(BlockPublicAcls=True)
    public_put = lambda: p.s3.put_object(Bucket=p.bucket, Key="k", Body=b"x", ACL="public-read")  # noqa: E731
    assert p.code(public_put) == "AccessDenied"
    block(IgnorePublicAcls=True)
    public_put()
    assert _anonymous_status(p, "/k") == 403
    block(BlockPublicPolicy=True)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{p.bucket}/*",
    }]})  # fmt: skip
    assert p.code(lambda: p.s3.put_bucket_policy(Bucket=p.bucket, Policy=policy)) == "AccessDenied"
    block()
    p.s3.put_object(Bucket=p.bucket, Key="p", Body=b"x")
    p.s3.put_bucket_policy(Bucket=p.bucket, Policy=policy)
    assert _anonymous_status(p, "/p") == 200
    block(RestrictPublicBuckets=True)
    assert _anonymous_status(p, "/p") == 403


def _lock_bucket(p: Probe) -> str:
    name = f"{p.bucket}-lock"[:63]
    p.s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def probe_object_lock_default_retention(p: Probe) -> None:
    name = _lock_bucket(p)
    for period in ({"Days": 1}, {"Years": 1}):
        retention = {"Mode": "GOVERNANCE", **period}
        p.s3.put_object_lock_configuration(
            Bucket=name,
            ObjectLockConfiguration={"ObjectLockEnabled": "Enabled",
                                     "Rule": {"DefaultRetention": retention}},
        )  # fmt: skip
        version = p.s3.put_object(Bucket=name, Key="d", Body=b"x")["VersionId"]
        head = p.s3.head_object(Bucket=name, Key="d", VersionId=version)
        assert head["ObjectLockMode"] == "GOVERNANCE"
        days = (head["ObjectLockRetainUntilDate"] - datetime.now(UTC)).days
        assert days in ((0, 1) if "Days" in period else (364, 365)), days
        delete = lambda: p.s3.delete_object(Bucket=name, Key="d", VersionId=version)  # noqa: B023,E731
        assert p.code(delete) == "AccessDenied"


def probe_object_lock_headers(p: Probe) -> None:
    name = _lock_bucket(p)
    version = p.s3.put_object(Bucket=name, Key="h", Body=b"x", ObjectLockLegalHoldStatus="ON")[
        "VersionId"
    ]
    delete = lambda: p.s3.delete_object(Bucket=name, Key="h", VersionId=version)  # noqa: E731
    assert p.code(delete) == "AccessDenied"
    p.s3.put_object_legal_hold(Bucket=name, Key="h", VersionId=version, LegalHold={"Status": "OFF"})
    p.s3.delete_object(Bucket=name, Key="h", VersionId=version)
    until = datetime(2100, 1, 1, tzinfo=UTC)
    locked = p.s3.put_object(
        Bucket=name, Key="r", Body=b"x", ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
    )["VersionId"]  # fmt: skip
    head = p.s3.head_object(Bucket=name, Key="r", VersionId=locked)
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == ("COMPLIANCE", until)


def probe_object_lock_retention(p: Probe) -> None:
    name = _lock_bucket(p)
    version = p.s3.put_object(Bucket=name, Key="g", Body=b"x")["VersionId"]
    until = datetime(2100, 1, 1, tzinfo=UTC)
    p.s3.put_object_retention(
        Bucket=name, Key="g", VersionId=version,
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until},
    )  # fmt: skip
    got = p.s3.get_object_retention(Bucket=name, Key="g", VersionId=version)["Retention"]
    assert (got["Mode"], got["RetainUntilDate"]) == ("GOVERNANCE", until)
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": datetime(2099, 1, 1, tzinfo=UTC)}
    shorten = lambda bypass: p.s3.put_object_retention(  # noqa: E731
        Bucket=name, Key="g", VersionId=version, Retention=shorter,
        BypassGovernanceRetention=bypass,
    )  # fmt: skip
    assert p.code(lambda: shorten(False)) == "AccessDenied"
    shorten(True)  # the root holds s3:BypassGovernanceRetention
    got = p.s3.get_object_retention(Bucket=name, Key="g", VersionId=version)["Retention"]
    assert got["RetainUntilDate"] == shorter["RetainUntilDate"]


def probe_object_lock_event_holds_refused(p: Probe) -> None:
    name = _lock_bucket(p)
    with_hold = {"Mode": "GOVERNANCE", "Days": 1, "DefaultEventHold": {"Days": 1}}
    configure = lambda: p.s3.put_object_lock_configuration(  # noqa: E731
        Bucket=name,
        ObjectLockConfiguration={"ObjectLockEnabled": "Enabled",
                                 "Rule": {"DefaultRetention": with_hold}},
    )  # fmt: skip
    assert p.code(configure) == "NotImplemented"
    version = p.s3.put_object(Bucket=name, Key="e", Body=b"x")["VersionId"]
    for retention in ({"EventHold": "ON"}, {"EventHoldDuration": {"Days": 1}}):
        hold = lambda r=retention: p.s3.put_object_retention(  # noqa: E731
            Bucket=name, Key="e", VersionId=version, Retention=r
        )
        assert p.code(hold) == "NotImplemented"
    assert "ObjectLockMode" not in p.s3.head_object(Bucket=name, Key="e", VersionId=version)


def _log_target(p: Probe) -> str:
    target = f"{p.bucket}-logs"[:63]
    p.s3.create_bucket(Bucket=target)
    return target


def probe_bucket_logging(p: Probe) -> None:
    target = _log_target(p)
    status = {"LoggingEnabled": {
        "TargetBucket": target, "TargetPrefix": "access/",
        "TargetObjectKeyFormat": {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}},
    }}  # fmt: skip
    p.s3.put_bucket_logging(Bucket=p.bucket, BucketLoggingStatus=status)
    got = p.s3.get_bucket_logging(Bucket=p.bucket)["LoggingEnabled"]
    assert (got["TargetBucket"], got["TargetPrefix"]) == (target, "access/")
    assert got["TargetObjectKeyFormat"] == status["LoggingEnabled"]["TargetObjectKeyFormat"]
    missing = {"LoggingEnabled": {"TargetBucket": f"{target}-none", "TargetPrefix": "x/"}}
    assert (
        p.code(lambda: p.s3.put_bucket_logging(Bucket=p.bucket, BucketLoggingStatus=missing))
        == "InvalidTargetBucketForLogging"
    )
    p.s3.put_bucket_logging(Bucket=p.bucket, BucketLoggingStatus={})
    assert "LoggingEnabled" not in p.s3.get_bucket_logging(Bucket=p.bucket)


def probe_bucket_logging_grants_refused(p: Probe) -> None:
    target = _log_target(p)
    grant = {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
             "Permission": "READ"}  # fmt: skip
    status = {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "a/",
                                 "TargetGrants": [grant]}}  # fmt: skip
    put = lambda: p.s3.put_bucket_logging(Bucket=p.bucket, BucketLoggingStatus=status)  # noqa: E731
    assert p.code(put) == "NotImplemented"
    assert "LoggingEnabled" not in p.s3.get_bucket_logging(Bucket=p.bucket)


PROBES: dict[str, Callable[[Probe], None]] = {
    name.removeprefix("probe_"): function
    for name, function in dict(globals()).items()
    if name.startswith("probe_") and callable(function)
}


@pytest.fixture
def probe(s3: Any, bucket: str) -> Iterator[Probe]:
    yield Probe(s3, bucket)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_probe(name: str, probe: Probe) -> None:
    """Each probe covers the elements whose verdict names it (see the tables above)."""
    PROBES[name](probe)
