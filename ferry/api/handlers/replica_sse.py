"""How a replica is encrypted here, at the destination, as its descriptor says (reference §3.3):

- SSE-C: the bytes arrive as the source stores them and are kept so, with the source's record
  of the wrapped data key (only the customer's key opens it, in any region);
- SSE-S3: encrypted again under a fresh data key of this region;
- SSE-KMS: encrypted again under the rule's ReplicaKmsKeyID, which the replication role must be
  allowed to use (`kms:Encrypt`); a key ID or alias resolves among the role's account's keys
  in this region, as AWS resolves it "within the requester's account";
- none: the destination bucket's default encryption applies (an SSE-KMS default needs
  `kms:GenerateDataKey`).

A multipart replica is sealed one stream per part, as the source's parts were, so that its
parts stay readable one by one.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace

from ferry.api.context import RequestContext
from ferry.api.handlers.sse import key_check
from ferry.control.policy import ENCRYPT, GENERATE_DATA_KEY
from ferry.crypto.sse import OpenKey, SseRequest, stored_body_size
from ferry.crypto.sse_errors import InvalidEncryptionArgument
from ferry.protocol import replica
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.store import ObjectAttributes, Payload
from ferry.store.records import Encryption, EncryptionKind

_KINDS = {replica.SSE_S3: EncryptionKind.SSE_S3, replica.SSE_KMS: EncryptionKind.SSE_KMS}


@dataclass(frozen=True, slots=True)
class ReplicaWrite:
    """What the store receives: the payload as it is to be stored, the replica's attributes
    (with its encryption), and for SSE-C the byte count to check instead of the MD5."""

    payload: Payload
    attrs: ObjectAttributes
    stored_size: int | None = None


async def prepare_replica_write(
    ctx: RequestContext,
    key: str,
    descriptor: replica.ReplicaDescriptor,
    attrs: ObjectAttributes,
    payload: Payload,
) -> ReplicaWrite:
    encryption = descriptor.encryption
    if encryption is not None and encryption.algorithm == replica.SSE_C:
        stored = replace(attrs, encryption=_customer_record(encryption))
        if encryption.stored_size != stored_body_size(stored):
            raise S3Error(S3ErrorCode.InvalidRequest, "Replica size does not match its parts.")
        return ReplicaWrite(payload, stored, encryption.stored_size)
    data_key = await _data_key(ctx, key, encryption)
    if data_key is None:
        return ReplicaWrite(payload, attrs)
    assert ctx.services.encryption is not None  # a data key came from it
    parts = [part.size for part in attrs.parts]
    sealed = ctx.services.encryption.seal(payload, data_key, stream_sizes=parts)
    return ReplicaWrite(sealed, replace(attrs, encryption=data_key.encryption))


async def _data_key(
    ctx: RequestContext, key: str, encryption: replica.ReplicaEncryption | None
) -> OpenKey | None:
    request = SseRequest()
    if encryption is not None:
        request = SseRequest(
            kind=_KINDS[encryption.algorithm],
            kms_key_id=encryption.kms_key_id,
            kms_context=encryption.kms_context,
            bucket_key_enabled=encryption.bucket_key_enabled,
        )
    service = ctx.services.encryption
    if service is None:
        if request != SseRequest():
            raise InvalidEncryptionArgument("Server-side encryption is not configured")
        return None
    # The role encrypts under the rule's replica key (AWS's policies grant kms:Encrypt on
    # it); this bucket's own SSE-KMS default makes a data key (kms:GenerateDataKey).
    action = ENCRYPT if encryption is not None else GENERATE_DATA_KEY
    account = ctx.access.account_id if ctx.access is not None else None
    return await service.for_write(
        request,
        bucket=ctx.bucket,
        key=key,
        account_id=account or ctx.principal.account_id,
        authorize_key=key_check(ctx, action, ctx.bucket, key),
    )


def _customer_record(encryption: replica.ReplicaEncryption) -> Encryption:
    return Encryption(
        kind=EncryptionKind.SSE_C,
        wrapped_key=_unb64(encryption.wrapped_key),
        frame_bytes=encryption.frame_bytes,
        customer_key_salt=_unb64(encryption.customer_key_salt),
        customer_key_hmac=_unb64(encryption.customer_key_hmac),
    )


def _unb64(value: str | None) -> bytes:
    try:
        return base64.b64decode(value or "", validate=True)
    except ValueError as exc:  # binascii.Error is a ValueError
        raise S3Error(S3ErrorCode.InvalidRequest, "Malformed replica descriptor.") from exc


def condition_keys(descriptor: replica.ReplicaDescriptor) -> dict[str, str]:
    """The replica's encryption as the condition keys of its s3:ReplicateObject."""
    return {f"s3:{name}": value for name, value in replica.encryption_headers(descriptor).items()}
