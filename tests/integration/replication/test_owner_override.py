"""The owner override (AccessControlTranslation) of a rule, in process: the replica's ACL
gives the destination bucket's owner full control, not the source's grants, and the role
must hold s3:ObjectOwnerOverrideToBucketOwner."""

from __future__ import annotations

import base64
import hashlib

from ferry.control.identifiers import canonical_id
from tests.integration.conftest import ACCOUNT_ID
from tests.integration.replication.conftest import TwoRegions
from tests.integration.replication.test_encrypted_replication import (
    reason_of,
    role_may,
    settled,
)
from tests.integration.replication.test_engine import make_bucket
from tests.integration.s3 import S3

OVERRIDE_RULE = f"""<ReplicationConfiguration><Role>arn:aws:iam::{ACCOUNT_ID}:role/r</Role>
<Rule><ID>override</ID><Priority>1</Priority><Status>Enabled</Status><Filter><Prefix></Prefix>
</Filter><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>
<Destination><Bucket>arn:aws:s3:::dst</Bucket><Account>{ACCOUNT_ID}</Account>
<AccessControlTranslation><Owner>Destination</Owner></AccessControlTranslation></Destination>
</Rule></ReplicationConfiguration>""".encode()
READ_GRANT = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'


async def configure(s3: S3) -> None:
    md5 = base64.b64encode(hashlib.md5(OVERRIDE_RULE).digest()).decode()
    response = await s3.put(
        "/src", query={"replication": None}, body=OVERRIDE_RULE, headers={"content-md5": md5}
    )
    assert response.status_code == 200, response.text


async def enable_acls(s3: S3, bucket: str) -> None:
    """New buckets have ACLs disabled and public access blocked, as on AWS."""
    ownership = (
        b"<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule>"
        b"</OwnershipControls>"
    )
    response = await s3.put(f"/{bucket}", ownership, query={"ownershipControls": None})
    assert response.status_code == 200, response.text
    response = await s3.delete(f"/{bucket}", query={"publicAccessBlock": None})
    assert response.status_code == 204, response.text


async def test_the_replica_belongs_to_the_destination_owner_alone(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await enable_acls(regions.s3_east, "src")
    await enable_acls(regions.s3_west, "dst")
    await configure(regions.s3_east)
    put = await regions.s3_east.put("/src/doc", body=b"x", headers={"x-amz-grant-read": READ_GRANT})
    version = put.headers["x-amz-version-id"]
    assert await settled(regions.s3_east, "/src/doc", version) == "COMPLETED"
    source_acl = (await regions.s3_east.get("/src/doc", query={"acl": None})).text
    replica_acl = (await regions.s3_west.get("/dst/doc", query={"acl": None})).text
    assert "AllUsers" in source_acl
    assert "AllUsers" not in replica_acl
    assert canonical_id(ACCOUNT_ID) in replica_acl and "FULL_CONTROL" in replica_acl


async def test_without_object_owner_override_the_replica_is_not_written(
    regions: TwoRegions,
) -> None:
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(regions.s3_east)
    await role_may(
        regions,
        [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:ObjectOwnerOverrideToBucketOwner", "Resource": "*"},
        ],
    )
    version = (await regions.s3_east.put("/src/doc", body=b"x")).headers["x-amz-version-id"]
    assert await settled(regions.s3_east, "/src/doc", version) == "FAILED"
    assert await reason_of(regions.s3_east, version) == "DstPutObjectNotPermitted"
