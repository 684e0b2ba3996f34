"""`encoding-type=url`: how listings write names that XML 1.0 cannot carry."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import quote_plus

from ferry.protocol.xml._xml import escape


class EncodingType(StrEnum):
    URL = "url"


def encode_name(value: str, encoding_type: EncodingType | None) -> str:
    """A key, prefix, delimiter or marker as element text, URL-encoded when asked.

    S3 form-encodes (space as `+`), leaves `/` and `*` alone and encodes `~`; SDKs decode
    with `unquote_plus`. The encoded form is plain ASCII, so it needs no XML escaping.
    """
    if encoding_type is None:
        return escape(value)
    return quote_plus(value, safe="/*").replace("~", "%7E")
