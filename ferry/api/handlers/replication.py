"""PutBucketReplication, GetBucketReplication, DeleteBucketReplication.

The document is validated by `ferry.replication`'s rules (everything that needs only the document),
then against the source bucket (versioning Enabled) and each destination bucket, which may
live in another region (`Services.destinations`). It is stored as Ferry renders it, with
generated rule IDs, and returned as stored.
"""

from __future__ import annotations

from ferry.api.body import verify_required_checksum
from ferry.api.context import DestinationChecker, RequestContext
from ferry.api.http import Response, xml_response
from ferry.protocol import xml
from ferry.replication import (
    InvalidReplicationConfiguration,
    NoSuchReplicationConfiguration,
    ReplicationConfigurationArgumentError,
    destination_bucket_name,
    validate_configuration,
    with_rule_ids,
)
from ferry.store import VersioningStatus
from ferry.store.errors import VersioningNotEnabled

# AWS's messages (InvalidRequest, 400); a missing destination is not reported as unversioned.
_DESTINATION_MISSING = "Destination bucket must exist."
_DESTINATION_UNVERSIONED = "Destination bucket must have versioning enabled."
# AWS checks this only as it replicates (DstBucketObjectLockConfigMissing); Ferry also refuses
# the configuration up front when it can tell, as MinIO does (docs/s3-surface.md, Object Lock).
_DESTINATION_UNLOCKED = (
    "Destination bucket must have Object Lock enabled, as the source bucket has."
)


async def check_destinations(
    checker: DestinationChecker,
    config: xml.ReplicationConfiguration,
    *,
    source_object_lock: bool = False,
) -> None:
    """Reference §1.5 #5, #6 and #20: each destination exists, is versioned, and belongs to
    the account a rule names; it has Object Lock when the source has."""
    for rule in config.rules:
        name = destination_bucket_name(rule.destination.bucket)
        info = await checker.describe(name)
        if info is None:
            raise InvalidReplicationConfiguration(_DESTINATION_MISSING)
        if not info.versioning_enabled:
            raise InvalidReplicationConfiguration(_DESTINATION_UNVERSIONED)
        if source_object_lock and not await checker.has_object_lock(name):
            raise InvalidReplicationConfiguration(_DESTINATION_UNLOCKED)
        account = rule.destination.account
        if account is not None and account != info.owner_account:
            raise ReplicationConfigurationArgumentError(
                "The AWS account specified in the <Account> element must match the "
                "destination bucket owner."
            )


async def put_bucket_replication(ctx: RequestContext) -> Response:
    bucket = await ctx.services.buckets.get(ctx.bucket)
    body = await ctx.request.read_body()
    verify_required_checksum(ctx.request.headers, body)
    config = xml.parse_replication_configuration(body)
    validate_configuration(config, source_bucket=bucket.name)
    if ctx.access is not None:  # the rule's role is handed to S3 to act as
        await ctx.access.require_pass_role(config.role.strip())
    if bucket.versioning is not VersioningStatus.ENABLED:
        raise VersioningNotEnabled(bucket=bucket.name)
    source = await ctx.services.objects.bucket(bucket.name)
    await check_destinations(
        ctx.services.destinations, config, source_object_lock=source.object_lock is not None
    )
    document = xml.render_replication_configuration(with_rule_ids(config))
    await ctx.services.buckets.set_replication(bucket.name, document.decode())
    return Response(status=200)


async def get_bucket_replication(ctx: RequestContext) -> Response:
    document = await ctx.services.buckets.get_replication(ctx.bucket)
    if document is None:
        raise NoSuchReplicationConfiguration(bucket=ctx.bucket)
    return xml_response(document.encode())


async def delete_bucket_replication(ctx: RequestContext) -> Response:
    await ctx.services.buckets.set_replication(ctx.bucket, None)
    return Response(status=204)
