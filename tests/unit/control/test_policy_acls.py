"""What ACL grants authorise (control/policy/acls.py)."""

from __future__ import annotations

import pytest

from ferry.control.policy import AclRequester, AclSource, acl_grants, acl_need, is_public_acl
from ferry.protocol.xml.acl import ALL_USERS_URI, AUTHENTICATED_USERS_URI, LOG_DELIVERY_URI
from ferry.store import Grant

ALICE, BOB = "a" * 64, "b" * 64
ANONYMOUS = AclRequester(canonical_id=None)


def grant(kind: str, grantee: str, permission: str) -> Grant:
    return Grant(grantee_type=kind, grantee=grantee, permission=permission)


@pytest.mark.parametrize(
    ("action", "source", "permission"),
    [
        ("s3:ListBucket", AclSource.BUCKET, "READ"),
        ("s3:PutObject", AclSource.BUCKET, "WRITE"),
        ("s3:DeleteObjectVersion", AclSource.BUCKET, "WRITE"),
        ("s3:GetBucketAcl", AclSource.BUCKET, "READ_ACP"),
        ("s3:PutBucketAcl", AclSource.BUCKET, "WRITE_ACP"),
        ("s3:GetObjectVersion", AclSource.OBJECT, "READ"),
        ("s3:GetObjectAcl", AclSource.OBJECT, "READ_ACP"),
        ("s3:PutObjectVersionAcl", AclSource.OBJECT, "WRITE_ACP"),
    ],
)
def test_actions_map_to_the_acl_permission_aws_documents(
    action: str, source: AclSource, permission: str
) -> None:
    need = acl_need(action)
    assert need is not None and (need.source, need.permission) == (source, permission)


def test_actions_no_acl_grants_need_nothing_and_write_parts_need_bucket_write() -> None:
    assert acl_need("s3:GetObjectTagging") is None
    assert acl_need("s3:PutBucketPolicy") is None
    assert acl_need("s3:PutObjectTagging") is None
    write = acl_need("s3:PutObjectAcl", part_of_write=True)
    assert write is not None and (write.source, write.permission) == (AclSource.BUCKET, "WRITE")


def test_grants_match_canonical_users_groups_and_full_control() -> None:
    grants = (grant("CanonicalUser", ALICE, "READ"), grant("CanonicalUser", BOB, "FULL_CONTROL"))
    assert acl_grants(grants, AclRequester(canonical_id=ALICE), "READ")
    assert not acl_grants(grants, AclRequester(canonical_id=ALICE), "WRITE_ACP")
    assert acl_grants(grants, AclRequester(canonical_id=BOB), "WRITE_ACP")
    assert not acl_grants(grants, ANONYMOUS, "READ")


def test_public_groups_and_ignore_public_acls() -> None:
    everyone = (grant("Group", ALL_USERS_URI, "READ"),)
    signed = (grant("Group", AUTHENTICATED_USERS_URI, "READ"),)
    alice = AclRequester(canonical_id=ALICE)
    assert acl_grants(everyone, ANONYMOUS, "READ") and acl_grants(everyone, alice, "READ")
    assert acl_grants(signed, alice, "READ") and not acl_grants(signed, ANONYMOUS, "READ")
    assert not acl_grants(everyone, ANONYMOUS, "READ", ignore_public=True)
    assert not acl_grants(signed, alice, "READ", ignore_public=True)


def test_log_delivery_and_email_grants_authorise_no_caller() -> None:
    grants = (
        grant("Group", LOG_DELIVERY_URI, "WRITE"),
        grant("AmazonCustomerByEmail", "a@example.com", "READ"),
    )
    assert not acl_grants(grants, AclRequester(canonical_id=ALICE), "WRITE")
    assert not acl_grants(grants, AclRequester(canonical_id=ALICE), "READ")


def test_an_acl_is_public_when_it_grants_a_public_group() -> None:
    assert is_public_acl((grant("Group", AUTHENTICATED_USERS_URI, "READ_ACP"),))
    assert is_public_acl((grant("Group", ALL_USERS_URI, "WRITE"),))
    assert not is_public_acl((grant("Group", LOG_DELIVERY_URI, "WRITE"),))
    assert not is_public_acl((grant("CanonicalUser", ALICE, "FULL_CONTROL"),))
