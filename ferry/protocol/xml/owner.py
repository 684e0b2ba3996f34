"""Owner and Initiator: a canonical user ID with an optional display name."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from ferry.protocol.xml._xml import escape, optional_element, optional_text, required_text


@dataclass(frozen=True, slots=True, kw_only=True)
class Owner:
    """A canonical user. AWS is retiring `DisplayName`, so it is optional."""

    id: str
    display_name: str | None = None


def render_owner(owner: Owner, tag: str = "Owner") -> str:
    """`<Owner><ID/><DisplayName/></Owner>`; ListParts and uploads reuse it as `Initiator`."""
    name = optional_element("DisplayName", owner.display_name)
    return f"<{tag}><ID>{escape(owner.id)}</ID>{name}</{tag}>"


def parse_owner(element: Element) -> Owner:
    return Owner(
        id=required_text(element, "ID"),
        display_name=optional_text(element, "DisplayName"),
    )


class OwnerMemo:
    """Renders owners for a listing, reusing the text while the same owner repeats.

    A page of a thousand entries usually has one owner; this saves rendering it 999 times.
    """

    __slots__ = ("_last", "_tag", "_text")

    def __init__(self, tag: str = "Owner") -> None:
        self._tag = tag
        self._last: Owner | None = None
        self._text = ""

    def render(self, owner: Owner | None) -> str:
        if owner is not self._last and owner != self._last:
            self._last = owner
            self._text = "" if owner is None else render_owner(owner, self._tag)
        return self._text
