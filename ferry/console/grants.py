"""An object's ACL as the console shows it: GetObjectAcl's grants, each grantee named the way
the AWS console names it (the AllUsers group as "Everyone (public access)")."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from ferry.console.xmldoc import text

ALL_USERS_URI = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS_URI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
GROUP_NAMES = {
    ALL_USERS_URI: "Everyone (public access)",
    AUTHENTICATED_USERS_URI: "Authenticated users group",
}
CANNED_PUBLIC, CANNED_PRIVATE = "public-read", "private"


@dataclass(frozen=True, slots=True, kw_only=True)
class GrantRow:
    grantee: str  # a canonical user's ID or a group's URI
    name: str  # what the page shows for it
    permission: str

    @property
    def is_public_read(self) -> bool:
        return self.grantee == ALL_USERS_URI and self.permission in ("READ", "FULL_CONTROL")


def grants_of(policy: Element) -> list[GrantRow]:
    """The AccessControlPolicy document's grants, in its order."""
    rows = []
    for grant in policy.iter("Grant"):
        grantee = grant.find("Grantee")
        uri, user_id = text(grantee, "URI"), text(grantee, "ID")
        name = (
            GROUP_NAMES.get(uri, uri)
            if uri
            else text(grantee, "DisplayName") or text(grantee, "EmailAddress") or user_id
        )
        rows.append(
            GrantRow(grantee=uri or user_id, name=name, permission=text(grant, "Permission"))
        )
    return rows


def is_public_read(grants: list[GrantRow]) -> bool:
    return any(g.is_public_read for g in grants)
