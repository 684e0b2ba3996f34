"""Owner and Initiator: a canonical user ID with an optional display name."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from ferry.protocol.xml._xml import escape, optional_text, required_text


@dataclass(frozen=True, slots=True, kw_only=True)
class Owner:
    """A canonical user. AWS is retiring `DisplayName`, so it is optional."""

    id: str
    display_name: str | None = None


def render_owner(owner: Owner, tag: str = "Owner") -> str:
    """`<Owner><ID/><DisplayName/></Owner>`; ListParts and uploads reuse it as `Initiator`."""
    name = "" if owner.display_name is None else f"<DisplayName>{escape(owner.display_name)}</DisplayName>"
    return f"<{tag}><ID>{escape(owner.id)}</ID>{name}</{tag}>"


def parse_owner(element: Element) -> Owner:
    return Owner(
        id=required_text(element, "ID"),
        display_name=optional_text(element, "DisplayName"),
    )
