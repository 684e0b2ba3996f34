"""Nothing Ferry accepts is silently ignored (issue 15's "Done when").

Every element of every configuration Ferry accepts (the bucket-level PUT operations it
routes, and PutObject's headers) is enumerated from botocore's service model, so an element
botocore adds, or an operation the route table gains, fails `test_every_element_is_classified`
until someone decides what Ferry does with it. Each element is, by the most specific pattern
that names it:

- `HONOURED`: a probe below sends it and observes its effect (read back, and behaviour);
- `REFUSED`: a probe sends it and expects AWS's error;
- `OWNED_ELSEWHERE`: being built on another branch right now (the lead updates this list
  at merge: each entry then moves to HONOURED or REFUSED with its probe);
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
)  # fmt: skip
OBJECT_OPERATIONS = ("PutObject",)
# Route ops that carry no configuration of their own (sub-resources of the object, or
# Ferry's replica write path, whose inputs are the source's as checked above).
NOT_CONFIGURATION = frozenset(
    {"PutObjectTagging", "PutObjectAcl", "ReplicateObject", "ReplicateTags"}
)

# ---- the verdicts ------------------------------------------------------------------------

_R = "PutBucketReplication.ReplicationConfiguration.Rules"
_N = "PutBucketNotificationConfiguration.NotificationConfiguration"
_E = "PutBucketEncryption.ServerSideEncryptionConfiguration.Rules"

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
}

# Being built on other branches right now; the lead moves each entry at merge.
OWNED_ELSEWHERE: dict[str, str] = {
    f"{_R}.Destination.Metrics*": "metrics",
    f"{_R}.Destination.ReplicationTime*": "metrics",
    "PutBucketReplication.header.Token": "object lock",  # replication on lock-enabled buckets
    "PutObject.header.ObjectLock*": "object lock",
    "PutBucketAcl.*": "ACLs, ownership and public access",
    "PutObject.header.ACL": "ACLs, ownership and public access",
    "PutObject.header.Grant*": "ACLs, ownership and public access",
}

NO_EFFECT_ON_AWS_EITHER: dict[str, str] = {
    "PutObject.header.RequestPayer": "the requester's acknowledgement of Requester Pays; "
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
    "elsewhere": OWNED_ELSEWHERE,
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
