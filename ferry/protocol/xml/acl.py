"""ACLs: the AccessControlPolicy document, canned ACLs and the `x-amz-grant-*` headers.

A malformed policy document is `MalformedACLError`, whatever made it malformed; a bad
grant header or canned ACL name is `InvalidArgument` naming the header.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never
from xml.etree.ElementTree import Element

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml._xml import (
    XSI_NAMESPACE,
    children,
    document,
    escape,
    find_child,
    malformed,
    optional_element,
    optional_text,
    parse_document,
    required_text,
)
from ferry.protocol.xml.owner import Owner, parse_owner, render_owner

ALL_USERS_URI = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS_URI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY_URI = "http://acs.amazonaws.com/groups/s3/LogDelivery"
# The canonical user `aws-exec-read` grants READ to: Amazon EC2, reading AMI bundles.
EC2_CANONICAL_USER_ID = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"


class Permission(StrEnum):
    FULL_CONTROL = "FULL_CONTROL"
    WRITE = "WRITE"
    WRITE_ACP = "WRITE_ACP"
    READ = "READ"
    READ_ACP = "READ_ACP"


@dataclass(frozen=True, slots=True, kw_only=True)
class CanonicalUserGrantee:
    id: str
    display_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupGrantee:
    uri: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailGrantee:
    """`AmazonCustomerByEmail`; the handler resolves it to a canonical user."""

    email_address: str


Grantee = CanonicalUserGrantee | GroupGrantee | EmailGrantee


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    grantee: Grantee
    permission: Permission


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessControlPolicy:
    owner: Owner
    grants: tuple[Grant, ...] = ()


# ------------------------------------------------------------------------------ document


def parse_access_control_policy(body: bytes) -> AccessControlPolicy:
    """The PutBucketAcl / PutObjectAcl body; anything malformed is `MalformedACLError`."""
    try:
        root = parse_document(body, "AccessControlPolicy")
        owner = find_child(root, "Owner")
        acl = find_child(root, "AccessControlList")
        if owner is None or acl is None:
            raise malformed()
        return AccessControlPolicy(
            owner=parse_owner(owner),
            grants=tuple(_parse_grant(grant) for grant in children(acl, "Grant")),
        )
    except S3Error as exc:  # the helpers raise MalformedXML only
        raise S3Error(S3ErrorCode.MalformedACLError) from exc


def _parse_grant(grant: Element) -> Grant:
    grantee = find_child(grant, "Grantee")
    if grantee is None:
        raise malformed()
    try:
        permission = Permission(required_text(grant, "Permission"))
    except ValueError as exc:
        raise malformed() from exc
    return Grant(grantee=_parse_grantee(grantee), permission=permission)


def _parse_grantee(grantee: Element) -> Grantee:
    match grantee.get(f"{{{XSI_NAMESPACE}}}type"):
        case "CanonicalUser":
            return CanonicalUserGrantee(
                id=required_text(grantee, "ID"),
                display_name=optional_text(grantee, "DisplayName"),
            )
        case "Group":
            return GroupGrantee(uri=required_text(grantee, "URI"))
        case "AmazonCustomerByEmail":
            return EmailGrantee(email_address=required_text(grantee, "EmailAddress"))
        case _:
            raise malformed()


_GRANTEE_OPEN = f'<Grantee xmlns:xsi="{XSI_NAMESPACE}" xsi:type='


def render_access_control_policy(policy: AccessControlPolicy) -> bytes:
    grants = "".join(
        f"<Grant>{_render_grantee(grant.grantee)}"
        f"<Permission>{grant.permission.value}</Permission></Grant>"
        for grant in policy.grants
    )
    return document(
        "AccessControlPolicy",
        f"{render_owner(policy.owner)}<AccessControlList>{grants}</AccessControlList>",
    )


def _render_grantee(grantee: Grantee) -> str:
    match grantee:
        case CanonicalUserGrantee(id=user_id, display_name=display_name):
            name = optional_element("DisplayName", display_name)
            return f'{_GRANTEE_OPEN}"CanonicalUser"><ID>{escape(user_id)}</ID>{name}</Grantee>'
        case GroupGrantee(uri=uri):
            return f'{_GRANTEE_OPEN}"Group"><URI>{escape(uri)}</URI></Grantee>'
        case EmailGrantee(email_address=email):
            return (
                f'{_GRANTEE_OPEN}"AmazonCustomerByEmail">'
                f"<EmailAddress>{escape(email)}</EmailAddress></Grantee>"
            )
        case _:
            assert_never(grantee)


# ---------------------------------------------------------------------------- canned ACLs


class CannedAcl(StrEnum):
    PRIVATE = "private"
    PUBLIC_READ = "public-read"
    PUBLIC_READ_WRITE = "public-read-write"
    AUTHENTICATED_READ = "authenticated-read"
    AWS_EXEC_READ = "aws-exec-read"
    BUCKET_OWNER_READ = "bucket-owner-read"
    BUCKET_OWNER_FULL_CONTROL = "bucket-owner-full-control"
    LOG_DELIVERY_WRITE = "log-delivery-write"


def parse_canned_acl(value: str) -> CannedAcl:
    """The `x-amz-acl` header; an unknown name is `InvalidArgument`, as AWS answers."""
    try:
        return CannedAcl(value)
    except ValueError as exc:
        raise S3Error(
            S3ErrorCode.InvalidArgument, ArgumentName="x-amz-acl", ArgumentValue=value
        ) from exc


def expand_canned_acl(
    acl: CannedAcl, *, owner: Owner, bucket_owner: Owner | None = None
) -> AccessControlPolicy:
    """The grants a canned ACL stands for. The owner always gets FULL_CONTROL first.

    `bucket_owner` matters only to the `bucket-owner-*` ACLs of objects; for a bucket, or
    when it is the object owner, those ACLs add nothing, as on AWS.
    """
    grants = [Grant(grantee=_user(owner), permission=Permission.FULL_CONTROL)]
    other_owner = bucket_owner if bucket_owner and bucket_owner.id != owner.id else None
    match acl:
        case CannedAcl.PRIVATE:
            pass
        case CannedAcl.PUBLIC_READ:
            grants.append(_group(ALL_USERS_URI, Permission.READ))
        case CannedAcl.PUBLIC_READ_WRITE:
            grants.append(_group(ALL_USERS_URI, Permission.READ))
            grants.append(_group(ALL_USERS_URI, Permission.WRITE))
        case CannedAcl.AUTHENTICATED_READ:
            grants.append(_group(AUTHENTICATED_USERS_URI, Permission.READ))
        case CannedAcl.AWS_EXEC_READ:
            ec2 = CanonicalUserGrantee(id=EC2_CANONICAL_USER_ID)
            grants.append(Grant(grantee=ec2, permission=Permission.READ))
        case CannedAcl.BUCKET_OWNER_READ:
            if other_owner is not None:
                grants.append(Grant(grantee=_user(other_owner), permission=Permission.READ))
        case CannedAcl.BUCKET_OWNER_FULL_CONTROL:
            if other_owner is not None:
                full = Permission.FULL_CONTROL
                grants.append(Grant(grantee=_user(other_owner), permission=full))
        case CannedAcl.LOG_DELIVERY_WRITE:
            grants.append(_group(LOG_DELIVERY_URI, Permission.WRITE))
            grants.append(_group(LOG_DELIVERY_URI, Permission.READ_ACP))
        case _:
            assert_never(acl)
    return AccessControlPolicy(owner=owner, grants=tuple(grants))


def _user(owner: Owner) -> CanonicalUserGrantee:
    return CanonicalUserGrantee(id=owner.id, display_name=owner.display_name)


def _group(uri: str, permission: Permission) -> Grant:
    return Grant(grantee=GroupGrantee(uri=uri), permission=permission)


# -------------------------------------------------------------------------- grant headers

GRANT_HEADERS: dict[str, Permission] = {
    "x-amz-grant-read": Permission.READ,
    "x-amz-grant-write": Permission.WRITE,
    "x-amz-grant-read-acp": Permission.READ_ACP,
    "x-amz-grant-write-acp": Permission.WRITE_ACP,
    "x-amz-grant-full-control": Permission.FULL_CONTROL,
}

# One `type=value` item: the value quoted or bare, then a comma or the end.
_GRANT_ITEM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^",\s]+))\s*(?:,|$)')


def parse_grant_header(header: str, value: str) -> tuple[Grant, ...]:
    """`x-amz-grant-read: id="…", uri="…", emailAddress="…"`, for one of GRANT_HEADERS."""
    permission = GRANT_HEADERS[header]
    grants: list[Grant] = []
    position = 0
    while position < len(value) and value[position:].strip():
        match = _GRANT_ITEM.match(value, position)
        if match is None:
            raise _invalid_grant(header, value)
        kind, quoted, bare = match.groups()
        grantee = _header_grantee(kind.lower(), quoted if quoted is not None else bare)
        if grantee is None:
            raise _invalid_grant(header, value)
        grants.append(Grant(grantee=grantee, permission=permission))
        position = match.end()
    return tuple(grants)


def parse_grant_headers(headers: Mapping[str, str]) -> tuple[Grant, ...]:
    """Every grant the request's `x-amz-grant-*` headers carry (`headers` keyed lower-case)."""
    grants: list[Grant] = []
    for header in GRANT_HEADERS:
        value = headers.get(header)
        if value is not None:
            grants.extend(parse_grant_header(header, value))
    return tuple(grants)


def _header_grantee(kind: str, value: str) -> Grantee | None:
    if not value:
        return None
    if kind == "id":
        return CanonicalUserGrantee(id=value)
    if kind == "uri":
        return GroupGrantee(uri=value)
    if kind == "emailaddress":
        return EmailGrantee(email_address=value)
    return None


def _invalid_grant(header: str, value: str) -> S3Error:
    return S3Error(S3ErrorCode.InvalidArgument, ArgumentName=header, ArgumentValue=value)


# The Grantee element as other documents embed it (BucketLoggingStatus' TargetGrants).
parse_grantee = _parse_grantee
render_grantee = _render_grantee
