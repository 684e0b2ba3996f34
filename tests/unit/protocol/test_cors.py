"""CORS configurations: the codec's validation and the rule matching (protocol/cors.py)."""

from __future__ import annotations

import pytest

from ferry.protocol.cors import matching_rule, requested_headers, response_headers
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.cors import parse_cors_configuration, render_cors_configuration

DOCUMENT = (
    b'<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    b"<CORSRule><ID>app</ID><AllowedHeader>x-amz-*</AllowedHeader>"
    b"<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>"
    b"<AllowedOrigin>https://*.example.com</AllowedOrigin><ExposeHeader>ETag</ExposeHeader>"
    b"<MaxAgeSeconds>60</MaxAgeSeconds></CORSRule>"
    b"<CORSRule><AllowedMethod>HEAD</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule>"
    b"</CORSConfiguration>"
)


def rule(body: str) -> bytes:
    return f"<CORSConfiguration><CORSRule>{body}</CORSRule></CORSConfiguration>".encode()


def test_round_trip_is_byte_for_byte() -> None:
    config = parse_cors_configuration(DOCUMENT)
    assert render_cors_configuration(config).endswith(DOCUMENT)


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (rule("<AllowedOrigin>*</AllowedOrigin>"), S3ErrorCode.MalformedXML, None),
        (rule("<AllowedMethod>GET</AllowedMethod>"), S3ErrorCode.MalformedXML, None),
        (b"<CORSConfiguration/>", S3ErrorCode.MalformedXML, None),
        (
            rule("<AllowedMethod>PATCH</AllowedMethod><AllowedOrigin>*</AllowedOrigin>"),
            S3ErrorCode.InvalidRequest,
            "Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
        ),
        (
            rule("<AllowedMethod>GET</AllowedMethod><AllowedOrigin>*.*</AllowedOrigin>"),
            S3ErrorCode.InvalidRequest,
            'AllowedOrigin "*.*" can not have more than one wildcard.',
        ),
        (
            rule(
                "<AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin>"
                "<AllowedHeader>x-*-*</AllowedHeader>"
            ),
            S3ErrorCode.InvalidRequest,
            'AllowedHeader "x-*-*" can not have more than one wildcard.',
        ),
        (
            rule(
                "<AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin>"
                "<ExposeHeader>*</ExposeHeader>"
            ),
            S3ErrorCode.InvalidRequest,
            None,
        ),
        (
            rule(
                f"<ID>{'i' * 256}</ID>"
                "<AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin>"
            ),
            S3ErrorCode.InvalidRequest,
            None,
        ),
        (
            rule(
                "<AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin>"
                "<MaxAgeSeconds>soon</MaxAgeSeconds>"
            ),
            S3ErrorCode.MalformedXML,
            None,
        ),
    ],
)
def test_invalid_configurations(body: bytes, code: S3ErrorCode, message: str | None) -> None:
    with pytest.raises(S3Error) as refused:
        parse_cors_configuration(body)
    assert refused.value.code is code
    if message is not None:
        assert refused.value.message == message


def test_the_first_rule_matching_origin_method_and_headers_answers() -> None:
    config = parse_cors_configuration(DOCUMENT)
    first = matching_rule(config, "https://app.example.com", "PUT", ["X-Amz-Meta-A"])
    assert first is not None and first.id == "app"
    assert matching_rule(config, "https://app.example.com", "PUT", ["authorization"]) is None
    assert matching_rule(config, "https://example.org", "GET") is None
    assert matching_rule(config, "https://.example.com", "DELETE") is None
    anyone = matching_rule(config, "https://example.org", "HEAD")
    assert anyone is not None and anyone.id is None
    assert matching_rule(config, "http://app.example.com", "GET") is None  # scheme counts


def test_response_headers() -> None:
    config = parse_cors_configuration(DOCUMENT)
    first, anyone = config.rules
    headers = dict(response_headers(first, "https://a.example.com", preflight_headers=["x-amz-a"]))
    assert headers["access-control-allow-origin"] == "https://a.example.com"
    assert headers["access-control-allow-methods"] == "GET, PUT"
    assert headers["access-control-allow-headers"] == "x-amz-a"
    assert headers["access-control-expose-headers"] == "ETag"
    assert headers["access-control-max-age"] == "60"
    assert headers["access-control-allow-credentials"] == "true"
    assert "Origin" in headers["vary"]
    star = dict(response_headers(anyone, "https://x.test"))
    assert star["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in star
    assert "access-control-allow-headers" not in star


def test_requested_headers_are_split_and_trimmed() -> None:
    assert requested_headers(" Content-Type ,x-amz-date,, ") == ["Content-Type", "x-amz-date"]
    assert requested_headers(None) == []
