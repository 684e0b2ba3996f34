"""OwnershipControls, for Put/GetBucketOwnershipControls (one rule, one ObjectOwnership)."""

from __future__ import annotations

from ferry.protocol.xml._xml import children, document, malformed, parse_document, required_text

OBJECT_OWNERSHIPS = ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter")


def parse_ownership_controls(body: bytes) -> str:
    """The ObjectOwnership value; anything else (no rule, two rules, another value) is
    MalformedXML, as AWS answers."""
    root = parse_document(body, "OwnershipControls")
    rules = children(root, "Rule")
    if len(rules) != 1:
        raise malformed()
    value = required_text(rules[0], "ObjectOwnership")
    if value not in OBJECT_OWNERSHIPS:
        raise malformed()
    return value


def render_ownership_controls(value: str) -> bytes:
    return document("OwnershipControls", f"<Rule><ObjectOwnership>{value}</ObjectOwnership></Rule>")
