"""What `ferry doctor` needs to know of one region's bucket, gathered from the region's
stores and the control plane, and judged by `replication.doctor` (pure).

A source answers with its findings and each destination's needs (the CLI asks each
destination's region in turn); a destination with its findings and its own replication
destinations (the next hops, for loop detection).
"""

from __future__ import annotations

from typing import Any

from ferry.api.access import parsed_bucket_policy
from ferry.api.admin.errors import AdminError
from ferry.api.context import Services
from ferry.api.public_access import account_of_owner
from ferry.core.errors import FerryError
from ferry.crypto.errors import KmsAccessDenied, KmsKeyNotFound
from ferry.protocol.xml.replication import (
    ReplicationRuleStatus,
    parse_replication_configuration,
)
from ferry.replication.doctor import (
    SourceFacts,
    destination_needs,
    diagnose_batch_role,
    diagnose_source,
)
from ferry.replication.doctor_destination import (
    DestinationFacts,
    KmsKeyFacts,
    QuotaFacts,
    diagnose_destination,
)
from ferry.replication.doctor_documents import parse_needs, render_finding, render_needs
from ferry.replication.findings import Severity
from ferry.replication.role_access import ReplicationRole
from ferry.replication.rules import destination_bucket_name
from ferry.store import Bucket


async def source_report(
    services: Services, bucket: str, batch_role: str | None = None
) -> dict[str, Any]:
    """`batch_role`: also judge that role as a re-drive's batch job role (`batch_findings`)."""
    found = await services.buckets.get(bucket)
    configuration = (
        parse_replication_configuration(found.replication.encode()) if found.replication else None
    )
    access = await services.buckets.get_access(bucket)
    facts = SourceFacts(
        bucket=bucket,
        versioning=found.versioning.value,
        configuration=configuration,
        role=await _role(services, configuration.role.strip()) if configuration else None,
        bucket_policy=parsed_bucket_policy(access.policy) if access.policy else None,
        bucket_account=await account_of_owner(services, access.owner_id),
        object_lock=(await services.objects.bucket(bucket)).object_lock is not None,
    )
    report = {
        "bucket": bucket,
        "region": services.region.name,
        "findings": [render_finding(f) for f in diagnose_source(facts)],
        "destinations": [render_needs(n) for n in destination_needs(facts)],
    }
    if batch_role is not None:
        judged = diagnose_batch_role(
            await _role(services, batch_role), bucket=bucket, severity=Severity.ERROR,
            arn=batch_role,
        )  # fmt: skip
        report["batch_findings"] = [render_finding(f) for f in judged]
    return report


async def destination_report(services: Services, bucket: str, needs_text: str) -> dict[str, Any]:
    try:
        needs = parse_needs(needs_text)
    except ValueError as exc:
        raise AdminError(400, "InvalidArgument", "needs must be a destination's needs.") from exc
    if needs.bucket != bucket:
        raise AdminError(400, "InvalidArgument", "needs names another bucket.")
    found = await services.buckets.get(bucket)
    access = await services.buckets.get_access(bucket)
    role = await _role(services, needs.role_arn)
    facts = DestinationFacts(
        needs=needs,
        exists=True,
        region=services.region.name,
        versioning=found.versioning.value,
        role=role,
        bucket_policy=parsed_bucket_policy(access.policy) if access.policy else None,
        bucket_account=await account_of_owner(services, access.owner_id),
        kms_keys=tuple([await _kms_key(services, k, role) for k in needs.kms_key_ids]),
        quota=await _quota(services, bucket),
        next_hops=_next_hops(found),
        object_lock=(await services.objects.bucket(bucket)).object_lock is not None,
    )
    return {
        "bucket": bucket,
        "region": services.region.name,
        "findings": [render_finding(f) for f in diagnose_destination(facts)],
        "next_hops": list(facts.next_hops),
    }


async def _role(services: Services, arn: str) -> ReplicationRole | None:
    if services.replication_roles is None:
        return None
    return await services.replication_roles.resolve(arn)


async def _kms_key(services: Services, key_id: str, role: ReplicationRole | None) -> KmsKeyFacts:
    """The key as the destination would use it: in this region, for the role's account."""
    if services.kms is None:
        return KmsKeyFacts(key_id=key_id, exists=False)
    account = role.account_id if role is not None else services.deployment.root.account_id
    try:
        metadata = await services.kms.describe_key(key_id, account_id=account)
    except KmsKeyNotFound:
        return KmsKeyFacts(key_id=key_id, exists=False)
    except KmsAccessDenied:
        return KmsKeyFacts(key_id=key_id, exists=True, state=f"not usable by account {account}")
    return KmsKeyFacts(key_id=key_id, exists=True, state=metadata.state.value, arn=metadata.arn)


async def _quota(services: Services, bucket: str) -> QuotaFacts | None:
    if services.quotas is None:
        return None
    try:
        status = await services.quotas.status(bucket)
    except FerryError:
        return None
    return QuotaFacts(
        max_bytes=status.quota.max_bytes,
        max_objects=status.quota.max_objects,
        used_bytes=status.usage.total_bytes,
        used_objects=status.usage.objects,
    )


def _next_hops(bucket: Bucket) -> tuple[str, ...]:
    if not bucket.replication:
        return ()
    configuration = parse_replication_configuration(bucket.replication.encode())
    names = (
        destination_bucket_name(r.destination.bucket)
        for r in configuration.rules
        if r.status is ReplicationRuleStatus.ENABLED
    )
    return tuple(dict.fromkeys(names))
