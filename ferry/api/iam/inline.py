"""Inline policies of users and roles: Put/Get/Delete/List{User,Role}Policy are one set of
operations, told apart only by the entity they name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ferry.api.iam import views
from ferry.api.iam.call import IamCall
from ferry.api.iam.roles import role_resource
from ferry.api.iam.users import user_resource
from ferry.control import iam_names as names
from ferry.control import policy_documents
from ferry.control.identifiers import HolderKind
from ferry.control.policies import Holder
from ferry.protocol.xml.iam import Field

Result = list[Field] | None
Operation = Callable[[IamCall], Awaitable[Result]]


@dataclass(frozen=True, slots=True)
class _Entity:
    kind: HolderKind
    noun: str  # "User" or "Role", as in the action and parameter names
    valid_name: Callable[[str], str]
    resource: Callable[[IamCall, str], Awaitable[str]]


_ENTITIES = {
    HolderKind.USER: _Entity(HolderKind.USER, "User", names.user_name, user_resource),
    HolderKind.ROLE: _Entity(HolderKind.ROLE, "Role", names.role_name, role_resource),
}


async def _holder(call: IamCall, entity: _Entity, action: str) -> Holder:
    name = entity.valid_name(call.required(f"{entity.noun}Name"))
    await call.authorize(action, await entity.resource(call, name))
    return Holder(account_id=call.account_id, kind=entity.kind, name=name)


async def _stored_name(call: IamCall, holder: Holder) -> str:
    """The entity's name as created (IAM names are case-insensitive on lookup)."""
    if holder.kind is HolderKind.USER:
        return (await call.iam.users.get(call.account_id, holder.name)).name
    return (await call.iam.roles.get(call.account_id, holder.name)).name


def operations(kind: HolderKind) -> dict[str, Operation]:
    """The four inline-policy operations for users or roles, by IAM action name."""
    entity = _ENTITIES[kind]
    noun = entity.noun

    async def put(call: IamCall) -> Result:
        policy_name = names.policy_name(call.required("PolicyName"))
        document = names.document(call.required("PolicyDocument"))
        holder = await _holder(call, entity, f"iam:Put{noun}Policy")
        await call.check_grant(policy_documents.parse_inline(document, kind))
        await call.iam.policies.put_inline(holder, policy_name, document)
        call.iam.identities.forget()
        return None

    async def get(call: IamCall) -> Result:
        policy_name = names.policy_name(call.required("PolicyName"))
        holder = await _holder(call, entity, f"iam:Get{noun}Policy")
        stored_policy, document = await call.iam.policies.get_inline(holder, policy_name)
        return [
            (f"{noun}Name", await _stored_name(call, holder)),
            ("PolicyName", stored_policy),
            ("PolicyDocument", views.url_encoded(document)),
        ]

    async def delete(call: IamCall) -> Result:
        policy_name = names.policy_name(call.required("PolicyName"))
        holder = await _holder(call, entity, f"iam:Delete{noun}Policy")
        await call.iam.policies.delete_inline(holder, policy_name)
        call.iam.identities.forget()
        return None

    async def list_names(call: IamCall) -> Result:
        holder = await _holder(call, entity, f"iam:List{noun}Policies")
        listed = await call.iam.policies.list_inline(
            holder,
            marker=call.optional("Marker"),
            max_items=names.max_items(call.optional("MaxItems")),
        )
        return views.page("PolicyNames", listed, lambda name: name)

    return {
        f"Put{noun}Policy": put,
        f"Get{noun}Policy": get,
        f"Delete{noun}Policy": delete,
        f"List{noun}Policies": list_names,
    }
