"""Validation of IAM request parameters against botocore's `iam` service model: names,
paths, descriptions, documents, paging. A violation is AWS's `ValidationError`, worded as
AWS words it:

    1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint:
    Member must satisfy regular expression pattern: [\\w+=,.@-]+
"""

from __future__ import annotations

import re

from ferry.control.iam_errors import IamValidationError

NAME_PATTERN = r"[\w+=,.@-]+"
PATH_PATTERN = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"
DOCUMENT_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"
DESCRIPTION_PATTERN = r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*"
ACCESS_KEY_ID_PATTERN = r"[\w]+"

USER_NAME_MAX = 64
ROLE_NAME_MAX = 64
POLICY_NAME_MAX = 128
PATH_MAX = 512
DOCUMENT_MAX = 131072
DESCRIPTION_MAX = 1000
POLICY_DESCRIPTION_MAX = 1000
MIN_SESSION_S = 3600
MAX_SESSION_S = 43200
MAX_ITEMS_LIMIT = 1000
DEFAULT_MAX_ITEMS = 100
DEFAULT_PATH = "/"


def _failure(value: str, field: str, constraint: str) -> IamValidationError:
    return IamValidationError(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


def check_text(
    value: str, field: str, *, pattern: str, max_length: int, min_length: int = 1
) -> str:
    """`value` as given, if it has the length and matches the pattern botocore declares."""
    if len(value) < min_length:
        raise _failure(
            value, field, f"Member must have length greater than or equal to {min_length}"
        )
    if len(value) > max_length:
        raise _failure(value, field, f"Member must have length less than or equal to {max_length}")
    # AWS's patterns are ASCII (\w is [A-Za-z0-9_] there, unlike Python's Unicode \w); so IAM
    # names compare the same case-insensitively on SQLite (ASCII NOCASE) and PostgreSQL.
    if re.fullmatch(pattern, value, flags=re.ASCII) is None:
        raise _failure(value, field, f"Member must satisfy regular expression pattern: {pattern}")
    return value


def user_name(value: str, field: str = "userName") -> str:
    return check_text(value, field, pattern=NAME_PATTERN, max_length=USER_NAME_MAX)


def role_name(value: str, field: str = "roleName") -> str:
    return check_text(value, field, pattern=NAME_PATTERN, max_length=ROLE_NAME_MAX)


def policy_name(value: str, field: str = "policyName") -> str:
    return check_text(value, field, pattern=NAME_PATTERN, max_length=POLICY_NAME_MAX)


def path(value: str | None, field: str = "path") -> str:
    if value is None:
        return DEFAULT_PATH
    return check_text(value, field, pattern=PATH_PATTERN, max_length=PATH_MAX)


def path_prefix(value: str | None, field: str = "pathPrefix") -> str:
    if value is None:
        return DEFAULT_PATH
    return check_text(value, field, pattern=r"\u002F[\u0021-\u007F]*", max_length=PATH_MAX)


def document(value: str, field: str = "policyDocument") -> str:
    return check_text(value, field, pattern=DOCUMENT_PATTERN, max_length=DOCUMENT_MAX)


def description(value: str | None, field: str = "description") -> str | None:
    if value is None:
        return None
    return check_text(
        value, field, pattern=DESCRIPTION_PATTERN, max_length=DESCRIPTION_MAX, min_length=0
    )


def access_key_id(value: str, field: str = "accessKeyId") -> str:
    return check_text(value, field, pattern=ACCESS_KEY_ID_PATTERN, max_length=128, min_length=16)


def max_session_duration(value: str | None) -> int:
    if value is None:
        return MIN_SESSION_S
    seconds = _integer(value, "maxSessionDuration")
    if seconds < MIN_SESSION_S:
        raise _failure(
            value,
            "maxSessionDuration",
            f"Member must have value greater than or equal to {MIN_SESSION_S}",
        )
    if seconds > MAX_SESSION_S:
        raise _failure(
            value,
            "maxSessionDuration",
            f"Member must have value less than or equal to {MAX_SESSION_S}",
        )
    return seconds


def max_items(value: str | None) -> int:
    if value is None:
        return DEFAULT_MAX_ITEMS
    items = _integer(value, "maxItems")
    if items < 1:
        raise _failure(value, "maxItems", "Member must have value greater than or equal to 1")
    if items > MAX_ITEMS_LIMIT:
        raise _failure(
            value, "maxItems", f"Member must have value less than or equal to {MAX_ITEMS_LIMIT}"
        )
    return items


def _integer(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise _failure(value, field, "Member must be an integer") from exc
