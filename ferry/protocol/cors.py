"""CORS evaluation, pure: which rule of a bucket's CORSConfiguration answers a request from a
browser, and the `Access-Control-*` headers it earns (S3 User Guide, "How does Amazon S3
evaluate the CORS configuration on a bucket?": the first rule whose AllowedOrigin matches the
Origin, whose AllowedMethod holds the (requested) method and, for a preflight, whose
AllowedHeader entries cover every requested header)."""

from __future__ import annotations

from collections.abc import Sequence

from ferry.protocol.xml.cors import CorsConfiguration, CorsRule

VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


def _wildcard_match(pattern: str, value: str) -> bool:
    """One `*` at most (PutBucketCors refuses more), matching any run of characters."""
    head, star, tail = pattern.partition("*")
    if not star:
        return pattern == value
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def matching_rule(
    config: CorsConfiguration, origin: str, method: str, headers: Sequence[str] = ()
) -> CorsRule | None:
    for rule in config.rules:
        if method not in rule.allowed_methods:
            continue
        if not any(_wildcard_match(o, origin) for o in rule.allowed_origins):
            continue
        allowed = [h.lower() for h in rule.allowed_headers]
        if all(any(_wildcard_match(a, h.lower()) for a in allowed) for h in headers):
            return rule
    return None


def requested_headers(value: str | None) -> list[str]:
    """The `Access-Control-Request-Headers` list."""
    return [h.strip() for h in (value or "").split(",") if h.strip()]


def response_headers(
    rule: CorsRule, origin: str, *, preflight_headers: Sequence[str] | None = None
) -> list[tuple[str, str]]:
    """The headers a matching rule adds (to a preflight's answer when `preflight_headers`
    is given: the headers the browser asked to send)."""
    any_origin = "*" in rule.allowed_origins
    headers = [("access-control-allow-origin", "*" if any_origin else origin)]
    headers.append(("access-control-allow-methods", ", ".join(rule.allowed_methods)))
    if not any_origin:
        headers.append(("access-control-allow-credentials", "true"))
    if preflight_headers:
        headers.append(("access-control-allow-headers", ", ".join(preflight_headers)))
    if rule.expose_headers:
        headers.append(("access-control-expose-headers", ", ".join(rule.expose_headers)))
    if rule.max_age_seconds is not None:
        headers.append(("access-control-max-age", str(rule.max_age_seconds)))
    headers.append(("vary", VARY))
    return headers
