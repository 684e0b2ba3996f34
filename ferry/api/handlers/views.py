"""Store records as the XML codecs' dataclasses (and back, for ACLs)."""

from __future__ import annotations

from ferry.protocol import xml
from ferry.protocol.xml.acl import CanonicalUserGrantee, EmailGrantee, GroupGrantee
from ferry.store import Grant, Grants

DISPLAY_NAME = "ferry"


def owner(owner_id: str) -> xml.Owner:
    return xml.Owner(id=owner_id, display_name=DISPLAY_NAME)


def algorithm(value: str | None) -> xml.ChecksumAlgorithm | None:
    return xml.ChecksumAlgorithm(value) if value else None


def checksum_type(value: str | None) -> xml.ChecksumType | None:
    return xml.ChecksumType(value) if value else None


def checksums(algorithm_name: str | None, value: str | None) -> xml.Checksums:
    if not algorithm_name or not value:
        return xml.NO_CHECKSUMS
    return xml.Checksums(**{algorithm_name.lower(): value})


def acl_policy(owner_id: str, grants: Grants) -> xml.AccessControlPolicy:
    return xml.AccessControlPolicy(
        owner=owner(owner_id),
        grants=tuple(
            xml.Grant(grantee=_grantee(g), permission=xml.Permission(g.permission)) for g in grants
        ),
    )


def _grantee(grant: Grant) -> xml.Grantee:
    match grant.grantee_type:
        case "Group":
            return GroupGrantee(uri=grant.grantee)
        case "AmazonCustomerByEmail":
            return EmailGrantee(email_address=grant.grantee)
        case _:
            display = DISPLAY_NAME if grant.grantee else None
            return CanonicalUserGrantee(id=grant.grantee, display_name=display)


def grants_of(policy: xml.AccessControlPolicy) -> Grants:
    out = []
    for g in policy.grants:
        grantee = g.grantee
        if isinstance(grantee, GroupGrantee):
            kind, value = "Group", grantee.uri
        elif isinstance(grantee, EmailGrantee):
            kind, value = "AmazonCustomerByEmail", grantee.email_address
        else:
            kind, value = "CanonicalUser", grantee.id
        out.append(Grant(grantee_type=kind, grantee=value, permission=g.permission.value))
    return tuple(out)
