"""Using a KMS key as IAM judges it: the key's own account grants it through identity
policies (AWS's default key policy), with S3's KMS condition keys; other accounts never."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ferry.control.policy import (
    DECRYPT,
    ENCRYPT,
    Decision,
    Policy,
    PolicyKind,
    PrincipalFacts,
    decide_key_use,
    key_account,
    key_region,
    parse_policy,
    s3_via_service,
)

OWNER, OTHER = "111122223333", "444455556666"
KEY = f"arn:aws:kms:eu-west-1:{OWNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALICE = PrincipalFacts(arn=f"arn:aws:iam::{OWNER}:user/alice", account_id=OWNER)
ROOT = PrincipalFacts(arn=f"arn:aws:iam::{OWNER}:root", account_id=OWNER, is_account_root=True)
STRANGER = PrincipalFacts(arn=f"arn:aws:iam::{OTHER}:root", account_id=OTHER, is_account_root=True)


def identity(*statements: dict[str, Any]) -> Policy:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return parse_policy(json.dumps(document), PolicyKind.IDENTITY)


def use(principal: PrincipalFacts, action: str, *policies: Policy, **extra: Any) -> Decision:
    return decide_key_use(principal, action, KEY, identity_policies=policies, **extra)


def test_the_parts_of_a_key_arn() -> None:
    assert (key_account(KEY), key_region(KEY)) == (OWNER, "eu-west-1")
    assert key_account("alias/mine") == key_region("arn:aws:s3:::b") == ""
    assert s3_via_service("eu-west-1") == "s3.eu-west-1.amazonaws.com"


def test_an_identity_policy_grants_the_action_on_the_key() -> None:
    allow = identity({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY})
    assert use(ALICE, DECRYPT, allow) is Decision.ALLOW
    assert use(ALICE, ENCRYPT, allow) is Decision.IMPLICIT_DENY
    assert use(ALICE, DECRYPT) is Decision.IMPLICIT_DENY


def test_the_account_root_may_use_its_keys_and_nobody_may_use_another_accounts() -> None:
    everything = identity({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
    assert use(ROOT, ENCRYPT) is Decision.ALLOW
    assert use(STRANGER, ENCRYPT, everything) is Decision.IMPLICIT_DENY


def test_an_explicit_deny_wins() -> None:
    allow = identity({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
    deny = identity({"Effect": "Deny", "Action": "kms:Decrypt", "Resource": KEY})
    assert use(ALICE, DECRYPT, allow, deny) is Decision.EXPLICIT_DENY


@pytest.mark.parametrize(
    ("via", "arn", "expected"),
    [
        ("s3.eu-west-1.amazonaws.com", "arn:aws:s3:::dst/a", Decision.ALLOW),
        ("s3.us-east-1.amazonaws.com", "arn:aws:s3:::dst/a", Decision.IMPLICIT_DENY),
        ("s3.eu-west-1.amazonaws.com", "arn:aws:s3:::other/a", Decision.IMPLICIT_DENY),
    ],
)
def test_s3s_condition_keys_are_set(via: str, arn: str, expected: Decision) -> None:
    """The conditions of AWS's replication example policy."""
    conditional = identity(
        {
            "Effect": "Allow",
            "Action": "kms:Encrypt",
            "Resource": KEY,
            "Condition": {
                "StringLike": {
                    "kms:ViaService": "s3.eu-west-1.amazonaws.com",
                    "kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::dst/*"],
                },
                "StringEquals": {"kms:CallerAccount": OWNER},
            },
        }
    )
    decision = use(
        ALICE, ENCRYPT, conditional, via_service=via, encryption_context={"aws:s3:arn": arn}
    )
    assert decision is expected
