"""ACLs from request headers: canned ACLs (x-amz-acl) and explicit grants (x-amz-grant-*)."""

from __future__ import annotations

import functools

from ferry.api.context import RequestContext
from ferry.api.handlers import views
from ferry.protocol import xml
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.store import Grants


def grants_from_headers(ctx: RequestContext, owner_id: str) -> Grants:
    """The ACL a write asks for: canned, explicit grants, or the default `private`."""
    headers = ctx.request.headers
    canned = headers.get("x-amz-acl")
    explicit = any(h in headers for h in xml.GRANT_HEADERS)
    if canned is not None and explicit:
        raise S3Error(
            S3ErrorCode.InvalidRequest,
            "Specifying both Canned ACLs and Header Grants is not allowed",
        )
    if explicit:
        grants = xml.parse_grant_headers(headers)
        return views.grants_of(xml.AccessControlPolicy(owner=views.owner(owner_id), grants=grants))
    return canned_grants(canned or "private", owner_id)


@functools.lru_cache(maxsize=256)
def canned_grants(name: str, owner_id: str) -> Grants:
    # Cached: every PUT without an ACL header expands `private` for the same owner.
    acl = xml.parse_canned_acl(name)
    return views.grants_of(xml.expand_canned_acl(acl, owner=views.owner(owner_id)))
