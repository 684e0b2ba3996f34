"""ACLs from request headers: canned ACLs (x-amz-acl) and explicit grants (x-amz-grant-*);
grants naming an e-mail address resolved to the account registered with it."""

from __future__ import annotations

import dataclasses
import functools

from ferry.api.context import RequestContext
from ferry.api.handlers import views
from ferry.protocol import xml
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.store import Grants

EMAIL_GRANTEE = "AmazonCustomerByEmail"


def grants_from_headers(
    ctx: RequestContext, owner_id: str, *, bucket_owner_id: str | None = None
) -> Grants:
    """The ACL a write asks for: canned, explicit grants, or the default `private`.
    `bucket_owner_id`: the bucket's owner, for an object's `bucket-owner-*` canned ACLs."""
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
    return canned_grants(canned or "private", owner_id, bucket_owner_id or owner_id)


@functools.lru_cache(maxsize=256)
def canned_grants(name: str, owner_id: str, bucket_owner_id: str) -> Grants:
    # Cached: every PUT without an ACL header expands `private` for the same owner.
    acl = xml.parse_canned_acl(name)
    expanded = xml.expand_canned_acl(
        acl, owner=views.owner(owner_id), bucket_owner=views.owner(bucket_owner_id)
    )
    return views.grants_of(expanded)


async def resolve_emails(ctx: RequestContext, grants: Grants) -> Grants:
    """E-mail grantees become the canonical users they name (as AWS stores them); an address
    no account has is UnresolvableGrantByEmailAddress."""
    if not any(g.grantee_type == EMAIL_GRANTEE for g in grants):
        return grants
    settings = ctx.services.account_settings
    resolved = []
    for grant in grants:
        if grant.grantee_type == EMAIL_GRANTEE:
            found = None
            if settings is not None:
                found = await settings.canonical_id_of_email(grant.grantee)
            if found is None:
                raise S3Error(S3ErrorCode.UnresolvableGrantByEmailAddress)
            grant = dataclasses.replace(grant, grantee_type="CanonicalUser", grantee=found)
        resolved.append(grant)
    return tuple(resolved)
