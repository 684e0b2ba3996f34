"""Condition operators: does one `Condition` hold for a request's context?

AWS's rules ("IAM JSON policy elements: Condition operators" and "Multivalued context keys"):
- a context key is single- or multi-valued; the context maps lower-cased keys to a tuple of
  values, and an absent key is simply missing from the mapping;
- several values in the policy are OR-ed; several keys and operators in a block are AND-ed
  (by the caller, `evaluate.py`);
- a missing key makes the condition false, except: `...IfExists` (true), the negated
  operators (`StringNotEquals`, `NotIpAddress`, …: true, nothing matched), `ForAllValues:`
  (true, vacuously) and `Null` (which tests exactly that);
- without a set qualifier a multi-valued key behaves like `ForAnyValue:`;
- a value that does not parse as the operator's type (a date, a number, an address) never
  matches.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from ferry.control.policy.model import Condition, SetQualifier
from ferry.control.policy.wildcards import matches_arn, matches_wildcard

Context = Mapping[str, tuple[str, ...]]
Comparator = Callable[[str, str], bool]  # (context value, policy value) → matches


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    try:
        if re.fullmatch(r"-?\d+", text):
            return datetime.fromtimestamp(int(text), UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _numeric(compare: Callable[[float, float], bool]) -> Comparator:
    def comparator(value: str, policy_value: str) -> bool:
        left, right = _number(value), _number(policy_value)
        return left is not None and right is not None and compare(left, right)

    return comparator


def _dated(compare: Callable[[datetime, datetime], bool]) -> Comparator:
    def comparator(value: str, policy_value: str) -> bool:
        left, right = _date(value), _date(policy_value)
        return left is not None and right is not None and compare(left, right)

    return comparator


def _in_network(value: str, policy_value: str) -> bool:
    try:
        address = ipaddress.ip_address(value)
        network = ipaddress.ip_network(policy_value, strict=False)
    except ValueError:
        return False
    return address.version == network.version and address in network


def _equal(value: str, policy_value: str) -> bool:
    return value == policy_value


def _equal_ignore_case(value: str, policy_value: str) -> bool:
    return value.casefold() == policy_value.casefold()


def _like(value: str, policy_value: str) -> bool:
    return matches_wildcard(policy_value, value)


def _bool(value: str, policy_value: str) -> bool:
    return value.lower() == policy_value.lower()


def _arn(value: str, policy_value: str) -> bool:
    return matches_arn(policy_value, value)


# operator → (the positive comparison, whether the operator negates it)
OPERATORS: dict[str, tuple[Comparator, bool]] = {
    "StringEquals": (_equal, False),
    "StringNotEquals": (_equal, True),
    "StringEqualsIgnoreCase": (_equal_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_equal_ignore_case, True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "NumericEquals": (_numeric(lambda a, b: a == b), False),
    "NumericNotEquals": (_numeric(lambda a, b: a == b), True),
    "NumericLessThan": (_numeric(lambda a, b: a < b), False),
    "NumericLessThanEquals": (_numeric(lambda a, b: a <= b), False),
    "NumericGreaterThan": (_numeric(lambda a, b: a > b), False),
    "NumericGreaterThanEquals": (_numeric(lambda a, b: a >= b), False),
    "DateEquals": (_dated(lambda a, b: a == b), False),
    "DateNotEquals": (_dated(lambda a, b: a == b), True),
    "DateLessThan": (_dated(lambda a, b: a < b), False),
    "DateLessThanEquals": (_dated(lambda a, b: a <= b), False),
    "DateGreaterThan": (_dated(lambda a, b: a > b), False),
    "DateGreaterThanEquals": (_dated(lambda a, b: a >= b), False),
    "Bool": (_bool, False),
    "BinaryEquals": (_equal, False),
    "IpAddress": (_in_network, False),
    "NotIpAddress": (_in_network, True),
    "ArnEquals": (_arn, False),
    "ArnLike": (_arn, False),
    "ArnNotEquals": (_arn, True),
    "ArnNotLike": (_arn, True),
}


def condition_holds(condition: Condition, context: Context) -> bool:
    values = context.get(condition.key, ())
    if condition.operator == "Null":
        # "true": the key must be absent; "false": present.
        wants_absent = any(value.lower() == "true" for value in condition.values)
        return (not values) == wants_absent
    comparator, negated = OPERATORS[condition.operator]
    if not values:
        return condition.if_exists or negated or condition.qualifier is SetQualifier.FOR_ALL_VALUES

    def matches(value: str) -> bool:
        hit = any(comparator(value, policy_value) for policy_value in condition.values)
        return not hit if negated else hit

    if condition.qualifier is SetQualifier.FOR_ALL_VALUES:
        return all(matches(value) for value in values)
    if negated and condition.qualifier is None:
        # A negated operator on a plain key: no context value may match any policy value.
        return all(matches(value) for value in values)
    return any(matches(value) for value in values)
