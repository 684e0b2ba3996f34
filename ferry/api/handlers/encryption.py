"""PutBucketEncryption, GetBucketEncryption, DeleteBucketEncryption (bucket default
encryption; the data path is crypto/sse.py)."""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.api.http import Response, xml_response
from ferry.crypto.bucket_defaults import BucketEncryptionDefault, BucketEncryptionDefaults
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.encryption import (
    EncryptionRule,
    parse_encryption_configuration,
    render_encryption_configuration,
)
from ferry.store.records import EncryptionKind


def _defaults(ctx: RequestContext) -> BucketEncryptionDefaults:
    if ctx.services.encryption is None:
        raise S3Error(S3ErrorCode.NotImplemented)
    return ctx.services.encryption.defaults


async def put_bucket_encryption(ctx: RequestContext) -> Response:
    rule = parse_encryption_configuration(await ctx.request.read_body())
    default = BucketEncryptionDefault(
        algorithm=EncryptionKind(rule.sse_algorithm),
        kms_key_id=rule.kms_master_key_id,
        bucket_key_enabled=rule.bucket_key_enabled,
    )
    await _defaults(ctx).put(ctx.bucket, default)
    return Response(status=200)


async def get_bucket_encryption(ctx: RequestContext) -> Response:
    default = await _defaults(ctx).get(ctx.bucket)
    rule = EncryptionRule(
        sse_algorithm=default.algorithm.value,
        kms_master_key_id=default.kms_key_id,
        bucket_key_enabled=default.bucket_key_enabled,
    )
    return xml_response(render_encryption_configuration(rule))


async def delete_bucket_encryption(ctx: RequestContext) -> Response:
    await _defaults(ctx).delete(ctx.bucket)
    return Response(status=204)
