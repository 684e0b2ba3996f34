from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ferry.control.policy import (
    ANONYMOUS_FACTS,
    AccessRequest,
    Decision,
    Policy,
    PolicyKind,
    PrincipalFacts,
    decide,
    parse_policy,
    trusts_service,
)

OWNER = "111122223333"
OTHER = "444455556666"
ALICE = PrincipalFacts(arn=f"arn:aws:iam::{OWNER}:user/alice", account_id=OWNER)
BOB = PrincipalFacts(arn=f"arn:aws:iam::{OTHER}:user/bob", account_id=OTHER)
OWNER_ROOT = PrincipalFacts(
    arn=f"arn:aws:iam::{OWNER}:root", account_id=OWNER, is_account_root=True
)
OTHER_ROOT = PrincipalFacts(
    arn=f"arn:aws:iam::{OTHER}:root", account_id=OTHER, is_account_root=True
)
OBJECT = "arn:aws:s3:::b/photos/cat.jpg"


def policy(kind: PolicyKind, *statements: dict[str, Any]) -> Policy:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": statements}), kind)


def identity(*statements: dict[str, Any]) -> Policy:
    return policy(PolicyKind.IDENTITY, *statements)


def bucket(*statements: dict[str, Any]) -> Policy:
    return policy(PolicyKind.RESOURCE, *statements)


def allow(action: str = "s3:GetObject", resource: str = "arn:aws:s3:::b/*", **more: Any) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: str = "s3:GetObject", resource: str = "arn:aws:s3:::b/*", **more: Any) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


def check(
    who: PrincipalFacts,
    *,
    identities: Sequence[Policy] = (),
    resource_policy: Policy | None = None,
    action: str = "s3:GetObject",
    resource: str = OBJECT,
    account: str | None = OWNER,
    context: dict[str, tuple[str, ...]] | None = None,
) -> Decision:
    request = AccessRequest(principal=who, action=action, resource=resource, context=context or {})
    return decide(
        request,
        identity_policies=identities,
        resource_policy=resource_policy,
        resource_account=account,
    )


def test_default_is_implicit_deny() -> None:
    assert check(ALICE) is Decision.IMPLICIT_DENY


def test_identity_allow_allows_in_the_same_account() -> None:
    assert check(ALICE, identities=[identity(allow())]) is Decision.ALLOW


def test_explicit_deny_beats_allow_across_policies() -> None:
    decision = check(ALICE, identities=[identity(allow("s3:*")), identity(deny())])
    assert decision is Decision.EXPLICIT_DENY


def test_explicit_deny_in_the_bucket_policy_beats_an_identity_allow() -> None:
    resource_policy = bucket(deny(Principal="*"))
    decision = check(ALICE, identities=[identity(allow())], resource_policy=resource_policy)
    assert decision is Decision.EXPLICIT_DENY


def test_action_wildcards_match_case_insensitively() -> None:
    assert check(ALICE, identities=[identity(allow("S3:get*"))]) is Decision.ALLOW
    assert check(ALICE, identities=[identity(allow("s3:Put*"))]) is Decision.IMPLICIT_DENY
    assert check(ALICE, identities=[identity(allow("*"))]) is Decision.ALLOW


def test_resource_wildcards() -> None:
    photos = identity(allow(resource="arn:aws:s3:::b/photos/*"))
    assert check(ALICE, identities=[photos]) is Decision.ALLOW
    assert check(ALICE, identities=[photos], resource="arn:aws:s3:::b/docs/a") == (
        Decision.IMPLICIT_DENY
    )
    assert check(ALICE, identities=[identity(allow(resource="*"))]) is Decision.ALLOW


def test_not_action_applies_to_every_other_action() -> None:
    everything_but_delete = identity(
        {"Effect": "Allow", "NotAction": "s3:Delete*", "Resource": "*"}
    )
    assert check(ALICE, identities=[everything_but_delete]) is Decision.ALLOW
    decision = check(ALICE, identities=[everything_but_delete], action="s3:DeleteObject")
    assert decision is Decision.IMPLICIT_DENY


def test_not_resource_applies_to_every_other_resource() -> None:
    deny_outside = identity(
        allow("s3:*", "*"),
        {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::b/photos/*"},
    )
    assert check(ALICE, identities=[deny_outside]) is Decision.ALLOW
    decision = check(ALICE, identities=[deny_outside], resource="arn:aws:s3:::b/docs/x")
    assert decision is Decision.EXPLICIT_DENY


def test_bucket_policy_naming_the_user_allows_in_the_same_account() -> None:
    resource_policy = bucket(allow(Principal={"AWS": ALICE.arn}))
    assert check(ALICE, resource_policy=resource_policy) is Decision.ALLOW


def test_bucket_policy_for_another_principal_does_not_apply() -> None:
    resource_policy = bucket(allow(Principal={"AWS": f"arn:aws:iam::{OWNER}:user/carol"}))
    assert check(ALICE, resource_policy=resource_policy) is Decision.IMPLICIT_DENY


def test_account_principal_forms_match_any_principal_of_the_account() -> None:
    for name in (OWNER, f"arn:aws:iam::{OWNER}:root"):
        resource_policy = bucket(allow(Principal={"AWS": name}))
        assert check(ALICE, resource_policy=resource_policy) is Decision.ALLOW
        assert check(BOB, resource_policy=resource_policy) is Decision.IMPLICIT_DENY


def test_cross_account_needs_both_the_identity_and_the_bucket_policy() -> None:
    grant = bucket(allow(Principal={"AWS": OTHER}))
    own = identity(allow())
    assert check(BOB, resource_policy=grant) is Decision.IMPLICIT_DENY
    assert check(BOB, identities=[own]) is Decision.IMPLICIT_DENY
    assert check(BOB, identities=[own], resource_policy=grant) is Decision.ALLOW


def test_account_root_has_every_permission_on_its_own_resources() -> None:
    assert check(OWNER_ROOT, action="s3:DeleteBucket", resource="arn:aws:s3:::b") == (
        Decision.ALLOW
    )


def test_account_root_is_still_bound_by_an_explicit_deny_in_the_bucket_policy() -> None:
    resource_policy = bucket(deny("s3:PutObject", Principal="*"))
    decision = check(OWNER_ROOT, resource_policy=resource_policy, action="s3:PutObject")
    assert decision is Decision.EXPLICIT_DENY


def test_another_accounts_root_needs_the_bucket_policy() -> None:
    assert check(OTHER_ROOT) is Decision.IMPLICIT_DENY
    grant = bucket(allow(Principal={"AWS": f"arn:aws:iam::{OTHER}:root"}))
    assert check(OTHER_ROOT, resource_policy=grant) is Decision.ALLOW


def test_anonymous_is_allowed_only_by_a_bucket_policy_naming_everyone() -> None:
    assert check(ANONYMOUS_FACTS) is Decision.IMPLICIT_DENY
    for principal in ("*", {"AWS": "*"}):
        public = bucket(allow(Principal=principal))
        assert check(ANONYMOUS_FACTS, resource_policy=public) is Decision.ALLOW
    account_only = bucket(allow(Principal={"AWS": OWNER}))
    assert check(ANONYMOUS_FACTS, resource_policy=account_only) is Decision.IMPLICIT_DENY


def test_anonymous_identity_policies_are_ignored() -> None:
    decision = check(ANONYMOUS_FACTS, identities=[identity(allow())])
    assert decision is Decision.IMPLICIT_DENY


def test_not_principal_deny_spares_only_the_named_principals() -> None:
    resource_policy = bucket(
        allow(Principal="*"),
        deny(NotPrincipal={"AWS": ALICE.arn}),
    )
    assert check(ALICE, resource_policy=resource_policy) is Decision.ALLOW
    other = PrincipalFacts(arn=f"arn:aws:iam::{OWNER}:user/carol", account_id=OWNER)
    assert check(other, resource_policy=resource_policy) is Decision.EXPLICIT_DENY


def test_service_level_requests_are_judged_by_identity_alone() -> None:
    lister = identity(allow("s3:ListAllMyBuckets", "*"))
    decision = check(
        ALICE, identities=[lister], action="s3:ListAllMyBuckets", resource="arn:aws:s3:::*",
        account=None,
    )  # fmt: skip
    assert decision is Decision.ALLOW
    assert check(BOB, action="s3:CreateBucket", resource="arn:aws:s3:::new", account=None) == (
        Decision.IMPLICIT_DENY
    )
    assert check(OTHER_ROOT, action="s3:CreateBucket", account=None) is Decision.ALLOW


def test_conditions_gate_a_statement_keys_and_operators_are_anded() -> None:
    office = bucket(
        allow(
            Principal="*",
            Condition={
                "IpAddress": {"aws:SourceIp": "192.0.2.0/24"},
                "Bool": {"aws:SecureTransport": "true"},
            },
        )
    )
    good = {"aws:sourceip": ("192.0.2.9",), "aws:securetransport": ("true",)}
    plain = {"aws:sourceip": ("192.0.2.9",), "aws:securetransport": ("false",)}
    away = {"aws:sourceip": ("198.51.100.1",), "aws:securetransport": ("true",)}
    assert check(ANONYMOUS_FACTS, resource_policy=office, context=good) is Decision.ALLOW
    assert check(ANONYMOUS_FACTS, resource_policy=office, context=plain) == (Decision.IMPLICIT_DENY)
    assert check(ANONYMOUS_FACTS, resource_policy=office, context=away) == (Decision.IMPLICIT_DENY)


def test_prefix_condition_on_list_bucket() -> None:
    home = identity(
        allow(
            "s3:ListBucket",
            "arn:aws:s3:::b",
            Condition={"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}},
        )
    )
    context = {"aws:username": ("alice",)}
    for prefix, expected in (("home/alice/docs", Decision.ALLOW), ("home/bob/", None)):
        decision = check(
            ALICE, identities=[home], action="s3:ListBucket", resource="arn:aws:s3:::b",
            context={**context, "s3:prefix": (prefix,)},
        )  # fmt: skip
        assert decision is (expected or Decision.IMPLICIT_DENY)


def test_policy_variables_in_resources() -> None:
    own_home = identity(allow("s3:*", "arn:aws:s3:::b/home/${aws:username}/*"))
    context = {"aws:username": ("alice",)}
    mine = "arn:aws:s3:::b/home/alice/a"
    theirs = "arn:aws:s3:::b/home/bob/a"
    assert check(ALICE, identities=[own_home], resource=mine, context=context) is Decision.ALLOW
    assert check(ALICE, identities=[own_home], resource=theirs, context=context) == (
        Decision.IMPLICIT_DENY
    )
    # Without the variable's value the resource cannot match.
    assert check(ALICE, identities=[own_home], resource=mine) is Decision.IMPLICIT_DENY


def test_policy_variables_are_literal_in_2008_policies() -> None:
    text = json.dumps(
        {
            "Version": "2008-10-17",
            "Statement": [allow("s3:*", "arn:aws:s3:::b/${aws:username}")],
        }
    )
    old = parse_policy(text, PolicyKind.IDENTITY)
    decision = check(
        ALICE, identities=[old], resource="arn:aws:s3:::b/alice",
        context={"aws:username": ("alice",)},
    )  # fmt: skip
    assert decision is Decision.IMPLICIT_DENY
    assert check(ALICE, identities=[old], resource="arn:aws:s3:::b/${aws:username}") == (
        Decision.ALLOW
    )


def test_principal_arn_condition() -> None:
    only_alice = bucket(
        allow(Principal="*", Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/al*"}})
    )
    context = {"aws:principalarn": (ALICE.arn,)}
    assert check(ALICE, resource_policy=only_alice, context=context) is Decision.ALLOW
    bob_context = {"aws:principalarn": (BOB.arn,)}
    assert check(BOB, resource_policy=only_alice, context=bob_context, account=OTHER) == (
        Decision.IMPLICIT_DENY
    )


def trust(*statements: dict[str, Any]) -> Policy:
    return policy(PolicyKind.TRUST, *statements)


def test_trusts_service_names_the_service_principal() -> None:
    replication = trust(
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )
    assert trusts_service(replication, "s3.amazonaws.com")
    assert not trusts_service(replication, "batchoperations.s3.amazonaws.com")


def test_trusts_service_honours_conditions_and_denies() -> None:
    conditional = trust(
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": OWNER}},
        }
    )
    assert not trusts_service(conditional, "s3.amazonaws.com")
    assert trusts_service(conditional, "s3.amazonaws.com", {"aws:sourceaccount": (OWNER,)})
    denied = trust(
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
        {
            "Effect": "Deny",
            "Principal": {"Service": "batchoperations.s3.amazonaws.com"},
            "Action": "sts:*",
        },
    )
    assert trusts_service(denied, "s3.amazonaws.com")
    assert not trusts_service(denied, "batchoperations.s3.amazonaws.com")


def test_a_service_principal_is_not_an_aws_principal() -> None:
    account_trust = trust(
        {"Effect": "Allow", "Principal": {"AWS": OWNER}, "Action": "sts:AssumeRole"}
    )
    assert not trusts_service(account_trust, "s3.amazonaws.com")


def test_canonical_user_principals_match_the_callers_canonical_id() -> None:
    canonical = "c" * 64
    grant = bucket(allow(Principal={"CanonicalUser": canonical}))
    carol = PrincipalFacts(arn=f"arn:aws:iam::{OTHER}:root", account_id=OTHER,
                           is_account_root=True, canonical_id=canonical)  # fmt: skip
    assert check(carol, resource_policy=grant) is Decision.ALLOW
    assert check(OTHER_ROOT, resource_policy=grant) is Decision.IMPLICIT_DENY
