"""The XML plumbing every codec shares: hostile-safe parsing and fast, escaped rendering.

Parsing goes through defusedxml with DTDs, entities and external references forbidden, so
billion-laughs and XXE documents fail as `MalformedXML` before any expansion. The caller has
already capped the body size. Element lookup ignores namespaces, because clients may or may
not send `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`, and it does not assume an order
of children.

Rendering builds strings directly, which is several times faster than building an element
tree. Text is escaped for XML 1.0; characters XML 1.0 cannot carry (C0 controls other than
tab and newline) are written as character references such as `&#x1;`, exactly as S3 does.
Strict XML 1.0 parsers, botocore's among them, reject those references; that is why SDKs ask
listings for `encoding-type=url`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ferry.protocol.errors import S3Error, S3ErrorCode

XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# --------------------------------------------------------------------------------- parsing


def malformed(detail: str | None = None) -> S3Error:
    """The S3 error for a document that is not what the operation expects."""
    return S3Error(S3ErrorCode.MalformedXML, detail)


def parse_document(body: bytes, root: str) -> Element:
    """Parse `body` safely and check that its root element is `root` (in any namespace)."""
    try:
        element: Element = fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        raise malformed() from exc
    if local_name(element) != root:
        raise malformed()
    return element


def local_name(element: Element) -> str:
    """The tag without its `{namespace}`."""
    tag = element.tag
    return tag[tag.index("}") + 1 :] if tag[:1] == "{" else tag


def children(parent: Element, name: str) -> list[Element]:
    """Every child called `name`, in document order."""
    return [child for child in parent if local_name(child) == name]


def find_child(parent: Element, name: str) -> Element | None:
    """The only child called `name`, or None; a repeated element is malformed."""
    found = children(parent, name)
    if len(found) > 1:
        raise malformed()
    return found[0] if found else None


def leaf_text(element: Element) -> str:
    """The text of an element that must not contain elements; empty when it has none."""
    if len(element):
        raise malformed()
    return element.text or ""


def optional_text(parent: Element, name: str) -> str | None:
    child = find_child(parent, name)
    return None if child is None else leaf_text(child)


def required_text(parent: Element, name: str) -> str:
    value = optional_text(parent, name)
    if value is None:
        raise malformed()
    return value


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    raise malformed()


def parse_int(text: str) -> int:
    value = text.strip()
    if not value.isascii() or not value.lstrip("-").isdigit():
        raise malformed()
    return int(value)


def unquote_etag(value: str) -> str:
    """ETags arrive quoted or not; Ferry passes them around unquoted."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


# ------------------------------------------------------------------------------- rendering

# Markup characters, carriage return (a literal one would be read back as a newline) and
# the characters XML 1.0 does not allow at all.
_NEEDS_ESCAPE = re.compile("[&<>\"'\x00-\x08\x0b-\x1f\ufffe\uffff]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}


def _escape_match(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"&#x{ord(char):X};"


def escape(value: str) -> str:
    """Escape text for element content; most keys need nothing, so that path is a search."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return _NEEDS_ESCAPE.sub(_escape_match, value)


def element(name: str, value: str) -> str:
    """`<name>value</name>` with `value` escaped."""
    return f"<{name}>{escape(value)}</{name}>"


def optional_element(name: str, value: str | None) -> str:
    """`element(name, value)`, or nothing when `value` is None."""
    return "" if value is None else f"<{name}>{escape(value)}</{name}>"


def optional_int_element(name: str, value: int | None) -> str:
    return "" if value is None else f"<{name}>{value}</{name}>"


def quoted_etag(etag: str) -> str:
    """An unquoted ETag as S3 writes it in XML: `&quot;hex&quot;`."""
    return f"&quot;{escape(etag)}&quot;"


def format_bool(value: bool) -> str:
    return "true" if value else "false"


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, `2009-10-12T17:50:30.000Z`, as S3 writes it."""
    if moment.tzinfo is not UTC:
        if moment.utcoffset() is None:
            raise ValueError("naive datetime; Ferry renders aware UTC datetimes only")
        moment = moment.astimezone(UTC)
    # %-formatting measured fastest (isoformat, strftime and f-strings are slower).
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond // 1000,
    )


def document(root: str, body: str, *, xmlns: bool = True) -> bytes:
    """The whole response: declaration, then `root` (with the S3 namespace) around `body`."""
    opening = f'<{root} xmlns="{XMLNS}"' if xmlns else f"<{root}"
    if not body:
        return f"{XML_DECLARATION}{opening}/>".encode()
    return f"{XML_DECLARATION}{opening}>{body}</{root}>".encode()
