"""POST policies of browser-based uploads: the base64 JSON document, and checking a form's
fields against it (AWS "Creating a POST policy").

A policy is `{"expiration": ISO 8601 UTC, "conditions": [...]}`; a condition is an exact match
(`{"field": "value"}` or `["eq", "$field", "value"]`), a prefix (`["starts-with", "$field",
"prefix"]`) or `["content-length-range", min, max]`. Field names are case-insensitive. Every
form field but the signature, the file, the policy and `x-ignore-*` must be named by a
condition, and `bucket` always must be. Pure: no I/O, the caller passes "now".
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ferry.protocol.errors import S3Error, S3ErrorCode

_C = S3ErrorCode
_EXPIRATION = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
# Fields a policy need not (and cannot usefully) name.
UNCONDITIONED = frozenset({"x-amz-signature", "signature", "file", "policy", "awsaccesskeyid"})
IGNORED_PREFIX = "x-ignore-"
# Checksums of the file only narrow what may be written: no condition need name them.
CHECKSUM_PREFIX = "x-amz-checksum-"


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """`operator` is `eq` or `starts-with`; `field` is lower-case, without its `$`."""

    operator: str
    field: str
    value: str
    text: str  # as AWS quotes it in "Policy Condition failed: ..."

    def holds(self, fields: Mapping[str, str]) -> bool:
        sent = fields.get(self.field, "")
        if self.operator == "eq":
            return sent == self.value
        if self.field == "content-type":  # a comma-separated list: each must match
            return all(part.strip().startswith(self.value) for part in sent.split(","))
        return sent.startswith(self.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class PostPolicy:
    expiration: datetime
    conditions: tuple[Condition, ...]
    min_length: int = 0
    max_length: int | None = None  # None: no content-length-range


def _invalid(detail: str) -> S3Error:
    return S3Error(_C.InvalidPolicyDocument, f"Invalid Policy: {detail}")


def parse_policy(encoded: str) -> PostPolicy:
    """The `policy` form field, base64 of the JSON document."""
    try:
        document = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _invalid("Invalid JSON.") from exc
    if not isinstance(document, dict):
        raise _invalid("Invalid JSON.")
    if "expiration" not in document:
        raise _invalid("Policy missing expiration.")
    if "conditions" not in document:
        raise _invalid("Policy missing conditions.")
    expiration = document["expiration"]
    if not isinstance(expiration, str) or not _EXPIRATION.match(expiration):
        raise _invalid(f"Invalid 'expiration' value: '{expiration}'")
    raw = document["conditions"]
    if not isinstance(raw, list):
        raise _invalid("Invalid 'conditions' value: must be a list.")
    conditions: list[Condition] = []
    lengths: list[tuple[int, int]] = []
    for item in raw:
        if isinstance(item, list) and item and str(item[0]).lower() == "content-length-range":
            lengths.append(_length_range(item))
        else:
            conditions.append(_condition(item))
    moment = datetime.fromisoformat(expiration.replace("Z", "+00:00")).astimezone(UTC)
    low, high = lengths[-1] if lengths else (0, None)
    return PostPolicy(
        expiration=moment, conditions=tuple(conditions), min_length=low, max_length=high
    )


def _quoted(item: object) -> str:
    return json.dumps(item, separators=(", ", ": "))


def _condition(item: object) -> Condition:
    if isinstance(item, dict):
        if len(item) != 1:
            raise _invalid(
                "Invalid Simple-Condition: Simple-Conditions must have exactly one property "
                "specified."
            )
        ((name, value),) = item.items()
        if not isinstance(value, str):
            raise _invalid(f"Invalid Simple-Condition: value of '{name}' must be a string.")
        field = name.lower().removeprefix("$")
        text = _quoted(["eq", f"${name}", value])
        return Condition(operator="eq", field=field, value=value, text=text)
    if not isinstance(item, list) or len(item) != 3:
        raise _invalid(f"Invalid Condition: {_quoted(item)}")
    operator, name, value = item
    if not isinstance(operator, str) or operator.lower() not in ("eq", "starts-with"):
        raise _invalid(f"Invalid Condition: unknown operation '{operator}'")
    if not isinstance(name, str) or not name.startswith("$") or not isinstance(value, str):
        raise _invalid(f"Invalid Condition: {_quoted(item)}")
    return Condition(
        operator=operator.lower(), field=name[1:].lower(), value=value, text=_quoted(item)
    )


def _length_range(item: list[object]) -> tuple[int, int]:
    if len(item) != 3:
        raise _invalid("Invalid content-length-range: expecting a minimum and a maximum.")
    low, high = item[1], item[2]
    if not isinstance(low, int) or not isinstance(high, int) or isinstance(low, bool):
        raise _invalid("Invalid content-length-range: the bounds must be integers.")
    if low < 0 or high < low:
        raise _invalid("Invalid content-length-range: the bounds are out of order.")
    return low, high


def check_fields(policy: PostPolicy, fields: Mapping[str, str], now: datetime) -> None:
    """`fields`: lower-case name → value, `bucket` included (the bucket the URL names).
    Raises AWS's AccessDenied "Invalid according to Policy: ..." on any mismatch."""
    if now >= policy.expiration:
        raise _denied("Policy expired.")
    for condition in policy.conditions:
        if not condition.holds(fields):
            raise _denied(f"Policy Condition failed: {condition.text}")
    named = {condition.field for condition in policy.conditions}
    if "bucket" not in named:
        raise _denied(f'Policy Condition failed: ["eq", "$bucket", "{fields.get("bucket", "")}"]')
    extra = [
        name
        for name in fields
        if name not in named
        and name not in UNCONDITIONED
        and not name.startswith((IGNORED_PREFIX, CHECKSUM_PREFIX))
    ]
    if extra:
        raise _denied("Extra input fields: " + ", ".join(extra))


def _denied(detail: str) -> S3Error:
    return S3Error(_C.AccessDenied, f"Invalid according to Policy: {detail}")


def check_length(policy: PostPolicy | None, size: int, *, final: bool) -> None:
    """content-length-range against the bytes received so far (`final`: all of them)."""
    if policy is None or policy.max_length is None:
        return
    if size > policy.max_length:
        raise S3Error(_C.EntityTooLarge, ProposedSize=size, MaxSizeAllowed=policy.max_length)
    if final and size < policy.min_length:
        raise S3Error(_C.EntityTooSmall, ProposedSize=size, MinSizeAllowed=policy.min_length)
