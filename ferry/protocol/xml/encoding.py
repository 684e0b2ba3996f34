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


def name_element(tag: str, value: str | None, encoding_type: EncodingType | None) -> str:
    """`<tag>name</tag>` with `name` encoded as above; nothing when `value` is None."""
    return "" if value is None else f"<{tag}>{encode_name(value, encoding_type)}</{tag}>"


def encoding_type_element(encoding_type: EncodingType | None) -> str:
    """`<EncodingType>url</EncodingType>`, echoed only when the request asked for it."""
    return "" if encoding_type is None else f"<EncodingType>{encoding_type.value}</EncodingType>"


def render_common_prefixes(prefixes: tuple[str, ...], encoding_type: EncodingType | None) -> str:
    """One `<CommonPrefixes><Prefix/></CommonPrefixes>` per rolled-up prefix."""
    return "".join(
        f"<CommonPrefixes><Prefix>{encode_name(prefix, encoding_type)}</Prefix></CommonPrefixes>"
        for prefix in prefixes
    )
