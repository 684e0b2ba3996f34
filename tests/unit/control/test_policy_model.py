from __future__ import annotations

import json
from typing import Any

import pytest

from ferry.control.errors import MalformedPolicy, PolicyTooLarge
from ferry.control.policy import (
    Effect,
    PolicyKind,
    SetQualifier,
    parse_policy,
)

IDENTITY, RESOURCE, TRUST = PolicyKind.IDENTITY, PolicyKind.RESOURCE, PolicyKind.TRUST


def doc(*statements: dict[str, Any], **top: Any) -> str:
    return json.dumps({"Version": "2012-10-17", **top, "Statement": list(statements)})


def allow(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **fields}


def rejected(text: str, kind: PolicyKind) -> str:
    with pytest.raises(MalformedPolicy) as info:
        parse_policy(text, kind)
    return info.value.message


def test_identity_policy_parses_into_typed_statements() -> None:
    policy = parse_policy(
        doc(
            allow(
                Sid="Read",
                Action=["s3:GetObject", "s3:ListBucket"],
                Resource="arn:aws:s3:::b/*",
                Condition={"ForAnyValue:StringLikeIfExists": {"s3:Prefix": ["a/*", 3, True]}},
            ),
            {"Effect": "Deny", "NotAction": "s3:*", "NotResource": ["arn:aws:s3:::b"]},
        ),
        IDENTITY,
    )
    first, second = policy.statements
    assert policy.version == "2012-10-17"
    assert first.sid == "Read" and first.effect is Effect.ALLOW
    assert first.actions == ("s3:GetObject", "s3:ListBucket")
    assert first.resources == ("arn:aws:s3:::b/*",)
    (condition,) = first.conditions
    assert condition.operator == "StringLike"
    assert condition.qualifier is SetQualifier.FOR_ANY_VALUE
    assert condition.if_exists
    assert condition.key == "s3:prefix"
    assert condition.values == ("a/*", "3", "true")
    assert second.effect is Effect.DENY
    assert second.not_actions == ("s3:*",) and second.not_resources == ("arn:aws:s3:::b",)


def test_single_statement_object_and_missing_version_are_accepted() -> None:
    text = json.dumps({"Statement": allow(Action="s3:*", Resource="*")})
    policy = parse_policy(text, IDENTITY)
    assert policy.version is None and len(policy.statements) == 1


def test_principal_forms_in_a_resource_policy() -> None:
    policy = parse_policy(
        doc(
            allow(Principal="*", Action="s3:GetObject", Resource="arn:aws:s3:::b/*"),
            allow(
                Principal={
                    "AWS": ["111122223333", "arn:aws:iam::111122223333:user/alice"],
                    "CanonicalUser": "a" * 64,
                },
                Action="s3:GetObject",
                Resource="arn:aws:s3:::b/*",
            ),
            allow(Principal={"AWS": "*"}, Action="s3:ListBucket", Resource="arn:aws:s3:::b"),
        ),
        RESOURCE,
    )
    everyone, named, aws_star = (s.principal for s in policy.statements)
    assert everyone is not None and everyone.is_everyone
    assert named is not None and not named.is_everyone
    assert named.aws == ("111122223333", "arn:aws:iam::111122223333:user/alice")
    assert named.canonical_user == ("a" * 64,)
    assert aws_star is not None and aws_star.is_everyone


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("not json", IDENTITY, "Syntax errors in policy."),
        ("not json", RESOURCE, "Policies must be valid JSON and the first byte must be '{'"),
        ("[]", RESOURCE, "Policies must be valid JSON and the first byte must be '{'"),
        ('{"Statement": []', IDENTITY, "Syntax errors in policy."),
        ('{"Version": "2012-10-17", "Version": "2012-10-17"}', IDENTITY,
         "Syntax errors in policy."),
        ('{"Version": "2012-10-17"}', IDENTITY, "Missing required field Statement"),
        ('{"Version": "2012-10-17", "Statement": []}', RESOURCE,
         "Missing required field Statement"),
        (doc(allow(Action="s3:*", Resource="*"), Version="2011-01-01"), IDENTITY,
         "Syntax errors in policy."),
        (doc(allow(Action="s3:*", Resource="*"), Extra=1), IDENTITY, "Syntax errors in policy."),
        (doc(allow(Action="s3:*", Resource="*", Bogus=1)), IDENTITY, "Syntax errors in policy."),
        (doc({"Action": "s3:*", "Resource": "*"}), IDENTITY, "Missing required field Effect"),
        (doc({"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}), IDENTITY,
         "Invalid effect: Maybe"),
        (doc(allow(Resource="*")), IDENTITY, "Policy statement must contain actions."),
        (doc(allow(Action=[], Resource="*")), IDENTITY, "Policy statement must contain actions."),
        (doc(allow(Action="s3:*")), IDENTITY, "Policy statement must contain resources."),
        (doc(allow(Action="s3:*", NotAction="s3:Get*", Resource="*")), IDENTITY,
         "Syntax errors in policy."),
        (doc(allow(Action="s3:*", Resource="*", NotResource="*")), IDENTITY,
         "Syntax errors in policy."),
        (doc(allow(Action="s3:*", Resource=7)), IDENTITY, "Syntax errors in policy."),
        (doc(allow(Action="GetObject", Resource="*")), IDENTITY,
         "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        (doc(allow(Action="s3:Get:Object", Resource="*")), IDENTITY,
         "Actions/Condition can contain only one colon."),
        (doc(allow(Action="s 3:GetObject", Resource="*")), IDENTITY, "Vendor s 3 is not valid"),
        (doc(allow(Action="s3:*", Resource="*", Principal="*")), IDENTITY,
         "Policy document should not specify a principal."),
        (doc(allow(Action="s3:*", Resource="*", Sid="a"), allow(Action="s3:*", Resource="*",
                                                             Sid="a")), IDENTITY,
         "Statement IDs (SID) in a single policy must be unique."),
        (doc(allow(Action="s3:*", Resource="*", Condition={"StringFoo": {"a:b": "c"}})),
         IDENTITY, "Invalid Condition type : StringFoo"),
        (doc(allow(Action="s3:*", Resource="*", Condition={"NullIfExists": {"a:b": "true"}})),
         IDENTITY, "Invalid Condition type : NullIfExists"),
        (doc(allow(Action="s3:*", Resource="*", Condition={"StringEquals": "x"})), IDENTITY,
         "Syntax errors in policy."),
        (doc(allow(Action="s3:*", Resource="*", Condition={"StringEquals": {"a:b": {}}})),
         IDENTITY, "Syntax errors in policy."),
        (doc(allow(Action="s3:*", Resource="*", Condition={"StringEquals": {"nokey": "x"}})),
         RESOURCE, "Policy has an invalid condition key"),
        (doc(allow(Action="s3:*", Resource="arn:aws:s3:::b")), RESOURCE,
         "Missing required field Principal"),
        (doc(allow(Principal="*", Action="s3:*")), RESOURCE, "Missing required field Resource"),
        (doc(allow(Principal="*", Resource="arn:aws:s3:::b")), RESOURCE,
         "Missing required field Action"),
        (doc(allow(Principal="*", Action="s3:*", Resource="arn:aws:s3:::b"), Version="1"),
         RESOURCE, "Invalid policy document version"),
        (doc(allow(Principal="*", Action="s3:*", Resource="arn:aws:s3:::b"), Extra=1),
         RESOURCE, "Unknown field Extra"),
        (doc(allow(Action="s3:*", Resource="*"), Id=5), IDENTITY, "Syntax errors in policy."),
        (doc(allow(Action="s3:*", Resource="*", Sid=5)), IDENTITY, "Syntax errors in policy."),
        (doc("not a statement"), IDENTITY, "Syntax errors in policy."),
        (doc(allow(Principal="*", Action="s3:Get:Object", Resource="arn:aws:s3:::b")),
         RESOURCE, "Policy has invalid action"),
        (doc(allow(Principal="*", Action="s3:*", Resource="arn:aws:s3:::b",
                   Condition=["x"])), RESOURCE,
         "Policies must be valid JSON and the first byte must be '{'"),
        (doc(allow(Principal="*", Action="s3:*", Resource="arn:aws:s3:::b",
                   Condition={"StringFoo": {"a:b": "c"}})), RESOURCE,
         "Policy has an invalid condition operator"),
        (doc(allow(Action="s3:*", Resource="*", Condition={"StringEquals": {"nokey": "x"}})),
         IDENTITY, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        (doc(allow(Principal={"Federated": ""}, Action="sts:AssumeRole")), TRUST,
         'Invalid principal in policy: "Federated":""'),
        (doc(allow(Principal="*", Action="GetObject", Resource="arn:aws:s3:::b")), RESOURCE,
         "Policy has invalid action"),
        (doc(allow(Principal={"AWS": "alice"}, Action="s3:*", Resource="arn:aws:s3:::b")),
         RESOURCE, "Invalid principal in policy"),
        (doc(allow(Principal={"Person": "x"}, Action="s3:*", Resource="arn:aws:s3:::b")),
         RESOURCE, "Invalid principal in policy"),
        (doc(allow(Principal="someone", Action="s3:*", Resource="arn:aws:s3:::b")),
         RESOURCE, "Invalid principal in policy"),
        (doc(allow(Principal={"AWS": []}, Action="s3:*", Resource="arn:aws:s3:::b")),
         RESOURCE, "Invalid principal in policy"),
        (doc(allow(Principal={"AWS": "arn:aws:iam::123:user/x"}, Action="sts:AssumeRole")),
         TRUST, 'Invalid principal in policy: "AWS":"arn:aws:iam::123:user/x"'),
        (doc(allow(Principal={"Service": "S3"}, Action="sts:AssumeRole")), TRUST,
         'Invalid principal in policy: "Service":"S3"'),
        (doc(allow(Action="sts:AssumeRole")), TRUST, "Missing required field Principal"),
        (doc(allow(Principal={"Service": "s3.amazonaws.com"}, Action="sts:AssumeRole",
                   Resource="*")), TRUST, "Has prohibited field Resource"),
        (doc(allow(Principal={"Service": "s3.amazonaws.com"}, Action="s3:GetObject")), TRUST,
         "AssumeRole policy may only specify STS AssumeRole actions."),
        (doc(allow(Principal={"Service": "s3.amazonaws.com"}, NotAction="s3:GetObject")), TRUST,
         "AssumeRole policy may only specify STS AssumeRole actions."),
        (doc(allow(Principal={"Service": "s3.amazonaws.com"}, Action="sts:AssumeRole",
                   Condition={"Bool": {"aws:SecureTransport": [None]}})), TRUST,
         "Syntax errors in policy."),
    ],
)  # fmt: skip
def test_malformed_documents_get_the_services_messages(
    text: str, kind: PolicyKind, message: str
) -> None:
    assert rejected(text, kind) == message


def test_principal_and_not_principal_together_are_rejected() -> None:
    text = doc(
        allow(
            Principal={"AWS": "111122223333"},
            NotPrincipal={"AWS": "111122223333"},
            Action="s3:*",
            Resource="arn:aws:s3:::b",
        )
    )
    assert rejected(text, RESOURCE) == "Policies must be valid JSON and the first byte must be '{'"


def test_federated_principals_parse() -> None:
    text = doc(allow(Principal={"Federated": "cognito-identity.amazonaws.com"},
                     Action="sts:AssumeRoleWithWebIdentity"))  # fmt: skip
    (statement,) = parse_policy(text, TRUST).statements
    assert statement.principal is not None
    assert statement.principal.federated == ("cognito-identity.amazonaws.com",)


def test_trust_policy_for_a_service_parses() -> None:
    policy = parse_policy(
        doc(
            allow(
                Principal={"Service": ["s3.amazonaws.com", "batchoperations.s3.amazonaws.com"]},
                Action=["sts:AssumeRole", "sts:TagSession"],
            )
        ),
        TRUST,
    )
    (statement,) = policy.statements
    assert statement.principal is not None
    assert statement.principal.service == ("s3.amazonaws.com", "batchoperations.s3.amazonaws.com")


def test_identity_size_limit_ignores_white_space() -> None:
    statement = allow(Action="s3:GetObject", Resource="arn:aws:s3:::b/" + "k" * 100)
    text = json.dumps({"Statement": [statement]}, indent=40)
    assert len(text) > 600
    parse_policy(text, IDENTITY, max_chars=300)
    with pytest.raises(PolicyTooLarge) as info:
        parse_policy(text, IDENTITY, max_chars=100)
    assert info.value.message == "Cannot exceed quota for PolicySize: 100"


def test_bucket_policy_size_limit_is_20_kib() -> None:
    statement = allow(Principal="*", Action="s3:GetObject", Resource="arn:aws:s3:::b/x")
    big = json.dumps({"Id": "x" * 21_000, "Statement": [statement]})
    with pytest.raises(PolicyTooLarge):
        parse_policy(big, RESOURCE)
    parse_policy(json.dumps({"Id": "x" * 19_000, "Statement": [statement]}), RESOURCE)


def test_trust_policy_default_limit_is_2048_characters() -> None:
    statement = allow(Principal={"Service": "s3.amazonaws.com"}, Action="sts:AssumeRole")
    with pytest.raises(PolicyTooLarge):
        parse_policy(json.dumps({"Id": "x" * 2100, "Statement": [statement]}), TRUST)
