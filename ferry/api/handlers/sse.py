"""Server-side encryption headers in and out, and the SSE steps object handlers share.

Requests name SSE-S3/SSE-KMS with x-amz-server-side-encryption (+ -aws-kms-key-id, -context,
-bucket-key-enabled) and SSE-C with the x-amz-server-side-encryption-customer-* triple (the
x-amz-copy-source-server-side-encryption-customer-* triple for a copy's source). Responses
echo what the version is encrypted with, as AWS does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from ferry.api.context import RequestContext
from ferry.control.policy import DECRYPT, GENERATE_DATA_KEY
from ferry.crypto.customer_keys import CustomerKey, parse_customer_key
from ferry.crypto.sse import UNREAD, KeyCheck, OpenKey, SseRequest, Unread, parse_kms_context
from ferry.crypto.sse_errors import InvalidEncryptionArgument
from ferry.store import Body, BucketEncryptionDefault, PayloadDigest, Version
from ferry.store.blobs import INLINE_MAX_BYTES
from ferry.store.records import Encryption, EncryptionKind

SSE = "x-amz-server-side-encryption"
SSE_KMS_KEY_ID = "x-amz-server-side-encryption-aws-kms-key-id"
SSE_CONTEXT = "x-amz-server-side-encryption-context"
SSE_BUCKET_KEY_ENABLED = "x-amz-server-side-encryption-bucket-key-enabled"
SSE_CUSTOMER = "x-amz-server-side-encryption-customer"
COPY_SOURCE_SSE_CUSTOMER = "x-amz-copy-source-server-side-encryption-customer"
_REQUESTABLE = {"AES256": EncryptionKind.SSE_S3, "aws:kms": EncryptionKind.SSE_KMS}
# SSE headers that only writes may carry (reads name the key only for SSE-C)
WRITE_ONLY_HEADERS = (
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
)


def customer_key(headers: Mapping[str, str], prefix: str = SSE_CUSTOMER) -> CustomerKey | None:
    return parse_customer_key(
        headers.get(f"{prefix}-algorithm"),
        headers.get(f"{prefix}-key"),
        headers.get(f"{prefix}-key-md5"),
        header_prefix=prefix,
    )


def parse_sse_request(headers: Mapping[str, str]) -> SseRequest:
    """The encryption a write asks for; AWS's InvalidArgument for contradictory headers."""
    customer = customer_key(headers)
    raw = headers.get(SSE)
    kind = None
    if raw is not None:
        kind = _REQUESTABLE.get(raw)
        if kind is None:
            raise InvalidEncryptionArgument(argument_name=SSE, argument_value=raw)
        if customer is not None:
            raise InvalidEncryptionArgument(
                "Server Side Encryption with Customer provided key is incompatible with the "
                "encryption method specified",
                argument_name=SSE,
                argument_value=raw,
            )
    kms_key_id = headers.get(SSE_KMS_KEY_ID)
    context = headers.get(SSE_CONTEXT)
    if (kms_key_id is not None or context is not None) and kind is not EncryptionKind.SSE_KMS:
        raise InvalidEncryptionArgument(
            "Server Side Encryption with AWS KMS managed key requires HTTP header "
            "x-amz-server-side-encryption : aws:kms",
            argument_name=SSE,
            argument_value=raw or "null",
        )
    parse_kms_context(context)  # malformed: refused before the body is read
    return SseRequest(
        kind=kind,
        kms_key_id=kms_key_id or None,
        kms_context=context,
        bucket_key_enabled=_parse_bucket_key(headers.get(SSE_BUCKET_KEY_ENABLED)),
        customer_key=customer,
    )


def is_encryption_requested(headers: Mapping[str, str]) -> bool:
    """Whether a write names an encryption (a copy onto itself may then be legal)."""
    return parse_sse_request(headers) != SseRequest()


def _parse_bucket_key(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise InvalidEncryptionArgument(
            "Invalid value for x-amz-server-side-encryption-bucket-key-enabled",
            argument_name=SSE_BUCKET_KEY_ENABLED,
            argument_value=value,
        )
    return lowered == "true"


def sse_headers(
    encryption: Encryption | None, customer_key_md5: str | None = None
) -> list[tuple[str, str]]:
    """The response headers describing a version's (or upload's) encryption."""
    if encryption is None:
        return []
    match encryption.kind:
        case EncryptionKind.SSE_C:
            out = [(f"{SSE_CUSTOMER}-algorithm", "AES256")]
            if customer_key_md5 is not None:
                out.append((f"{SSE_CUSTOMER}-key-md5", customer_key_md5))
            return out
        case EncryptionKind.SSE_S3:
            out = [(SSE, encryption.kind.value)]
        case EncryptionKind.SSE_KMS:
            out = [(SSE, encryption.kind.value)]
            if encryption.kms_key_arn is not None:
                out.append((SSE_KMS_KEY_ID, encryption.kms_key_arn))
            if encryption.kms_context is not None:
                out.append((SSE_CONTEXT, encryption.kms_context))
    if encryption.bucket_key_enabled:
        out.append((SSE_BUCKET_KEY_ENABLED, "true"))
    return out


def open_key_headers(key: OpenKey | None) -> list[tuple[str, str]]:
    if key is None:
        return []
    return sse_headers(key.encryption, key.customer_key_md5)


async def key_for_write(
    ctx: RequestContext,
    key: str,
    *,
    bucket_default: BucketEncryptionDefault | Unread | None = UNREAD,
) -> OpenKey | None:
    """The data key a new version (or upload) of `key` gets: headers, else bucket default
    (`bucket_default` when the caller read it with the bucket)."""
    request = parse_sse_request(ctx.request.headers)
    service = ctx.services.encryption
    if service is None:
        if request != SseRequest():
            raise InvalidEncryptionArgument("Server-side encryption is not configured")
        return None
    return await service.for_write(
        request,
        bucket=ctx.bucket,
        key=key,
        account_id=ctx.principal.account_id,
        authorize_key=key_check(ctx, GENERATE_DATA_KEY, ctx.bucket, key),
        bucket_default=bucket_default,
    )


def key_check(ctx: RequestContext, action: str, bucket: str, key: str) -> KeyCheck | None:
    """How S3 judges its use of a KMS key for the caller: `action` on the key, allowed by the
    caller's policies (AWS: kms:GenerateDataKey to write, kms:Decrypt to read)."""
    access = ctx.access
    if access is None or access.account_id is None:
        return None  # unrestricted (the deployment root): no key lookup for nothing

    async def check(key_arn: str) -> None:
        await access.require_key_use(action, key_arn, bucket, key)

    return check


async def key_for_read(
    ctx: RequestContext,
    encryption: Encryption | None,
    *,
    bucket: str,
    key: str,
    copy_source: bool = False,
) -> OpenKey | None:
    """The data key to read a stored version or upload, with AWS's SSE-C checks."""
    headers = ctx.request.headers
    given = customer_key(headers, COPY_SOURCE_SSE_CUSTOMER if copy_source else SSE_CUSTOMER)
    service = ctx.services.encryption
    if service is None:
        if given is not None or encryption is not None:
            raise InvalidEncryptionArgument("Server-side encryption is not configured")
        return None
    return await service.open(
        encryption,
        given,
        bucket=bucket,
        key=key,
        authorize_key=key_check(ctx, DECRYPT, bucket, key),
    )


async def check_read_key(ctx: RequestContext, version: Version) -> str | None:
    """HEAD's check: only SSE-C needs the caller's key (no data key is unwrapped for others).
    Returns the key's MD5 to echo."""
    encryption = version.attrs.encryption
    given = customer_key(ctx.request.headers)
    if given is None and (encryption is None or encryption.kind is not EncryptionKind.SSE_C):
        return None
    opened = await key_for_read(ctx, encryption, bucket=version.bucket, key=version.key)
    return opened.customer_key_md5 if opened is not None else None


async def copy_body(
    ctx: RequestContext,
    source: Version,
    source_key: OpenKey | None,
    target_key: OpenKey | None,
    start: int = 0,
    end: int | None = None,
    *,
    inline_max: int = INLINE_MAX_BYTES,
) -> tuple[Body, PayloadDigest]:
    """A new body with plaintext [start, end) of `source`, encrypted under `target_key`."""
    service = ctx.services.encryption
    if service is None:
        return await ctx.services.objects.copy_body(source, start, end, inline_max=inline_max)
    return await service.copy_body(
        source, source_key, target_key, start, end, inline_max=inline_max
    )


def plaintext(
    ctx: RequestContext, version: Version, key: OpenKey | None, start: int, end: int
) -> AsyncIterator[bytes]:
    service = ctx.services.encryption
    if service is None:
        return ctx.services.objects.read_body(version, start, end)
    return service.read(version, key, start, end)
