"""ACLs from request headers: canned ACLs (x-amz-acl) and explicit grants (x-amz-grant-*)."""

from __future__ import annotations

import re

from ferry.api.context import RequestContext
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.store import Grant, Grants

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"

GRANT_HEADERS = {
    "x-amz-grant-full-control": "FULL_CONTROL",
    "x-amz-grant-read": "READ",
    "x-amz-grant-write": "WRITE",
    "x-amz-grant-read-acp": "READ_ACP",
    "x-amz-grant-write-acp": "WRITE_ACP",
}
_GRANTEE = re.compile(r'\s*(id|uri|emailAddress)\s*=\s*"?([^",]*)"?\s*(?:,|$)')
_TYPES = {"id": "CanonicalUser", "uri": "Group", "emailAddress": "AmazonCustomerByEmail"}


def canned_grants(name: str, owner_id: str) -> Grants:
    owner = Grant(grantee_type="CanonicalUser", grantee=owner_id, permission="FULL_CONTROL")
    group = {
        "private": (),
        "bucket-owner-read": (),
        "bucket-owner-full-control": (),
        "aws-exec-read": (),
        "public-read": (("Group", ALL_USERS, "READ"),),
        "public-read-write": (("Group", ALL_USERS, "READ"), ("Group", ALL_USERS, "WRITE")),
        "authenticated-read": (("Group", AUTHENTICATED_USERS, "READ"),),
        "log-delivery-write": (("Group", LOG_DELIVERY, "WRITE"), ("Group", LOG_DELIVERY, "READ_ACP")),
    }
    if name not in group:
        raise S3Error(S3ErrorCode.InvalidArgument, None, ArgumentName="x-amz-acl", ArgumentValue=name)
    return (owner,) + tuple(Grant(grantee_type=t, grantee=g, permission=p) for t, g, p in group[name])


def grants_from_headers(ctx: RequestContext, owner_id: str) -> Grants:
    """The ACL a write asks for: canned, explicit grants, or the default `private`."""
    headers = ctx.request.headers
    canned = headers.get("x-amz-acl")
    explicit = [h for h in GRANT_HEADERS if h in headers]
    if canned is not None and explicit:
        raise S3Error(S3ErrorCode.InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed")
    if not explicit:
        return canned_grants(canned or "private", owner_id)
    grants: list[Grant] = []
    for header in explicit:
        value = headers[header]
        position = 0
        while position < len(value):
            match = _GRANTEE.match(value, position)
            if match is None or match.end() == position:
                raise S3Error(S3ErrorCode.InvalidArgument, None, ArgumentName=header, ArgumentValue=value)
            grants.append(Grant(grantee_type=_TYPES[match.group(1)], grantee=match.group(2), permission=GRANT_HEADERS[header]))
            position = match.end()
    return tuple(grants)
