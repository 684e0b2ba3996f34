"""User metadata values beyond US-ASCII, as S3 carries them in headers (RFC 2047).

AWS: "Values of such headers are character decoded as per RFC 2047 before storing and encoded
as per RFC 2047 to make them mail-safe before returning. If the string contains only US-ASCII
characters, it is presented as is." Header bytes arrive as latin-1 text (`api/http.py`): raw
UTF-8 bytes are read as UTF-8, anything else stays latin-1 (what http.client sends for `é`).
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re

# one encoded-word: =?charset?B|Q?text?=
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")


def decode_metadata_value(raw: str) -> str:
    """A header value as received (latin-1 text) → the Unicode string S3 stores."""
    try:
        text = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        text = raw
    if "=?" not in text:
        return text
    return _ENCODED_WORD.sub(_decode_word, _join_adjacent_words(text))


def _join_adjacent_words(text: str) -> str:
    """RFC 2047 §6.2: whitespace between two encoded-words is not part of the text."""
    return re.sub(r"(\?=)\s+(?==\?)", r"\1", text)


def _decode_word(match: re.Match[str]) -> str:
    charset, kind, payload = match.group(1), match.group(2).upper(), match.group(3)
    try:
        if kind == "B":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
        else:
            data = quopri.decodestring(payload.replace("_", " ").encode("ascii"), header=True)
        return data.decode(charset)
    except (binascii.Error, LookupError, UnicodeDecodeError, UnicodeEncodeError, ValueError):
        return match.group(0)  # not a word we can read: kept as sent


def encode_metadata_value(value: str) -> str:
    """The stored string → the header value S3 returns: as is when US-ASCII, else one
    `=?UTF-8?B?…?=` word."""
    if value.isascii():
        return value
    return f"=?UTF-8?B?{base64.b64encode(value.encode('utf-8')).decode('ascii')}?="
