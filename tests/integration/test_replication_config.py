"""Put/Get/DeleteBucketReplication (`api/handlers/replication.py`) through one region's app."""

from __future__ import annotations

import base64
import hashlib
import zlib

import httpx

from tests.integration.conftest import ACCOUNT_ID
from tests.integration.s3 import S3, error_of, parse_xml, texts

DESTINATION = "it-destination"
ENABLE = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
SUSPEND = b"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"
V2_RULE = (
    "<Rule><ID>{id}</ID><Priority>{priority}</Priority><Filter><Prefix>{prefix}</Prefix></Filter>"
    "<Status>Enabled</Status><Destination><Bucket>arn:aws:s3:::{destination}</Bucket>"
    "{extra}</Destination><DeleteMarkerReplication><Status>Disabled</Status>"
    "</DeleteMarkerReplication></Rule>"
)


def document(*rules: str, role: str = "arn:aws:iam::000000000042:role/replication") -> bytes:
    return (
        '<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Role>{role}</Role>{''.join(rules)}</ReplicationConfiguration>"
    ).encode()


def v2_rule(
    id: str = "r1",
    priority: int = 1,
    prefix: str = "",
    destination: str = DESTINATION,
    extra: str = "",
) -> str:
    return V2_RULE.format(
        id=id, priority=priority, prefix=prefix, destination=destination, extra=extra
    )


def content_md5(body: bytes) -> dict[str, str]:
    return {"content-md5": base64.b64encode(hashlib.md5(body).digest()).decode()}


async def put_replication(
    s3: S3, bucket: str, body: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    sent = content_md5(body) if headers is None else headers
    return await s3.put(f"/{bucket}", body, query={"replication": None}, headers=sent)


async def make_destination(s3: S3, name: str = DESTINATION, versioned: bool = True) -> str:
    assert (await s3.put(f"/{name}")).status_code == 200
    if versioned:
        await s3.put(f"/{name}", ENABLE, query={"versioning": None})
    return name


async def test_put_then_get_returns_the_stored_configuration(s3: S3, versioned_bucket: str) -> None:
    await make_destination(s3)
    body = document(v2_rule(prefix="logs/"), v2_rule("r2", 2, destination="it-bucket-2"))
    await make_destination(s3, "it-bucket-2")

    response = await put_replication(s3, versioned_bucket, body)

    assert response.status_code == 200, response.text
    assert response.content == b""
    got = await s3.get(f"/{versioned_bucket}", query={"replication": None})
    assert got.status_code == 200
    root = parse_xml(got)
    assert root.tag == "ReplicationConfiguration"
    assert texts(root, "Rule/ID") == ["r1", "r2"]
    assert texts(root, "Rule/Filter/Prefix") == ["logs/", ""]
    assert texts(root, "Rule/Destination/Bucket") == [
        f"arn:aws:s3:::{DESTINATION}",
        "arn:aws:s3:::it-bucket-2",
    ]


async def test_rule_without_id_gets_a_generated_one(s3: S3, versioned_bucket: str) -> None:
    await make_destination(s3)
    rule = v2_rule().replace("<ID>r1</ID>", "")

    assert (await put_replication(s3, versioned_bucket, document(rule))).status_code == 200

    got = parse_xml(await s3.get(f"/{versioned_bucket}", query={"replication": None}))
    [rule_id] = texts(got, "Rule/ID")
    assert rule_id and rule_id.isascii()


async def test_put_replaces_the_previous_configuration(s3: S3, versioned_bucket: str) -> None:
    await make_destination(s3)
    await put_replication(s3, versioned_bucket, document(v2_rule("first")))

    await put_replication(s3, versioned_bucket, document(v2_rule("second")))

    got = parse_xml(await s3.get(f"/{versioned_bucket}", query={"replication": None}))
    assert texts(got, "Rule/ID") == ["second"]


async def test_put_with_a_crc32_checksum_instead_of_content_md5(
    s3: S3, versioned_bucket: str
) -> None:
    await make_destination(s3)
    body = document(v2_rule())
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    headers = {"x-amz-checksum-crc32": crc, "x-amz-sdk-checksum-algorithm": "CRC32"}

    assert (await put_replication(s3, versioned_bucket, body, headers)).status_code == 200


async def test_put_without_content_md5_or_checksum_is_refused(
    s3: S3, versioned_bucket: str
) -> None:
    await make_destination(s3)
    response = await put_replication(s3, versioned_bucket, document(v2_rule()), headers={})

    error = error_of(response, 400, "InvalidRequest")
    assert error.findtext("Message") == "Missing required header for this request: Content-MD5"


async def test_put_with_a_wrong_digest_is_bad_digest(s3: S3, versioned_bucket: str) -> None:
    await make_destination(s3)
    body = document(v2_rule())
    wrong_md5 = content_md5(b"something else")
    wrong_crc = {"x-amz-checksum-crc32": "AAAAAA=="}

    error_of(await put_replication(s3, versioned_bucket, body, wrong_md5), 400, "BadDigest")
    error_of(await put_replication(s3, versioned_bucket, body, wrong_crc), 400, "BadDigest")


async def test_put_on_unversioned_source_is_refused(s3: S3, bucket: str) -> None:
    await make_destination(s3)

    error = error_of(await put_replication(s3, bucket, document(v2_rule())), 400, "InvalidRequest")

    assert error.findtext("Message") == (
        "Versioning must be 'Enabled' on the bucket to apply a replication configuration"
    )


async def test_put_on_suspended_source_is_refused(s3: S3, versioned_bucket: str) -> None:
    await make_destination(s3)
    await s3.put(f"/{versioned_bucket}", SUSPEND, query={"versioning": None})

    response = await put_replication(s3, versioned_bucket, document(v2_rule()))

    error_of(response, 400, "InvalidRequest")


async def test_put_with_unversioned_destination_is_refused(s3: S3, versioned_bucket: str) -> None:
    await make_destination(s3, versioned=False)

    response = await put_replication(s3, versioned_bucket, document(v2_rule()))

    error = error_of(response, 400, "InvalidRequest")
    assert error.findtext("Message") == "Destination bucket must have versioning enabled."


async def test_put_with_missing_destination_says_it_must_exist(
    s3: S3, versioned_bucket: str
) -> None:
    response = await put_replication(s3, versioned_bucket, document(v2_rule()))

    error = error_of(response, 400, "InvalidRequest")
    assert error.findtext("Message") == "Destination bucket must exist."


async def test_put_with_source_as_destination_is_refused(s3: S3, versioned_bucket: str) -> None:
    response = await put_replication(
        s3, versioned_bucket, document(v2_rule(destination=versioned_bucket))
    )

    error = error_of(response, 400, "InvalidRequest")
    assert (
        error.findtext("Message") == "Destination bucket cannot be the same as the source bucket."
    )


async def test_put_naming_another_account_is_refused(s3: S3, versioned_bucket: str) -> None:
    await make_destination(s3)
    mine = v2_rule(extra=f"<Account>{ACCOUNT_ID}</Account>")
    theirs = v2_rule(extra="<Account>123456789012</Account>")

    assert (await put_replication(s3, versioned_bucket, document(mine))).status_code == 200
    error = error_of(
        await put_replication(s3, versioned_bucket, document(theirs)), 400, "InvalidArgument"
    )
    assert error.findtext("Message") == (
        "The AWS account specified in the <Account> element must match the destination "
        "bucket owner."
    )


async def test_invalid_rules_answer_with_aws_code_and_message(
    s3: S3, versioned_bucket: str
) -> None:
    await make_destination(s3)
    no_priority = v2_rule().replace("<Priority>1</Priority>", "")
    existing = v2_rule().replace(
        "</Rule>", "<ExistingObjectReplication><Status>Enabled</Status>"
        "</ExistingObjectReplication></Rule>"
    )  # fmt: skip
    cases = [
        (document(no_priority), "InvalidRequest", "Priority must be specified for this version "
         "of Cross Region Replication configuration schema.Please refer to S3 Developer Guide "
         "for more information."),
        (document(v2_rule(), v2_rule()), "InvalidArgument", "Rule Id must be unique"),
        (document(existing), "MalformedXML", "The XML you provided was not well-formed or did "
         "not validate against our published schema"),
        (b"not xml", "MalformedXML", "The XML you provided was not well-formed or did not "
         "validate against our published schema"),
    ]  # fmt: skip
    for body, code, message in cases:
        error = error_of(await put_replication(s3, versioned_bucket, body), 400, code)
        assert error.findtext("Message") == message
    error_of(await s3.get(f"/{versioned_bucket}", query={"replication": None}), 404,
             "ReplicationConfigurationNotFoundError")  # fmt: skip


async def test_oversized_document_is_refused(s3: S3, versioned_bucket: str) -> None:
    body = document(v2_rule(prefix="p" * (2 * 1024 * 1024)))

    error_of(await put_replication(s3, versioned_bucket, body), 400, "MalformedXML")


async def test_get_without_configuration_is_not_found_with_bucket_name(
    s3: S3, versioned_bucket: str
) -> None:
    response = await s3.get(f"/{versioned_bucket}", query={"replication": None})

    error = error_of(response, 404, "ReplicationConfigurationNotFoundError")
    assert error.findtext("Message") == "The replication configuration was not found"
    assert error.findtext("BucketName") == versioned_bucket


async def test_delete_removes_the_configuration_and_is_idempotent(
    s3: S3, versioned_bucket: str
) -> None:
    await make_destination(s3)
    await put_replication(s3, versioned_bucket, document(v2_rule()))

    first = await s3.delete(f"/{versioned_bucket}", query={"replication": None})
    second = await s3.delete(f"/{versioned_bucket}", query={"replication": None})

    assert (first.status_code, second.status_code) == (204, 204)
    error_of(await s3.get(f"/{versioned_bucket}", query={"replication": None}), 404,
             "ReplicationConfigurationNotFoundError")  # fmt: skip


async def test_replication_operations_on_missing_bucket_are_no_such_bucket(s3: S3) -> None:
    body = document(v2_rule())
    error_of(await put_replication(s3, "no-such-bucket", body), 404, "NoSuchBucket")
    error_of(await s3.get("/no-such-bucket", query={"replication": None}), 404, "NoSuchBucket")
    error_of(await s3.delete("/no-such-bucket", query={"replication": None}), 404, "NoSuchBucket")


async def test_suspending_versioning_under_replication_is_refused(
    s3: S3, versioned_bucket: str
) -> None:
    await make_destination(s3)
    await put_replication(s3, versioned_bucket, document(v2_rule()))

    response = await s3.put(f"/{versioned_bucket}", SUSPEND, query={"versioning": None})

    error = error_of(response, 409, "InvalidBucketState")
    assert error.findtext("Message") == (
        "A replication configuration is present on this bucket, so you cannot change the "
        "versioning state. To change the versioning state, first delete the replication "
        "configuration."
    )
    await s3.delete(f"/{versioned_bucket}", query={"replication": None})
    response = await s3.put(f"/{versioned_bucket}", SUSPEND, query={"versioning": None})
    assert response.status_code == 200


async def test_enabling_versioning_again_under_replication_is_allowed(
    s3: S3, versioned_bucket: str
) -> None:
    await make_destination(s3)
    await put_replication(s3, versioned_bucket, document(v2_rule()))

    response = await s3.put(f"/{versioned_bucket}", ENABLE, query={"versioning": None})

    assert response.status_code == 200
