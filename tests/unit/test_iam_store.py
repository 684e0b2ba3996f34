"""The IAM stores of the control plane: AWS's conflicts and limits, case-insensitive names,
Marker/MaxItems pages, and the identity policies request authorisation reads."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

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
from ferry.control.iam_errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
)
from ferry.control.identifiers import HolderKind
from ferry.control.policies import Holder, PolicySpec
from ferry.control.policy import Effect
from ferry.control.roles import RoleSpec
from ferry.core.clock import FakeClock
from ferry.core.secret import Secret
from ferry.store import SqliteDatabase

ACCOUNT = "123456789012"
OTHER = "210987654321"
ALLOW_GET = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
    '"Resource":"*"}]}'
)
TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
    '{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def iam(tmp_path: Path) -> AsyncIterator[Iam]:
    db = SqliteDatabase(tmp_path / CONTROL_DATABASE_NAME, migrations=CONTROL_MIGRATIONS)
    clock = FakeClock()
    sealer = SecretSealer(Secret("root-secret"))
    accounts = Accounts(db, clock, sealer)
    await accounts.ensure(ACCOUNT, "main")
    await accounts.ensure(OTHER, "other")
    policies = Policies(db, clock)
    yield Iam(
        accounts=accounts,
        users=Users(db, clock),
        access_keys=AccessKeys(db, clock, sealer),
        roles=Roles(db, clock),
        policies=policies,
        identities=IdentityPolicies(policies, accounts),
    )
    db.close()


def user(name: str, account: str = ACCOUNT) -> Holder:
    return Holder(account_id=account, kind=HolderKind.USER, name=name)


def role(name: str) -> Holder:
    return Holder(account_id=ACCOUNT, kind=HolderKind.ROLE, name=name)


def spec(name: str, path: str = "/") -> PolicySpec:
    return PolicySpec(name=name, path=path, document=ALLOW_GET, description=None)


async def test_users_list_in_pages(iam: Iam) -> None:
    for name in ["carol", "alice", "dave", "bob", "erin"]:
        await iam.users.create(ACCOUNT, name, "/team/" if name in ("bob", "dave") else "/")
    first = await iam.users.list(ACCOUNT, path_prefix="/", marker=None, max_items=2)
    assert [u.name for u in first.items] == ["alice", "bob"] and first.is_truncated
    second = await iam.users.list(ACCOUNT, path_prefix="/", marker=first.marker, max_items=2)
    assert [u.name for u in second.items] == ["carol", "dave"]
    last = await iam.users.list(ACCOUNT, path_prefix="/", marker=second.marker, max_items=2)
    assert [u.name for u in last.items] == ["erin"] and not last.is_truncated
    team = await iam.users.list(ACCOUNT, path_prefix="/team/", marker=None, max_items=100)
    assert [u.name for u in team.items] == ["bob", "dave"]


async def test_a_managed_policy_counts_its_attachments(iam: Iam) -> None:
    await iam.users.create(ACCOUNT, "alice", "/")
    await iam.roles.create(
        ACCOUNT,
        RoleSpec(name="rep", path="/", trust_policy=TRUST, description=None, max_session_s=3600),
    )
    created = await iam.policies.create_managed(ACCOUNT, spec("read", "/ops/"))
    assert created.arn == f"arn:aws:iam::{ACCOUNT}:policy/ops/read"
    assert created.policy_id.startswith("ANPA") and created.attachment_count == 0
    with pytest.raises(EntityAlreadyExists, match="A policy called READ already exists"):
        await iam.policies.create_managed(ACCOUNT, spec("READ"))
    await iam.policies.attach(user("alice"), created.arn)
    await iam.policies.attach(user("alice"), created.arn)  # twice: still one attachment
    await iam.policies.attach(role("rep"), created.arn)
    assert (await iam.policies.get_managed(ACCOUNT, created.arn)).attachment_count == 2
    with pytest.raises(DeleteConflict, match="attached to entities"):
        await iam.policies.delete_managed(ACCOUNT, created.arn)
    attached = await iam.policies.list_attached(
        role("rep"), path_prefix="/", marker=None, max_items=10
    )
    assert [(p.name, p.arn) for p in attached.items] == [("read", created.arn)]
    only = await iam.policies.list_managed(
        ACCOUNT, path_prefix="/", only_attached=True, marker=None, max_items=10
    )
    assert [p.name for p in only.items] == ["read"]


async def test_policies_of_another_account_cannot_be_attached(iam: Iam) -> None:
    await iam.users.create(ACCOUNT, "alice", "/")
    foreign = await iam.policies.create_managed(OTHER, spec("theirs"))
    with pytest.raises(NoSuchEntity, match="does not exist or is not attachable"):
        await iam.policies.attach(user("alice"), foreign.arn)


async def test_a_holder_gets_at_most_ten_managed_policies(iam: Iam) -> None:
    await iam.users.create(ACCOUNT, "alice", "/")
    for index in range(10):
        created = await iam.policies.create_managed(ACCOUNT, spec(f"p{index}"))
        await iam.policies.attach(user("alice"), created.arn)
    eleventh = await iam.policies.create_managed(ACCOUNT, spec("p10"))
    with pytest.raises(LimitExceeded, match="PoliciesPerUser: 10"):
        await iam.policies.attach(user("alice"), eleventh.arn)


async def test_inline_policies_of_a_missing_holder_name_the_holder(iam: Iam) -> None:
    with pytest.raises(NoSuchEntity, match=re.escape("The user with name ghost cannot be found.")):
        await iam.policies.put_inline(user("ghost"), "p", ALLOW_GET)
    await iam.users.create(ACCOUNT, "alice", "/")
    with pytest.raises(
        NoSuchEntity, match=re.escape("The user policy with name nope cannot be found.")
    ):
        await iam.policies.get_inline(user("alice"), "nope")


async def test_identity_policies_are_inline_and_attached(iam: Iam) -> None:
    await iam.users.create(ACCOUNT, "alice", "/eng/")
    await iam.policies.put_inline(user("alice"), "inline", ALLOW_GET)
    managed = await iam.policies.create_managed(ACCOUNT, spec("read"))
    await iam.policies.attach(user("alice"), managed.arn)
    arn = f"arn:aws:iam::{ACCOUNT}:user/eng/alice"
    policies = await iam.identities.identity_policies(arn)
    assert len(policies) == 2
    assert all(p.statements[0].effect is Effect.ALLOW for p in policies)
    assert await iam.identities.identity_policies(f"arn:aws:iam::{ACCOUNT}:root") == ()
    assert await iam.identities.identity_policies(f"arn:aws:iam::{ACCOUNT}:user/ghost") == ()


async def test_identity_policies_are_cached_for_the_ttl(iam: Iam) -> None:
    ticker = Ticker()
    identities = IdentityPolicies(iam.policies, iam.accounts, ttl_s=1.0, monotonic=ticker)
    await iam.users.create(ACCOUNT, "alice", "/")
    arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert await identities.identity_policies(arn) == ()
    await iam.policies.put_inline(user("alice"), "inline", ALLOW_GET)
    assert await identities.identity_policies(arn) == ()  # another region's change, cached
    ticker.now += 1.1
    assert len(await identities.identity_policies(arn)) == 1
    await iam.policies.delete_inline(user("alice"), "inline")
    identities.forget()  # this region's own change
    assert await identities.identity_policies(arn) == ()


async def test_accounts_are_found_by_canonical_id(iam: Iam) -> None:
    account, key = await iam.accounts.create("team")
    assert await iam.identities.account_of_canonical_id(account.canonical_id) == account.account_id
    assert await iam.identities.account_of_canonical_id("f" * 64) is None
    assert key.key.user_name is None and key.key.account_id == account.account_id
    assert [a.name for a in await iam.accounts.list()] == ["main", "other", "team"]
