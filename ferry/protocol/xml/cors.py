"""CORSConfiguration, for Put/GetBucketCors, validated as S3 validates it."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml._xml import (
    children,
    document,
    escape,
    leaf_text,
    malformed,
    optional_text,
    parse_document,
    parse_int,
)

CORS_METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")
MAX_CORS_RULES = 100
MAX_RULE_ID_CHARS = 255


@dataclass(frozen=True, slots=True, kw_only=True)
class CorsRule:
    id: str | None = None
    allowed_methods: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CorsConfiguration:
    rules: tuple[CorsRule, ...]


def parse_cors_configuration(body: bytes) -> CorsConfiguration:
    root = parse_document(body, "CORSConfiguration")
    rules = tuple(_parse_rule(rule) for rule in children(root, "CORSRule"))
    if not rules or len(rules) > MAX_CORS_RULES:
        raise malformed()
    return CorsConfiguration(rules=rules)


def _parse_rule(rule: Element) -> CorsRule:
    def texts(name: str) -> tuple[str, ...]:
        return tuple(leaf_text(e).strip() for e in children(rule, name))

    methods, origins = texts("AllowedMethod"), texts("AllowedOrigin")
    headers, expose = texts("AllowedHeader"), texts("ExposeHeader")
    if not methods or not origins:
        raise malformed()
    for method in methods:
        if method not in CORS_METHODS:
            raise _invalid(
                f"Found unsupported HTTP method in CORS config. Unsupported method is {method}"
            )
    for name, values in (("AllowedOrigin", origins), ("AllowedHeader", headers)):
        for value in values:
            if value.count("*") > 1:
                raise _invalid(f'{name} "{value}" can not have more than one wildcard.')
    for value in expose:
        if "*" in value:
            raise _invalid(
                f'ExposeHeader "{value}" contains wildcard. We currently do not support '
                "wildcard for ExposeHeader."
            )
    rule_id = optional_text(rule, "ID")
    if rule_id is not None and len(rule_id) > MAX_RULE_ID_CHARS:
        raise _invalid("The ID of a CORSRule must be at most 255 characters long.")
    max_age = optional_text(rule, "MaxAgeSeconds")
    return CorsRule(
        id=rule_id,
        allowed_methods=methods,
        allowed_origins=origins,
        allowed_headers=headers,
        expose_headers=expose,
        max_age_seconds=parse_int(max_age) if max_age is not None else None,
    )


def _invalid(message: str) -> S3Error:
    return S3Error(S3ErrorCode.InvalidRequest, message)


def render_cors_configuration(config: CorsConfiguration) -> bytes:
    return document("CORSConfiguration", "".join(_render_rule(r) for r in config.rules))


def _render_rule(rule: CorsRule) -> str:
    parts = [f"<ID>{escape(rule.id)}</ID>"] if rule.id is not None else []
    for name, values in (
        ("AllowedHeader", rule.allowed_headers),
        ("AllowedMethod", rule.allowed_methods),
        ("AllowedOrigin", rule.allowed_origins),
        ("ExposeHeader", rule.expose_headers),
    ):
        parts.extend(f"<{name}>{escape(v)}</{name}>" for v in values)
    if rule.max_age_seconds is not None:
        parts.append(f"<MaxAgeSeconds>{rule.max_age_seconds}</MaxAgeSeconds>")
    return f"<CORSRule>{''.join(parts)}</CORSRule>"
