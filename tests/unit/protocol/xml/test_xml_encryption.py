"""ServerSideEncryptionConfiguration: as botocore sends it, as botocore parses our answer."""

from __future__ import annotations

import pytest

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.encryption import (
    EncryptionRule,
    parse_encryption_configuration,
    render_encryption_configuration,
)


def test_kms_rule_as_botocore_sends_it(serialize_input) -> None:
    body = serialize_input(
        "PutBucketEncryption",
        {
            "Bucket": "b",
            "ServerSideEncryptionConfiguration": {
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": "alias/orders",
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        },
    )
    assert parse_encryption_configuration(body) == EncryptionRule(
        sse_algorithm="aws:kms", kms_master_key_id="alias/orders", bucket_key_enabled=True
    )


@pytest.mark.parametrize(
    "rule",
    [
        EncryptionRule(sse_algorithm="AES256"),
        EncryptionRule(sse_algorithm="aws:kms", kms_master_key_id="k", bucket_key_enabled=True),
    ],
)
def test_rendered_rule_parses_back_and_in_botocore(rule: EncryptionRule, parse_output) -> None:
    body = render_encryption_configuration(rule)
    assert parse_encryption_configuration(body) == rule
    parsed = parse_output("GetBucketEncryption", body)
    (only,) = parsed["ServerSideEncryptionConfiguration"]["Rules"]
    default = only["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == rule.sse_algorithm
    assert default.get("KMSMasterKeyID") == rule.kms_master_key_id
    assert only["BucketKeyEnabled"] is rule.bucket_key_enabled


def _rule(default: str, extra: str = "") -> bytes:
    return (
        "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
        f"{default}</ApplyServerSideEncryptionByDefault>{extra}</Rule>"
        "</ServerSideEncryptionConfiguration>"
    ).encode()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<ServerSideEncryptionConfiguration/>", S3ErrorCode.MalformedXML),
        (b"not xml", S3ErrorCode.MalformedXML),
        (
            b"<ServerSideEncryptionConfiguration><Rule/></ServerSideEncryptionConfiguration>",
            S3ErrorCode.MalformedXML,
        ),
        (_rule("<SSEAlgorithm>AES256</SSEAlgorithm>"), None),
        (_rule("<SSEAlgorithm>AES128</SSEAlgorithm>"), S3ErrorCode.InvalidArgument),
        (_rule("<SSEAlgorithm>aws:kms:dsse</SSEAlgorithm>"), S3ErrorCode.InvalidArgument),
        (
            _rule("<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID>"),
            S3ErrorCode.InvalidArgument,
        ),
        (
            _rule(
                "<SSEAlgorithm>AES256</SSEAlgorithm>", "<BucketKeyEnabled>maybe</BucketKeyEnabled>"
            ),
            S3ErrorCode.MalformedXML,
        ),
    ],
)
def test_bad_documents_get_aws_errors(body: bytes, code: S3ErrorCode | None) -> None:
    if code is None:
        assert parse_encryption_configuration(body).sse_algorithm == "AES256"
        return
    with pytest.raises(S3Error) as exc:
        parse_encryption_configuration(body)
    assert exc.value.code is code


def test_two_rules_are_malformed() -> None:
    one = _rule("<SSEAlgorithm>AES256</SSEAlgorithm>").decode()
    inner = one.removeprefix("<ServerSideEncryptionConfiguration>").removesuffix(
        "</ServerSideEncryptionConfiguration>"
    )
    body = f"<ServerSideEncryptionConfiguration>{inner}{inner}</ServerSideEncryptionConfiguration>"
    with pytest.raises(S3Error) as exc:
        parse_encryption_configuration(body.encode())
    assert exc.value.code is S3ErrorCode.MalformedXML
