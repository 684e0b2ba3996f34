from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from xml.etree.ElementTree import fromstring

import pytest

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml._xml import (
    XMLNS,
    document,
    element,
    escape,
    find_child,
    format_timestamp,
    leaf_text,
    parse_document,
    parse_int,
    unquote_etag,
)
from ferry.protocol.xml.checksums import Checksums
from ferry.protocol.xml.encoding import EncodingType, encode_name
from ferry.protocol.xml.owner import Owner, OwnerMemo


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain/key.txt", "plain/key.txt"),
        ("a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&apos;f"),
        ("]]>", "]]&gt;"),
        ("tab\tnew\nline", "tab\tnew\nline"),
        ("cr\r", "cr&#xD;"),
        ("\x00\x01\x08\x0b\x0c\x0e\x1f", "&#x0;&#x1;&#x8;&#xB;&#xC;&#xE;&#x1F;"),
        ("\x7f\x85é日本🪣", "\x7f\x85é日本🪣"),
        ("\ufffe\uffff", "&#xFFFE;&#xFFFF;"),
    ],
)
def test_escape_writes_what_xml_needs_and_character_references_for_the_rest(
    text: str, escaped: str
) -> None:
    assert escape(text) == escaped


def test_escaped_text_that_xml_1_0_allows_reads_back_identically() -> None:
    text = "a&b<c>d\"e'f]]>\t\n\r\n\x7fé🪣"
    assert fromstring(element("Key", text)).text == text


def test_document_puts_the_s3_namespace_on_the_root() -> None:
    assert (
        document("Root", "<A>1</A>")
        == (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Root xmlns="{XMLNS}"><A>1</A></Root>'
        ).encode()
    )
    assert document("Error", "", xmlns=False) == b'<?xml version="1.0" encoding="UTF-8"?>\n<Error/>'


def test_document_is_utf_8() -> None:
    assert document("R", element("K", "é")).endswith("<K>é</K></R>".encode())


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2009, 10, 12, 17, 50, 30, tzinfo=UTC), "2009-10-12T17:50:30.000Z"),
        (datetime(2009, 10, 12, 17, 50, 30, 999999, tzinfo=UTC), "2009-10-12T17:50:30.999Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000Z"),
        (
            datetime(2024, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
            "2023-12-31T23:30:00.000Z",
        ),
        (datetime(2024, 6, 1, tzinfo=UTC), "2024-06-01T00:00:00.000Z"),
    ],
)
def test_timestamps_are_iso_8601_utc_with_milliseconds(moment: datetime, text: str) -> None:
    assert format_timestamp(moment) == text


def test_parse_document_ignores_namespaces_and_finds_children_in_any_order() -> None:
    root = parse_document(b'<R xmlns="urn:other"><B>2</B><A>1</A></R>', "R")
    a, b = find_child(root, "A"), find_child(root, "B")
    assert a is not None and b is not None
    assert (leaf_text(a), leaf_text(b)) == ("1", "2")
    assert find_child(root, "C") is None


def test_repeated_single_child_is_malformed() -> None:
    root = parse_document(b"<R><A/><A/></R>", "R")
    with pytest.raises(S3Error) as caught:
        find_child(root, "A")
    assert caught.value.code is S3ErrorCode.MalformedXML


@pytest.mark.parametrize("text", ["", "-", "1e3", "0x10", "١٢", "+1", " 1 2 "])
def test_parse_int_accepts_only_ascii_decimal(text: str) -> None:
    with pytest.raises(S3Error):
        parse_int(text)


def test_parse_int_tolerates_surrounding_whitespace_and_signs() -> None:
    assert (parse_int(" 42\n"), parse_int("-7")) == (42, -7)


@pytest.mark.parametrize(
    ("raw", "etag"), [('"abc"', "abc"), ("abc", "abc"), (' "abc-2" ', "abc-2"), ('"', '"')]
)
def test_etags_are_unquoted(raw: str, etag: str) -> None:
    assert unquote_etag(raw) == etag


def test_url_encoding_is_form_encoding_keeping_slash_and_star() -> None:
    assert encode_name("a b+c/d*e~f&g<h", EncodingType.URL) == "a+b%2Bc/d*e%7Ef%26g%3Ch"
    assert encode_name("a b&c", None) == "a b&amp;c"


def test_owner_memo_renders_each_run_of_equal_owners_once() -> None:
    memo = OwnerMemo("Initiator")
    first = memo.render(Owner(id="a"))
    assert first == "<Initiator><ID>a</ID></Initiator>"
    assert memo.render(Owner(id="a")) is first
    assert memo.render(None) == ""
    assert memo.render(Owner(id="b", display_name="B")) == (
        "<Initiator><ID>b</ID><DisplayName>B</DisplayName></Initiator>"
    )


def test_checksums_know_when_they_are_empty() -> None:
    assert Checksums().is_empty
    assert not Checksums(xxhash128="x").is_empty
