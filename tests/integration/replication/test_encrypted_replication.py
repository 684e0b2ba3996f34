"""Replicating encrypted objects, in process (reference §3.3): SSE-S3 replicas stay SSE-S3,
SSE-KMS objects replicate only when the rule opts in and are encrypted again under its
ReplicaKmsKeyID in the destination region, SSE-C objects travel as stored, and unencrypted
ones take the destination's default encryption. Keys that cannot be used fail with AWS's
reasons."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from ferry.control.identifiers import HolderKind
from ferry.control.policies import Holder
from ferry.replication.manifest import ManifestEntry, render_csv_manifest
from tests.integration.conftest import ACCOUNT_ID
from tests.integration.replication.conftest import TwoRegions, eventually
from tests.integration.replication.jobs_client import call
from tests.integration.replication.test_engine import make_bucket, status_of
from tests.integration.replication.test_failures import failures
from tests.integration.s3 import S3
from tests.integration.test_encryption import SSE_C  # one customer key's headers

KMS_RULE = """<ReplicationConfiguration><Role>arn:aws:iam::000000000042:role/r</Role>
<Rule><ID>kms</ID><Priority>1</Priority><Status>Enabled</Status><Filter><Prefix></Prefix></Filter>
{criteria}<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>
<Destination><Bucket>arn:aws:s3:::dst</Bucket>{encryption}</Destination></Rule>
</ReplicationConfiguration>"""
OPT_IN = (
    "<SourceSelectionCriteria><SseKmsEncryptedObjects><Status>Enabled</Status>"
    "</SseKmsEncryptedObjects></SourceSelectionCriteria>"
)
BATCH_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/batch"


async def replicate(s3: S3, *, replica_key: str | None = None, opt_in: bool = False) -> None:
    encryption = ""
    if replica_key is not None:
        encryption = (
            "<EncryptionConfiguration><ReplicaKmsKeyID>"
            f"{replica_key}</ReplicaKmsKeyID></EncryptionConfiguration>"
        )
    body = KMS_RULE.format(criteria=OPT_IN if opt_in else "", encryption=encryption).encode()
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    response = await s3.put(
        "/src", query={"replication": None}, body=body, headers={"content-md5": md5}
    )
    assert response.status_code == 200, response.text


@pytest.fixture
async def pair(regions: TwoRegions) -> TwoRegions:
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    return regions


async def settled(
    s3: S3, path: str, version_id: str, headers: dict[str, str] | None = None
) -> str | None:
    status: str | None = None

    async def done() -> bool:
        nonlocal status
        head = await s3.head(path, query={"versionId": version_id}, headers=headers)
        assert head.status_code == 200, head.status_code
        status = head.headers.get("x-amz-replication-status")
        return status in ("COMPLETED", "FAILED")

    await eventually(done)
    return status


async def reason_of(s3: S3, version_id: str) -> str:
    listed = (await failures(s3, state="FAILED"))["failures"]
    [failure] = [f for f in listed if f["version_id"] == version_id]
    reason: str = failure["reason"]
    return reason


async def stored_bytes(regions: TwoRegions, bucket: str, key: str, version_id: str) -> bytes:
    version = await regions.west.services.objects.get(bucket, key, version_id)
    return b"".join([c async for c in regions.west.services.objects.read_body(version)])


async def new_key(regions: TwoRegions, *, west: bool = True) -> str:
    region = regions.west if west else regions.east
    assert region.services.kms is not None
    return (await region.services.kms.create_key(account_id=ACCOUNT_ID)).arn


async def role_may(regions: TwoRegions, statements: list[dict[str, Any]]) -> None:
    """Replace role r's permissions (the fixtures grant s3:* and kms:*)."""
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    holder = Holder(account_id=ACCOUNT_ID, kind=HolderKind.ROLE, name="r")
    await regions.east.services.iam.policies.put_inline(holder, "replication", document)
    for region in (regions.east, regions.west):
        region.services.iam.identities.forget()


async def put(s3: S3, key: str, body: bytes, headers: dict[str, str]) -> str:
    response = await s3.put(f"/src/{key}", body=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["x-amz-version-id"]


@pytest.mark.parametrize("size", [100, 300 * 1024])  # batched, and streamed on its own
async def test_an_sse_s3_object_replicates_as_sse_s3_and_encrypted_at_rest(
    pair: TwoRegions, size: int
) -> None:
    await replicate(pair.s3_east)
    data = bytes(i % 251 for i in range(size))
    version = await put(pair.s3_east, "doc", data, {"x-amz-server-side-encryption": "AES256"})
    assert await settled(pair.s3_east, "/src/doc", version) == "COMPLETED"
    got = await pair.s3_west.get("/dst/doc", query={"versionId": version})
    assert got.content == data
    assert got.headers["x-amz-server-side-encryption"] == "AES256"
    assert got.headers["x-amz-replication-status"] == "REPLICA"
    assert got.headers["etag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert data[:64] not in await stored_bytes(pair, "dst", "doc", version)


async def test_an_sse_kms_object_is_not_replicated_unless_the_rule_opts_in(
    pair: TwoRegions,
) -> None:
    await replicate(pair.s3_east)
    key_arn = await new_key(pair, west=False)
    headers = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": key_arn,
    }
    kms_version = await put(pair.s3_east, "secret", b"kms", headers)
    plain_version = await put(pair.s3_east, "plain", b"plain", {})
    assert await settled(pair.s3_east, "/src/plain", plain_version) == "COMPLETED"
    assert await status_of(pair.s3_east, "/src/secret", kms_version) is None  # as AWS: no status
    assert (await pair.s3_west.head("/dst/secret")).status_code == 404


async def test_an_sse_kms_object_is_encrypted_again_under_the_replica_key(
    pair: TwoRegions,
) -> None:
    source_key, replica_key = await new_key(pair, west=False), await new_key(pair)
    await replicate(pair.s3_east, replica_key=replica_key, opt_in=True)
    headers = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": source_key,
        "x-amz-server-side-encryption-context": base64.b64encode(b'{"team":"blue"}').decode(),
    }
    version = await put(pair.s3_east, "secret", b"kms payload", headers)
    assert await settled(pair.s3_east, "/src/secret", version) == "COMPLETED"
    got = await pair.s3_west.get("/dst/secret", query={"versionId": version})
    assert got.content == b"kms payload"
    assert got.headers["x-amz-server-side-encryption"] == "aws:kms"
    assert got.headers["x-amz-server-side-encryption-aws-kms-key-id"] == replica_key
    assert (
        got.headers["x-amz-server-side-encryption-context"]
        == headers["x-amz-server-side-encryption-context"]
    )


@pytest.mark.parametrize(
    ("make_unusable", "reason"),
    [
        ("missing", "DstKmsKeyNotFound"),
        ("disabled", "DstKmsKeyInvalidState"),
        ("pending deletion", "DstKmsKeyInvalidState"),
    ],
)
async def test_an_unusable_replica_key_fails_with_its_reason(
    pair: TwoRegions, make_unusable: str, reason: str
) -> None:
    kms = pair.west.services.kms
    assert kms is not None
    replica_key = await new_key(pair)
    if make_unusable == "missing":
        replica_key = replica_key.replace(replica_key[-12:], "000000000000")
    elif make_unusable == "disabled":
        await kms.disable_key(replica_key, account_id=ACCOUNT_ID)
    else:
        await kms.schedule_key_deletion(replica_key, account_id=ACCOUNT_ID)
    await replicate(pair.s3_east, replica_key=replica_key, opt_in=True)
    version = await put(pair.s3_east, "secret", b"x", {"x-amz-server-side-encryption": "aws:kms"})
    assert await settled(pair.s3_east, "/src/secret", version) == "FAILED"
    assert await reason_of(pair.s3_east, version) == reason
    assert (await pair.s3_west.head("/dst/secret")).status_code == 404


async def test_a_replica_key_of_another_region_is_not_found(pair: TwoRegions) -> None:
    east_key = await new_key(pair, west=False)
    await replicate(pair.s3_east, replica_key=east_key, opt_in=True)
    version = await put(pair.s3_east, "secret", b"x", {"x-amz-server-side-encryption": "aws:kms"})
    assert await settled(pair.s3_east, "/src/secret", version) == "FAILED"
    assert await reason_of(pair.s3_east, version) == "DstKmsKeyNotFound"


async def test_a_disabled_source_key_fails_as_src_kms_key_invalid_state(pair: TwoRegions) -> None:
    source_key, replica_key = await new_key(pair, west=False), await new_key(pair)
    await replicate(pair.s3_east, replica_key=replica_key, opt_in=True)
    kms = pair.east.services.kms
    assert kms is not None
    headers = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": source_key,
    }
    await pair.east.worker.stop()  # the key is disabled after the write, before replication
    version = await put(pair.s3_east, "secret", b"x", headers)
    await kms.disable_key(source_key, account_id=ACCOUNT_ID)
    pair.east.worker.start()
    assert await settled(pair.s3_east, "/src/secret", version) == "FAILED"
    assert await reason_of(pair.s3_east, version) == "SrcKmsKeyInvalidState"


@pytest.mark.parametrize(
    ("granted", "reason"),
    [
        ("kms:Encrypt", "SrcGetObjectNotPermitted"),  # no kms:Decrypt on the source key
        ("kms:Decrypt", "DstPutObjectNotPermitted"),  # no kms:Encrypt on the replica key
    ],
)
async def test_a_kms_permission_the_role_lacks_fails_with_its_reason(
    pair: TwoRegions, granted: str, reason: str
) -> None:
    source_key, replica_key = await new_key(pair, west=False), await new_key(pair)
    await replicate(pair.s3_east, replica_key=replica_key, opt_in=True)
    await role_may(
        pair,
        [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": [granted], "Resource": [source_key, replica_key]},
        ],
    )
    headers = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": source_key,
    }
    version = await put(pair.s3_east, "secret", b"x", headers)
    assert await settled(pair.s3_east, "/src/secret", version) == "FAILED"
    assert await reason_of(pair.s3_east, version) == reason


async def test_aws_documented_kms_conditions_admit_the_replication(pair: TwoRegions) -> None:
    """The policy of AWS's "Replicating encrypted objects" page: kms:ViaService and the
    object-ARN encryption context on both keys, SSE condition keys on s3:ReplicateObject."""
    source_key, replica_key = await new_key(pair, west=False), await new_key(pair)
    await replicate(pair.s3_east, replica_key=replica_key, opt_in=True)
    await role_may(
        pair,
        [
            {"Effect": "Allow", "Resource": "*", "Action": [
                "s3:GetReplicationConfiguration", "s3:ListBucket",
                "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging"]},
            {"Effect": "Allow", "Action": ["s3:ReplicateObject", "s3:ReplicateDelete"],
             "Resource": "arn:aws:s3:::dst/*",
             "Condition": {"StringLikeIfExists": {
                 "s3:x-amz-server-side-encryption": ["aws:kms", "AES256"],
                 "s3:x-amz-server-side-encryption-aws-kms-key-id": [replica_key]}}},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": source_key,
             "Condition": {"StringLike": {
                 "kms:ViaService": "s3.us-east-1.amazonaws.com",
                 "kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::src/*"]}}},
            {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": replica_key,
             "Condition": {"StringLike": {
                 "kms:ViaService": "s3.eu-west-1.amazonaws.com",
                 "kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::dst/*"]}}},
        ],
    )  # fmt: skip
    headers = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": source_key,
    }
    small = await put(pair.s3_east, "small", b"x", headers)
    large = await put(pair.s3_east, "large", b"y" * (300 * 1024), headers)
    assert await settled(pair.s3_east, "/src/small", small) == "COMPLETED"
    assert await settled(pair.s3_east, "/src/large", large) == "COMPLETED"


async def test_an_sse_c_object_travels_as_stored_and_opens_with_the_same_key(
    pair: TwoRegions,
) -> None:
    await replicate(pair.s3_east)
    data = b"customer data " * 10_000  # several frames, streamed on its own
    version = await put(pair.s3_east, "c", data, SSE_C)
    small = await put(pair.s3_east, "small", b"tiny", SSE_C)
    assert await settled(pair.s3_east, "/src/c", version, SSE_C) == "COMPLETED"
    assert await settled(pair.s3_east, "/src/small", small, SSE_C) == "COMPLETED"
    source_head = await pair.s3_east.head("/src/c", query={"versionId": version}, headers=SSE_C)
    got = await pair.s3_west.get("/dst/c", query={"versionId": version}, headers=SSE_C)
    assert got.status_code == 200 and got.content == data
    assert got.headers["etag"] == source_head.headers["etag"]
    assert got.headers["x-amz-server-side-encryption-customer-algorithm"] == "AES256"
    without = await pair.s3_west.get("/dst/c", query={"versionId": version})
    assert without.status_code == 400
    tiny = await pair.s3_west.get("/dst/small", headers=SSE_C)
    assert tiny.content == b"tiny"


async def test_an_unencrypted_object_takes_the_destination_default_encryption(
    pair: TwoRegions,
) -> None:
    rule = (
        b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
        b"<SSEAlgorithm>aws:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
        b"</ServerSideEncryptionConfiguration>"
    )
    response = await pair.s3_west.put("/dst", query={"encryption": None}, body=rule)
    assert response.status_code == 200, response.text
    await replicate(pair.s3_east)
    version = await put(pair.s3_east, "plain", b"plain text", {})
    assert await settled(pair.s3_east, "/src/plain", version) == "COMPLETED"
    assert "x-amz-server-side-encryption" not in (await pair.s3_east.head("/src/plain")).headers
    got = await pair.s3_west.get("/dst/plain", query={"versionId": version})
    assert got.content == b"plain text"
    assert got.headers["x-amz-server-side-encryption"] == "aws:kms"
    assert b"plain text" not in await stored_bytes(pair, "dst", "plain", version)


async def test_a_multipart_sse_s3_replica_keeps_its_parts_readable(pair: TwoRegions) -> None:
    await replicate(pair.s3_east)
    s3 = pair.s3_east
    created = await s3.post(
        "/src/big", query={"uploads": None}, headers={"x-amz-server-side-encryption": "AES256"}
    )
    upload_id = created.text.split("<UploadId>")[1].split("</UploadId>")[0]
    parts = [b"a" * (5 * 1024 * 1024), b"b" * 1000]
    etags = []
    for number, data in enumerate(parts, start=1):
        uploaded = await s3.put(
            "/src/big", query={"partNumber": str(number), "uploadId": upload_id}, body=data
        )
        etags.append(uploaded.headers["etag"])
    body = "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
        for n, e in enumerate(etags, start=1)
    )
    done = await s3.post(
        "/src/big", query={"uploadId": upload_id},
        body=f"<CompleteMultipartUpload>{body}</CompleteMultipartUpload>".encode(),
    )  # fmt: skip
    version = done.headers["x-amz-version-id"]
    assert await settled(s3, "/src/big", version) == "COMPLETED"
    whole = await pair.s3_west.get("/dst/big", query={"versionId": version})
    assert whole.content == b"".join(parts)
    assert whole.headers["x-amz-server-side-encryption"] == "AES256"
    second = await pair.s3_west.get("/dst/big", query={"versionId": version, "partNumber": "2"})
    assert second.content == parts[1]
    ranged = await pair.s3_west.get(
        "/dst/big", query={"versionId": version}, headers={"range": "bytes=5242870-5242889"}
    )
    assert ranged.content == b"a" * 10 + b"b" * 10


async def test_one_batch_carries_every_kind_and_a_bad_key_fails_only_its_item(
    pair: TwoRegions,
) -> None:
    source_key, replica_key = await new_key(pair, west=False), await new_key(pair)
    await replicate(pair.s3_east, replica_key=replica_key, opt_in=True)
    kms = pair.east.services.kms
    assert kms is not None
    broken_key = await new_key(pair, west=False)
    kms_headers = {"x-amz-server-side-encryption": "aws:kms"}
    await pair.east.worker.stop()  # queue them all, so that one claim takes them together
    written = {
        "plain": (await put(pair.s3_east, "plain", b"p", {}), None),
        "s3": (await put(pair.s3_east, "s3", b"s", {"x-amz-server-side-encryption": "AES256"}),
               None),
        "c": (await put(pair.s3_east, "c", b"c", SSE_C), SSE_C),
        "kms": (await put(pair.s3_east, "kms", b"k", {
            **kms_headers, "x-amz-server-side-encryption-aws-kms-key-id": source_key}), None),
        "broken": (await put(pair.s3_east, "broken", b"b", {
            **kms_headers, "x-amz-server-side-encryption-aws-kms-key-id": broken_key}), None),
    }  # fmt: skip
    await kms.disable_key(broken_key, account_id=ACCOUNT_ID)
    pair.east.worker.start()
    for key, (version, headers) in written.items():
        expected = "FAILED" if key == "broken" else "COMPLETED"
        assert await settled(pair.s3_east, f"/src/{key}", version, headers) == expected, key
    assert await reason_of(pair.s3_east, written["broken"][0]) == "SrcKmsKeyInvalidState"
    for key, body in (("plain", b"p"), ("s3", b"s"), ("kms", b"k")):
        assert (await pair.s3_west.get(f"/dst/{key}")).content == body
    assert (await pair.s3_west.get("/dst/c", headers=SSE_C)).content == b"c"


async def test_a_fixed_rule_redrives_through_a_job_whose_manifest_is_encrypted(
    pair: TwoRegions,
) -> None:
    """The rule named a key that is not there; once it names a real one, a batch job (whose
    CSV manifest is itself SSE-KMS encrypted) replicates the version under that key."""
    kms = {"x-amz-server-side-encryption": "aws:kms"}
    await replicate(pair.s3_east, replica_key=(await new_key(pair))[:-12] + "000000000000",
                    opt_in=True)  # fmt: skip
    version = await put(pair.s3_east, "secret", b"redriven", kms)
    assert await settled(pair.s3_east, "/src/secret", version) == "FAILED"
    fixed_key = await new_key(pair)
    await replicate(pair.s3_east, replica_key=fixed_key, opt_in=True)
    manifest = render_csv_manifest([ManifestEntry(bucket="src", key="secret", version_id=version)])
    written = await pair.s3_east.put("/src/m.csv", body=manifest, headers=kms)
    assert written.status_code == 200
    response, _ = await call(
        pair.s3_east, "CreateJob", ConfirmationRequired=False,
        Operation={"S3ReplicateObject": {}}, Report={"Enabled": False},
        ClientRequestToken="kms-redrive", Priority=10, RoleArn=BATCH_ROLE,
        Manifest={
            "Spec": {"Format": "S3BatchOperations_CSV_20180820",
                     "Fields": ["Bucket", "Key", "VersionId"]},
            "Location": {"ObjectArn": "arn:aws:s3:::src/m.csv", "ETag": written.headers["etag"]},
        },
    )  # fmt: skip
    assert response.status_code == 200, response.text

    async def completed() -> bool:
        return await status_of(pair.s3_east, "/src/secret", version) == "COMPLETED"

    await eventually(completed)
    got = await pair.s3_west.get("/dst/secret", query={"versionId": version})
    assert got.content == b"redriven"
    assert got.headers["x-amz-server-side-encryption-aws-kms-key-id"] == fixed_key


async def test_a_replica_key_of_another_account_is_refused(pair: TwoRegions) -> None:
    kms = pair.west.services.kms
    assert kms is not None
    foreign = (await kms.create_key(account_id="111111111111")).arn
    await replicate(pair.s3_east, replica_key=foreign, opt_in=True)
    version = await put(pair.s3_east, "secret", b"x", {"x-amz-server-side-encryption": "aws:kms"})
    assert await settled(pair.s3_east, "/src/secret", version) == "FAILED"
    assert await reason_of(pair.s3_east, version) == "DstPutObjectNotPermitted"


async def test_the_destination_default_sse_kms_needs_generate_data_key(pair: TwoRegions) -> None:
    default_key = await new_key(pair)
    rule = (
        "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
        f"<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>{default_key}</KMSMasterKeyID>"
        "</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"
    ).encode()
    assert (
        await pair.s3_west.put("/dst", query={"encryption": None}, body=rule)
    ).status_code == 200
    await replicate(pair.s3_east)
    await role_may(pair, [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    denied = await put(pair.s3_east, "denied", b"x", {})
    assert await settled(pair.s3_east, "/src/denied", denied) == "FAILED"
    assert await reason_of(pair.s3_east, denied) == "DstPutObjectNotPermitted"
    await role_may(
        pair,
        [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": default_key},
        ],
    )
    allowed = await put(pair.s3_east, "allowed", b"y", {})
    assert await settled(pair.s3_east, "/src/allowed", allowed) == "COMPLETED"
    got = await pair.s3_west.get("/dst/allowed")
    assert got.headers["x-amz-server-side-encryption-aws-kms-key-id"] == default_key
