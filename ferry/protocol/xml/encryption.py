"""ServerSideEncryptionConfiguration, for Put/GetBucketEncryption.

AWS keeps exactly one rule per bucket; a document with none or several is MalformedXML, as is
a rule without ApplyServerSideEncryptionByDefault. An algorithm AWS does not know, or a KMS
key ID for a non-KMS algorithm, is InvalidArgument.
"""

from __future__ import annotations

from dataclasses import dataclass

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml._xml import (
    children,
    document,
    element,
    find_child,
    format_bool,
    malformed,
    optional_element,
    optional_text,
    parse_bool,
    parse_document,
    required_text,
)

# aws:kms:dsse (dual-layer) is not offered: docs/encryption.md.
SSE_ALGORITHMS = ("AES256", "aws:kms")


@dataclass(frozen=True, slots=True, kw_only=True)
class EncryptionRule:
    sse_algorithm: str  # one of SSE_ALGORITHMS
    kms_master_key_id: str | None = None
    bucket_key_enabled: bool = False


def parse_encryption_configuration(body: bytes) -> EncryptionRule:
    root = parse_document(body, "ServerSideEncryptionConfiguration")
    rules = children(root, "Rule")
    if len(rules) != 1:
        raise malformed()
    rule = rules[0]
    if find_child(rule, "BlockedEncryptionTypes") is not None:  # accepted only if honoured
        raise S3Error(S3ErrorCode.NotImplemented, "BlockedEncryptionTypes is not implemented.")
    default = find_child(rule, "ApplyServerSideEncryptionByDefault")
    if default is None:
        raise malformed()
    algorithm = required_text(default, "SSEAlgorithm")
    if algorithm not in SSE_ALGORITHMS:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "The encryption method specified is not supported",
            ArgumentName="SSEAlgorithm",
            ArgumentValue=algorithm,
        )
    key_id = optional_text(default, "KMSMasterKeyID")
    if key_id is not None and algorithm != "aws:kms":
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or "
            "aws:kms:dsse",  # AWS's words
            ArgumentName="ApplyServerSideEncryptionByDefault",
        )
    bucket_key = optional_text(rule, "BucketKeyEnabled")
    return EncryptionRule(
        sse_algorithm=algorithm,
        kms_master_key_id=key_id or None,
        bucket_key_enabled=parse_bool(bucket_key) if bucket_key is not None else False,
    )


def render_encryption_configuration(rule: EncryptionRule) -> bytes:
    default = element("SSEAlgorithm", rule.sse_algorithm) + optional_element(
        "KMSMasterKeyID", rule.kms_master_key_id
    )
    body = (
        f"<Rule><ApplyServerSideEncryptionByDefault>{default}</ApplyServerSideEncryptionByDefault>"
        f"<BucketKeyEnabled>{format_bool(rule.bucket_key_enabled)}</BucketKeyEnabled></Rule>"
    )
    return document("ServerSideEncryptionConfiguration", body)
