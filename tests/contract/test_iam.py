"""IAM entities of the control plane on both engines: accounts, users whose names are unique
without regard to case, at most two access keys a user, roles, and inline and managed policies
with their attachments; also when requests race."""

from __future__ import annotations

import asyncio
import re

import pytest

from ferry.control import (
    AccessKeys,
    Accounts,
    Iam,
    IdentityPolicies,
    Policies,
    Roles,
    SecretSealer,
    StoredKeyLookup,
    Users,
)
from ferry.control.iam_errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
)
from ferry.control.iam_records import AccessKeyStatus, NewAccessKey, User
from ferry.control.identifiers import HolderKind
from ferry.control.policies import Holder, PolicySpec
from ferry.control.roles import RoleSpec
from ferry.core.clock import FakeClock
from ferry.core.secret import Secret
from ferry.store import Database
from tests.contract.engines import LinedUp, rendezvous

ACCOUNT, OTHER = "123456789012", "210987654321"
ROOT_SECRET = Secret("root-secret")
ALLOW_GET = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
    '"Resource":"*"}]}'
)
TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
    '{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


@pytest.fixture
async def iam(control_db: Database) -> Iam:
    clock = FakeClock()
    sealer = SecretSealer(ROOT_SECRET)
    accounts = Accounts(control_db, clock, sealer)
    await accounts.ensure(ACCOUNT, "main")
    await accounts.ensure(OTHER, "other")
    policies = Policies(control_db, clock)
    return Iam(
        accounts=accounts, users=Users(control_db, clock),
        access_keys=AccessKeys(control_db, clock, sealer), roles=Roles(control_db, clock),
        policies=policies, identities=IdentityPolicies(policies, accounts),
    )  # fmt: skip


def user(name: str) -> Holder:
    return Holder(account_id=ACCOUNT, kind=HolderKind.USER, name=name)


def role(name: str) -> Holder:
    return Holder(account_id=ACCOUNT, kind=HolderKind.ROLE, name=name)


def spec(name: str, path: str = "/") -> PolicySpec:
    return PolicySpec(name=name, path=path, document=ALLOW_GET, description=None)


def role_spec(name: str) -> RoleSpec:
    return RoleSpec(name=name, path="/", trust_policy=TRUST, description="d", max_session_s=3600)


async def test_accounts_are_listed_and_found_by_canonical_id(iam: Iam) -> None:
    account, key = await iam.accounts.create("team")
    assert [a.name for a in await iam.accounts.list()] == ["main", "other", "team"]
    assert await iam.accounts.account_of_canonical_id(account.canonical_id) == account.account_id
    assert await iam.accounts.account_of_canonical_id("f" * 64) is None
    assert key.key.user_name is None and key.key.account_id == account.account_id


async def test_user_names_are_unique_regardless_of_case(iam: Iam) -> None:
    await iam.users.create(ACCOUNT, "Alice", "/")
    with pytest.raises(EntityAlreadyExists, match=re.escape("User with name alice already")):
        await iam.users.create(ACCOUNT, "alice", "/")
    assert (await iam.users.get(ACCOUNT, "ALICE")).name == "Alice"
    await iam.users.create(OTHER, "alice", "/")  # another account, another namespace


async def test_users_list_in_name_order_in_pages(iam: Iam) -> None:
    for name in ["carol", "Alice", "dave", "bob", "Erin"]:
        await iam.users.create(ACCOUNT, name, "/team/" if name in ("bob", "dave") else "/")
    first = await iam.users.list(ACCOUNT, path_prefix="/", marker=None, max_items=2)
    assert [u.name for u in first.items] == ["Alice", "bob"] and first.is_truncated
    second = await iam.users.list(ACCOUNT, path_prefix="/", marker=first.marker, max_items=2)
    assert [u.name for u in second.items] == ["carol", "dave"]
    last = await iam.users.list(ACCOUNT, path_prefix="/", marker=second.marker, max_items=2)
    assert [u.name for u in last.items] == ["Erin"] and not last.is_truncated
    team = await iam.users.list(ACCOUNT, path_prefix="/team/", marker=None, max_items=100)
    assert [u.name for u in team.items] == ["bob", "dave"]


async def test_concurrent_creates_of_one_name_in_any_case_have_one_winner(
    engine: str, control_db: Database, iam: Iam
) -> None:
    names = ["alice", "Alice", "ALICE", "aLiCe", "alicE", "ALice"]
    racing = Users(LinedUp(control_db, rendezvous(engine, len(names))), FakeClock())
    results = await asyncio.gather(
        *(racing.create(ACCOUNT, n, "/") for n in names), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, User)]
    assert len(winners) == 1, results
    assert all(isinstance(r, EntityAlreadyExists) for r in results if not isinstance(r, User))
    listed = await iam.users.list(ACCOUNT, path_prefix="/", marker=None, max_items=10)
    assert [u.name for u in listed.items] == [winners[0].name]


async def test_a_user_holds_at_most_two_keys_and_keys_open_with_the_root_secret(
    control_db: Database, iam: Iam
) -> None:
    await iam.users.create(ACCOUNT, "alice", "/eng/")
    first = await iam.access_keys.create(ACCOUNT, "alice")
    await iam.access_keys.create(ACCOUNT, "ALICE")
    with pytest.raises(LimitExceeded, match="AccessKeysPerUser: 2"):
        await iam.access_keys.create(ACCOUNT, "alice")
    lookup = StoredKeyLookup(control_db, SecretSealer(ROOT_SECRET), ttl_s=0.0)
    found = lookup.lookup(first.key.access_key_id)
    assert found is not None and found.secret.reveal() == first.secret.reveal()
    assert found.arn == f"arn:aws:iam::{ACCOUNT}:user/eng/alice"
    key_id = first.key.access_key_id
    await iam.access_keys.update_status(ACCOUNT, "alice", key_id, AccessKeyStatus.INACTIVE)
    assert lookup.lookup(key_id) is None  # inactive keys are unknown keys
    listed = await iam.access_keys.list(ACCOUNT, "alice", marker=None, max_items=10)
    assert len(listed.items) == 2
    await iam.access_keys.delete(ACCOUNT, "alice", key_id)
    await iam.access_keys.create(ACCOUNT, "alice")  # room again


async def test_concurrent_key_creation_still_stops_at_two(
    engine: str, control_db: Database, iam: Iam
) -> None:
    await iam.users.create(ACCOUNT, "alice", "/")
    lined_up = LinedUp(control_db, rendezvous(engine, 5))
    racing = AccessKeys(lined_up, FakeClock(), SecretSealer(ROOT_SECRET))
    results = await asyncio.gather(
        *(racing.create(ACCOUNT, "alice") for _ in range(5)), return_exceptions=True
    )
    assert sum(isinstance(r, NewAccessKey) for r in results) == 2, results
    assert sum(isinstance(r, LimitExceeded) for r in results) == 3
    listed = await iam.access_keys.list(ACCOUNT, "alice", marker=None, max_items=10)
    assert len(listed.items) == 2


async def test_a_user_is_deleted_only_once_bare(iam: Iam) -> None:
    await iam.users.create(ACCOUNT, "alice", "/")
    key = await iam.access_keys.create(ACCOUNT, "alice")
    await iam.policies.put_inline(user("alice"), "inline", ALLOW_GET)
    managed = await iam.policies.create_managed(ACCOUNT, spec("read"))
    await iam.policies.attach(user("alice"), managed.arn)
    with pytest.raises(DeleteConflict, match="must delete access keys first"):
        await iam.users.delete(ACCOUNT, "alice")
    await iam.access_keys.delete(ACCOUNT, "alice", key.key.access_key_id)
    with pytest.raises(DeleteConflict, match="must delete policies first"):
        await iam.users.delete(ACCOUNT, "Alice")
    await iam.policies.delete_inline(user("ALICE"), "INLINE")
    with pytest.raises(DeleteConflict, match="must detach all policies first"):
        await iam.users.delete(ACCOUNT, "alice")
    await iam.policies.detach(user("alice"), managed.arn)
    await iam.users.delete(ACCOUNT, "alice")
    with pytest.raises(NoSuchEntity):
        await iam.users.get(ACCOUNT, "alice")


async def test_a_role_keeps_its_trust_policy_and_refuses_deletion_with_policies(
    iam: Iam,
) -> None:
    created = await iam.roles.create(ACCOUNT, role_spec("rep"))
    assert created.arn == f"arn:aws:iam::{ACCOUNT}:role/rep"
    assert created.role_id.startswith("AROA") and created.trust_policy == TRUST
    with pytest.raises(EntityAlreadyExists):
        await iam.roles.create(ACCOUNT, role_spec("REP"))
    assert (await iam.roles.get(ACCOUNT, "Rep")).max_session_s == 3600
    await iam.policies.put_inline(role("rep"), "p", ALLOW_GET)
    with pytest.raises(DeleteConflict, match="must delete policies first"):
        await iam.roles.delete(ACCOUNT, "rep")
    await iam.policies.delete_inline(role("rep"), "p")
    await iam.roles.delete(ACCOUNT, "rep")
    with pytest.raises(NoSuchEntity):
        await iam.roles.get(ACCOUNT, "rep")


async def test_managed_policies_count_attachments_and_stop_at_ten_a_holder(iam: Iam) -> None:
    await iam.users.create(ACCOUNT, "alice", "/")
    await iam.roles.create(ACCOUNT, role_spec("rep"))
    created = await iam.policies.create_managed(ACCOUNT, spec("read", "/ops/"))
    assert created.arn == f"arn:aws:iam::{ACCOUNT}:policy/ops/read"
    with pytest.raises(EntityAlreadyExists):
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
    for index in range(9):
        extra = await iam.policies.create_managed(ACCOUNT, spec(f"p{index}"))
        await iam.policies.attach(user("alice"), extra.arn)
    eleventh = await iam.policies.create_managed(ACCOUNT, spec("p10"))
    with pytest.raises(LimitExceeded, match="PoliciesPerUser: 10"):
        await iam.policies.attach(user("alice"), eleventh.arn)
    foreign = await iam.policies.create_managed(OTHER, spec("theirs"))
    with pytest.raises(NoSuchEntity, match="does not exist or is not attachable"):
        await iam.policies.attach(role("rep"), foreign.arn)


async def test_identity_policies_are_the_inline_and_the_attached(iam: Iam) -> None:
    await iam.users.create(ACCOUNT, "alice", "/eng/")
    await iam.policies.put_inline(user("alice"), "inline", ALLOW_GET)
    await iam.policies.put_inline(user("alice"), "INLINE", ALLOW_GET)  # the same one, replaced
    managed = await iam.policies.create_managed(ACCOUNT, spec("read"))
    await iam.policies.attach(user("alice"), managed.arn)
    policies = await iam.identities.identity_policies(f"arn:aws:iam::{ACCOUNT}:user/eng/alice")
    assert len(policies) == 2
    assert await iam.identities.identity_policies(f"arn:aws:iam::{ACCOUNT}:user/ghost") == ()


async def test_concurrent_attachments_still_stop_at_ten_a_holder(
    engine: str, control_db: Database, iam: Iam
) -> None:
    await iam.users.create(ACCOUNT, "alice", "/")
    arns = [(await iam.policies.create_managed(ACCOUNT, spec(f"p{n}"))).arn for n in range(12)]
    racing = Policies(LinedUp(control_db, rendezvous(engine, len(arns))), FakeClock())
    results = await asyncio.gather(
        *(racing.attach(user("alice"), arn) for arn in arns), return_exceptions=True
    )
    assert sum(isinstance(r, LimitExceeded) for r in results) == 2, results
    attached = await iam.policies.list_attached(
        user("alice"), path_prefix="/", marker=None, max_items=100
    )
    assert len(attached.items) == 10
