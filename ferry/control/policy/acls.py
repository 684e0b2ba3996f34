"""ACLs as authorisation sees them: which ACL permission an S3 action needs ("Mapping of ACL
permissions and access policy permissions" in the S3 User Guide), and whether a set of grants
gives it to a principal. Pure.

Bucket ACL: READ lists the bucket, WRITE creates (and deletes, overwrites) objects in it,
READ_ACP/WRITE_ACP read/write the bucket ACL. Object ACL: READ reads the object, READ_ACP and
WRITE_ACP its ACL. FULL_CONTROL is all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ferry.protocol.xml.acl import ALL_USERS_URI, AUTHENTICATED_USERS_URI

PUBLIC_GROUPS = frozenset({ALL_USERS_URI, AUTHENTICATED_USERS_URI})
FULL_CONTROL = "FULL_CONTROL"


class AclSource(StrEnum):
    BUCKET = "bucket"
    OBJECT = "object"


@dataclass(frozen=True, slots=True, kw_only=True)
class AclNeed:
    """The ACL and the permission in it that an action needs."""

    source: AclSource
    permission: str


_B, _O = AclSource.BUCKET, AclSource.OBJECT
ACTION_ACL: dict[str, AclNeed] = {
    "s3:ListBucket": AclNeed(source=_B, permission="READ"),
    "s3:ListBucketVersions": AclNeed(source=_B, permission="READ"),
    "s3:ListBucketMultipartUploads": AclNeed(source=_B, permission="READ"),
    "s3:PutObject": AclNeed(source=_B, permission="WRITE"),
    "s3:DeleteObject": AclNeed(source=_B, permission="WRITE"),
    "s3:DeleteObjectVersion": AclNeed(source=_B, permission="WRITE"),
    "s3:AbortMultipartUpload": AclNeed(source=_B, permission="WRITE"),
    "s3:ListMultipartUploadParts": AclNeed(source=_B, permission="WRITE"),
    "s3:GetBucketAcl": AclNeed(source=_B, permission="READ_ACP"),
    "s3:PutBucketAcl": AclNeed(source=_B, permission="WRITE_ACP"),
    "s3:GetObject": AclNeed(source=_O, permission="READ"),
    "s3:GetObjectVersion": AclNeed(source=_O, permission="READ"),
    "s3:GetObjectAcl": AclNeed(source=_O, permission="READ_ACP"),
    "s3:GetObjectVersionAcl": AclNeed(source=_O, permission="READ_ACP"),
    "s3:PutObjectAcl": AclNeed(source=_O, permission="WRITE_ACP"),
    "s3:PutObjectVersionAcl": AclNeed(source=_O, permission="WRITE_ACP"),
}
# What an object write also needs when it carries an ACL or tags: part of the write, which
# the bucket's WRITE grant covers.
WRITE_PARTS = frozenset({"s3:PutObjectAcl", "s3:PutObjectTagging"})
WRITE_NEED = ACTION_ACL["s3:PutObject"]


class AclGrant(Protocol):
    @property
    def grantee_type(self) -> str: ...
    @property
    def grantee(self) -> str: ...
    @property
    def permission(self) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AclRequester:
    """Who asks, as ACLs see it: an account (its canonical ID) or anonymous (None)."""

    canonical_id: str | None

    @property
    def is_anonymous(self) -> bool:
        return self.canonical_id is None


def acl_need(action: str, *, part_of_write: bool = False) -> AclNeed | None:
    """None: no ACL permission grants this action."""
    if part_of_write and action in WRITE_PARTS:
        return WRITE_NEED
    return ACTION_ACL.get(action)


def acl_grants(
    grants: Iterable[AclGrant],
    requester: AclRequester,
    permission: str,
    *,
    ignore_public: bool = False,
) -> bool:
    """Whether `grants` give `permission` (or FULL_CONTROL) to `requester`. `ignore_public`:
    Block Public Access's IgnorePublicAcls, under which the public groups grant nothing."""
    for grant in grants:
        if grant.permission not in (permission, FULL_CONTROL):
            continue
        if _grantee_is(grant, requester, ignore_public=ignore_public):
            return True
    return False


def _grantee_is(grant: AclGrant, requester: AclRequester, *, ignore_public: bool) -> bool:
    if grant.grantee_type == "Group":
        if ignore_public and grant.grantee in PUBLIC_GROUPS:
            return False
        if grant.grantee == ALL_USERS_URI:
            return True
        if grant.grantee == AUTHENTICATED_USERS_URI:
            return not requester.is_anonymous
        return False  # LogDelivery: S3's log delivery, never a requester here
    if grant.grantee_type == "CanonicalUser":
        return requester.canonical_id is not None and grant.grantee == requester.canonical_id
    return False  # e-mail grants are resolved to canonical users when written


def is_public_acl(grants: Iterable[AclGrant]) -> bool:
    """AWS: an ACL is public if it grants anything to AllUsers or AuthenticatedUsers."""
    return any(g.grantee_type == "Group" and g.grantee in PUBLIC_GROUPS for g in grants)
