from __future__ import annotations

import json
from typing import Any

import pytest

from ferry.control.errors import MalformedPolicy
from ferry.control.policy import (
    S3_ACTIONS,
    PolicyKind,
    ResourceType,
    check_bucket_policy,
    parse_policy,
)


def check(**statement: Any) -> None:
    text = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", **statement}]})
    check_bucket_policy(parse_policy(text, PolicyKind.RESOURCE), "b")


def message_of(**statement: Any) -> str:
    with pytest.raises(MalformedPolicy) as info:
        check(**statement)
    return info.value.message


def test_actions_know_their_resource_types() -> None:
    assert S3_ACTIONS["s3:GetObject"] is ResourceType.OBJECT
    assert S3_ACTIONS["s3:ListBucket"] is ResourceType.BUCKET
    assert S3_ACTIONS["s3:ListAllMyBuckets"] is ResourceType.SERVICE


@pytest.mark.parametrize(
    "statement",
    [
        {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        {"Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"},
        {"Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "arn:aws:s3:::b"},
        {"Action": "s3:Get*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/x"]},
        {"Action": "*", "Resource": "arn:aws:s3:::b"},
        {"NotAction": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"},
        {"Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/private/*"},
    ],
)
def test_valid_bucket_policies_pass(statement: dict[str, Any]) -> None:
    check(**statement)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({"Action": "s3:GetObject", "Resource": "*"}, "Policy has invalid resource"),
        ({"Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"},
         "Policy has invalid resource"),
        ({"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b*"},
         "Policy has invalid resource"),
        ({"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"},
         "Action does not apply to any resource(s) in statement"),
        ({"Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b/*"},
         "Action does not apply to any resource(s) in statement"),
        ({"Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::b"},
         "Action does not apply to any resource(s) in statement"),
        ({"Action": "s3:Teleport", "Resource": "arn:aws:s3:::b"}, "Policy has invalid action"),
        ({"Action": "iam:CreateUser", "Resource": "arn:aws:s3:::b"},
         "Policy has invalid action"),
    ],
)  # fmt: skip
def test_bucket_policy_checks(statement: dict[str, Any], message: str) -> None:
    assert message_of(**statement) == message
