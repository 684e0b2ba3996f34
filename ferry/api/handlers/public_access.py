"""Block Public Access of a bucket: Put/Get/DeletePublicAccessBlock (the account's are S3
Control's, api/s3control/public_access.py). What the settings do is enforced where ACLs and
policies are written (ownership.py, policy.py) and judged (api/access.py)."""

from __future__ import annotations

from ferry.api.context import RequestContext
from ferry.api.http import Response, xml_response
from ferry.protocol.xml.public_access import (
    PublicAccessBlockConfiguration,
    parse_public_access_block,
    render_public_access_block,
)
from ferry.store import PublicAccessBlock
from ferry.store.errors import NoSuchPublicAccessBlockConfiguration


def block_of(config: PublicAccessBlockConfiguration) -> PublicAccessBlock:
    return PublicAccessBlock(
        block_public_acls=config.block_public_acls,
        ignore_public_acls=config.ignore_public_acls,
        block_public_policy=config.block_public_policy,
        restrict_public_buckets=config.restrict_public_buckets,
    )


def config_of(block: PublicAccessBlock) -> PublicAccessBlockConfiguration:
    return PublicAccessBlockConfiguration(
        block_public_acls=block.block_public_acls,
        ignore_public_acls=block.ignore_public_acls,
        block_public_policy=block.block_public_policy,
        restrict_public_buckets=block.restrict_public_buckets,
    )


async def put_public_access_block(ctx: RequestContext) -> Response:
    config = parse_public_access_block(await ctx.request.read_body())
    await ctx.services.buckets.set_public_access_block(ctx.bucket, block_of(config))
    return Response(status=200)


async def get_public_access_block(ctx: RequestContext) -> Response:
    block = (await ctx.services.buckets.get_access(ctx.bucket)).public_access_block
    if block is None:
        raise NoSuchPublicAccessBlockConfiguration(bucket=ctx.bucket)
    return xml_response(render_public_access_block(config_of(block)))


async def delete_public_access_block(ctx: RequestContext) -> Response:
    await ctx.services.buckets.set_public_access_block(ctx.bucket, None)
    return Response(status=204)
