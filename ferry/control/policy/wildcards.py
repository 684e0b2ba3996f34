"""Policy wildcards: `*` matches any run of characters, `?` exactly one (actions, resources,
StringLike and ArnLike values)."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def wildcard_pattern(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """`*` matches any run of characters, `?` exactly one; everything else is literal."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches_wildcard(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return wildcard_pattern(pattern, ignore_case=ignore_case).fullmatch(value) is not None


def matches_arn(pattern: str, value: str) -> bool:
    """ArnLike: the six colon-separated parts match one by one, each with wildcards (so a `*`
    never spans a colon of the first five parts, as in AWS)."""
    pattern_parts = pattern.split(":", 5)
    value_parts = value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return False
    return all(map(matches_wildcard, pattern_parts, value_parts))
