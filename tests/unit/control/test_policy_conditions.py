from __future__ import annotations

import pytest

from ferry.control.policy import Condition, SetQualifier, condition_holds
from ferry.control.policy.wildcards import matches_arn, matches_wildcard


def cond(
    operator: str,
    *values: str,
    key: str = "k:k",
    qualifier: SetQualifier | None = None,
    if_exists: bool = False,
) -> Condition:
    return Condition(
        operator=operator, qualifier=qualifier, if_exists=if_exists, key=key, values=values
    )


def holds(condition: Condition, *context_values: str) -> bool:
    context = {condition.key: context_values} if context_values else {}
    return condition_holds(condition, context)


@pytest.mark.parametrize(
    ("operator", "policy_values", "value", "expected"),
    [
        ("StringEquals", ("abc",), "abc", True),
        ("StringEquals", ("abc",), "ABC", False),
        ("StringEquals", ("x", "abc"), "abc", True),  # several policy values: OR
        ("StringNotEquals", ("abc",), "abc", False),
        ("StringNotEquals", ("abc", "x"), "y", True),
        ("StringEqualsIgnoreCase", ("abc",), "ABC", True),
        ("StringNotEqualsIgnoreCase", ("abc",), "ABC", False),
        ("StringLike", ("home/*",), "home/alice/x", True),
        ("StringLike", ("home/?",), "home/ab", False),
        ("StringLike", ("a.c",), "abc", False),  # regex characters are literal
        ("StringNotLike", ("home/*",), "other", True),
        ("NumericEquals", ("10",), "10.0", True),
        ("NumericNotEquals", ("10",), "11", True),
        ("NumericLessThan", ("10",), "9", True),
        ("NumericLessThan", ("10",), "10", False),
        ("NumericLessThanEquals", ("10",), "10", True),
        ("NumericGreaterThan", ("10",), "11", True),
        ("NumericGreaterThanEquals", ("10",), "9", False),
        ("NumericEquals", ("10",), "ten", False),  # unparsable never matches
        ("DateEquals", ("2026-01-01T00:00:00Z",), "1767225600", True),
        ("DateNotEquals", ("2026-01-01T00:00:00Z",), "2026-01-02T00:00:00Z", True),
        ("DateLessThan", ("2026-01-01T00:00:00Z",), "2025-12-31T23:59:59Z", True),
        ("DateLessThanEquals", ("2026-01-01T00:00:00Z",), "2026-01-01T00:00:00+00:00", True),
        ("DateGreaterThan", ("2026-01-01T00:00:00Z",), "2026-01-01T00:00:01Z", True),
        ("DateGreaterThanEquals", ("2026-01-01T00:00:00Z",), "2025-01-01T00:00:00Z", False),
        ("DateEquals", ("2026-01-01",), "yesterday", False),
        ("Bool", ("true",), "true", True),
        ("Bool", ("true",), "false", False),
        ("Bool", ("TRUE",), "true", True),
        ("BinaryEquals", ("QmluYXJ5",), "QmluYXJ5", True),
        ("IpAddress", ("192.0.2.0/24",), "192.0.2.77", True),
        ("IpAddress", ("192.0.2.0/24",), "198.51.100.1", False),
        ("IpAddress", ("127.0.0.1",), "127.0.0.1", True),
        ("IpAddress", ("2001:db8::/32",), "2001:db8::1", True),
        ("IpAddress", ("2001:db8::/32",), "192.0.2.1", False),
        ("IpAddress", ("not-a-network",), "192.0.2.1", False),
        ("NotIpAddress", ("192.0.2.0/24",), "198.51.100.1", True),
        ("NotIpAddress", ("192.0.2.0/24",), "192.0.2.1", False),
        ("ArnEquals", ("arn:aws:iam::111122223333:user/alice",),
         "arn:aws:iam::111122223333:user/alice", True),
        ("ArnLike", ("arn:aws:iam::*:user/*",), "arn:aws:iam::111122223333:user/alice", True),
        ("ArnLike", ("arn:aws:iam::*",), "arn:aws:iam::111122223333:user/alice", False),
        ("ArnLike", ("arn:aws:iam::*:role/*",), "not-an-arn", False),
        ("ArnNotEquals", ("arn:aws:iam::1:user/a",), "arn:aws:iam::1:user/b", True),
        ("ArnNotLike", ("arn:aws:iam::*:user/*",), "arn:aws:iam::1:user/b", False),
    ],
)  # fmt: skip
def test_operator_compares_the_context_value(
    operator: str, policy_values: tuple[str, ...], value: str, expected: bool
) -> None:
    assert holds(cond(operator, *policy_values), value) is expected


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", False),
        ("StringLike", False),
        ("IpAddress", False),
        ("Bool", False),
        ("StringNotEquals", True),
        ("StringNotLike", True),
        ("NotIpAddress", True),
        ("ArnNotLike", True),
    ],
)
def test_a_missing_key_fails_positive_operators_and_passes_negated_ones(
    operator: str, expected: bool
) -> None:
    assert holds(cond(operator, "x")) is expected


def test_if_exists_passes_when_the_key_is_missing_and_compares_when_present() -> None:
    condition = cond("StringEquals", "x", if_exists=True)
    assert holds(condition)
    assert holds(condition, "x")
    assert not holds(condition, "y")


def test_null_tests_presence() -> None:
    assert holds(cond("Null", "true"))
    assert not holds(cond("Null", "true"), "v")
    assert holds(cond("Null", "false"), "v")
    assert not holds(cond("Null", "false"))


def test_for_any_value_needs_one_matching_context_value() -> None:
    condition = cond("StringEquals", "a", "b", qualifier=SetQualifier.FOR_ANY_VALUE)
    assert holds(condition, "z", "b")
    assert not holds(condition, "y", "z")
    assert not holds(condition)


def test_for_all_values_needs_every_context_value_to_match_and_passes_when_empty() -> None:
    condition = cond("StringEquals", "a", "b", qualifier=SetQualifier.FOR_ALL_VALUES)
    assert holds(condition, "a", "b")
    assert not holds(condition, "a", "z")
    assert holds(condition)


def test_negated_operator_on_a_multi_valued_key_requires_no_value_to_match() -> None:
    assert not holds(cond("StringNotEquals", "a"), "z", "a")
    assert holds(cond("StringNotEquals", "a"), "y", "z")
    any_value = cond("StringNotEquals", "a", qualifier=SetQualifier.FOR_ANY_VALUE)
    assert holds(any_value, "z", "a")


def test_wildcards_span_any_characters_and_question_mark_exactly_one() -> None:
    assert matches_wildcard("s3:Get*", "s3:GetObjectVersion")
    assert matches_wildcard("s3:get*", "s3:GetObject", ignore_case=True)
    assert not matches_wildcard("s3:get*", "s3:GetObject")
    assert matches_wildcard("a?c", "abc") and not matches_wildcard("a?c", "abbc")
    assert matches_wildcard("line*", "line\nbreak")


def test_arn_matching_is_per_component() -> None:
    assert matches_arn("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b/c")
    assert not matches_arn("arn:*:s3:::x", "arn:aws:s3")
