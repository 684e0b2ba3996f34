"""Who may call IAM, and "no policy can grant more than its author holds" (docs/iam.md)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ferry.api.auth import Principal, PrincipalKind
from ferry.api.iam.call import IamCall
from ferry.control import (
    CONTROL_DATABASE_NAME,
    CONTROL_MIGRATIONS,
    AccessKeys,
    Accounts,
    Iam,
    IdentityPolicies,
    Policies,
    Roles,
    SecretSealer,
    Users,
)
from ferry.control.iam_errors import IamAccessDenied
from ferry.control.identifiers import HolderKind
from ferry.control.policies import Holder
from ferry.control.policy import PolicyKind, parse_policy
from ferry.core.clock import FakeClock
from ferry.core.secret import Secret
from ferry.store import SqliteDatabase
from tests.unit.api.builders import build_request

ACCOUNT = "123456789012"
DAN = f"arn:aws:iam::{ACCOUNT}:user/dan"
DANS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::shared/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::shared"},
        {"Effect": "Deny", "Action": "s3:GetObjectAcl", "Resource": "*"},
    ],
}


@pytest.fixture
async def iam(tmp_path: Path) -> AsyncIterator[Iam]:
    db = SqliteDatabase(tmp_path / CONTROL_DATABASE_NAME, migrations=CONTROL_MIGRATIONS)
    clock = FakeClock()
    sealer = SecretSealer(Secret("root-secret"))
    accounts = Accounts(db, clock, sealer)
    await accounts.ensure(ACCOUNT, "main")
    policies = Policies(db, clock)
    built = Iam(
        accounts=accounts,
        users=Users(db, clock),
        access_keys=AccessKeys(db, clock, sealer),
        roles=Roles(db, clock),
        policies=policies,
        identities=IdentityPolicies(policies, accounts),
    )
    await built.users.create(ACCOUNT, "dan", "/")
    holder = Holder(account_id=ACCOUNT, kind=HolderKind.USER, name="dan")
    await policies.put_inline(holder, "delegate", json.dumps(DANS_POLICY))
    yield built
    db.close()


def call(iam: Iam, kind: PrincipalKind = PrincipalKind.USER, arn: str = DAN) -> IamCall:
    principal = Principal(access_key="AKIAX", account_id=ACCOUNT, arn=arn, kind=kind)
    request = build_request("POST", "http://127.0.0.1:9000/", {})
    return IamCall(params={}, principal=principal, request=request, iam=iam, now=FakeClock().now())


def allow(**statement: Any) -> Any:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}
    return parse_policy(json.dumps(document), PolicyKind.IDENTITY)


@pytest.mark.parametrize(
    "granted",
    [
        {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/report.csv"},
        {"Action": "s3:Get*", "Resource": "arn:aws:s3:::shared/*"},
        {"Action": "s3:GetObjectVersion", "Resource": "arn:aws:s3:::shared/logs/*"},
        {"Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::shared"]},
    ],
)
async def test_a_user_may_hand_out_what_it_holds(iam: Iam, granted: dict[str, Any]) -> None:
    await call(iam).check_grant(allow(**granted))


@pytest.mark.parametrize(
    "granted",
    [
        {"Action": "s3:PutObject", "Resource": "arn:aws:s3:::shared/x"},
        {"Action": "s3:*", "Resource": "arn:aws:s3:::shared/*"},  # wider wildcard
        {"Action": "s3:GetObject", "Resource": "*"},  # wider resource
        {"Action": "s3:GetObjectAcl", "Resource": "arn:aws:s3:::shared/x"},  # denied to dan
        {"NotAction": "s3:DeleteObject", "Resource": "arn:aws:s3:::shared/*"},
        {"Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"},
        {"Action": "iam:CreateUser", "Resource": "*"},
    ],
)
async def test_a_user_may_not_hand_out_more(iam: Iam, granted: dict[str, Any]) -> None:
    with pytest.raises(IamAccessDenied, match="may not grant more than its author"):
        await call(iam).check_grant(allow(**granted))


async def test_deny_statements_are_always_accepted(iam: Iam) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
    }
    await call(iam).check_grant(parse_policy(json.dumps(document), PolicyKind.IDENTITY))


async def test_roots_grant_anything(iam: Iam) -> None:
    root = call(iam, PrincipalKind.ACCOUNT_ROOT, f"arn:aws:iam::{ACCOUNT}:root")
    await root.check_grant(allow(Action="*", Resource="*"))
    await root.authorize("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x")


async def test_users_act_only_as_their_policies_allow(iam: Iam) -> None:
    dan = call(iam)
    await dan.authorize("iam:PutUserPolicy", f"arn:aws:iam::{ACCOUNT}:user/erin")
    with pytest.raises(IamAccessDenied) as denied:
        await dan.authorize("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/erin")
    assert denied.value.message == (
        f"User: {DAN} is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{ACCOUNT}:user/erin because no identity-based policy allows the "
        "iam:CreateUser action"
    )


async def test_the_replication_identity_may_not_use_iam(iam: Iam) -> None:
    worker = call(iam, PrincipalKind.REPLICATION, f"arn:aws:iam::{ACCOUNT}:role/ferry-replication")
    with pytest.raises(IamAccessDenied):
        await worker.authorize("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/dan")
