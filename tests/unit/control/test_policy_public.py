"""Whether a bucket policy is public (control/policy/public.py, AWS's "meaning of public")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ferry.control.policy import PolicyKind, is_public_policy, parse_policy


def policy(**statement: Any) -> Any:
    base = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    document = {"Version": "2012-10-17", "Statement": [{**base, **statement}]}
    return parse_policy(json.dumps(document), PolicyKind.RESOURCE)


@pytest.mark.parametrize(
    "statement",
    [
        {"Principal": "*"},
        {"Principal": {"AWS": "*"}},
        {"NotPrincipal": {"AWS": "111122223333"}},
        {"Principal": "*", "Condition": {"StringLike": {"aws:SourceAccount": "1111*"}}},
        {"Principal": "*", "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "1"}}},
        {"Principal": "*", "Condition": {"StringEquals": {"aws:UserAgent": "curl"}}},
        {"Principal": "*", "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}}},
        {"Principal": "*", "Condition": {"IpAddress": {"aws:SourceIp": "::/16"}}},
        {"Principal": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
    ],
)
def test_public_statements(statement: dict[str, Any]) -> None:
    assert is_public_policy(policy(**statement))


@pytest.mark.parametrize(
    "statement",
    [
        {"Principal": {"AWS": "111122223333"}},
        {"Principal": {"AWS": "arn:aws:iam::111122223333:role/r"}},
        {"Principal": "*", "Effect": "Deny"},
        {"Principal": "*", "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}},
        {"Principal": "*", "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:x:1:t"}}},
        {"Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}},
        {"Principal": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
        {"Principal": "*", "Condition": {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}},
    ],
)
def test_non_public_statements(statement: dict[str, Any]) -> None:
    assert not is_public_policy(policy(**statement))


def test_an_unparseable_cidr_pins_nothing() -> None:
    assert is_public_policy(
        policy(Principal="*", Condition={"IpAddress": {"aws:SourceIp": "not-an-ip"}})
    )
