"""RFC 2047 user metadata values: decoded before storing, encoded when returned (AWS)."""

from __future__ import annotations

import pytest

from ferry.protocol.mime_words import decode_metadata_value, encode_metadata_value


@pytest.mark.parametrize(
    ("received", "stored"),
    [
        ("plain ascii", "plain ascii"),
        ("café".encode().decode("latin-1"), "café"),  # raw UTF-8 bytes on the wire
        ("caf\xe9", "café"),  # latin-1 bytes (http.client's encoding of a str)
        ("=?UTF-8?B?Y2Fmw6k=?=", "café"),
        ("=?utf-8?q?caf=C3=A9_au_lait?=", "café au lait"),
        ("=?UTF-8?B?5Lit?= =?UTF-8?B?5paH?=", "中文"),  # adjacent words join
        ("a =?ISO-8859-1?Q?=E9?= b", "a é b"),
        ("=?x-unknown?B?AAAA?=", "=?x-unknown?B?AAAA?="),  # unreadable: kept as sent
        ("=?UTF-8?B?not base64!?=", "=?UTF-8?B?not base64!?="),
    ],
)
def test_received_values_are_stored_decoded(received: str, stored: str) -> None:
    assert decode_metadata_value(received) == stored


def test_ascii_is_returned_as_is_and_the_rest_as_one_utf8_b_word() -> None:
    assert encode_metadata_value("blue") == "blue"
    assert encode_metadata_value("café") == "=?UTF-8?B?Y2Fmw6k=?="
    assert decode_metadata_value(encode_metadata_value("中文 ✓")) == "中文 ✓"
