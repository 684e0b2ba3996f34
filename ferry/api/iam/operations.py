"""IAM's operation table (`Action` → operation), and STS's one operation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ferry.api.auth import Principal, PrincipalKind
from ferry.api.context import Services
from ferry.api.iam import inline, managed, roles, users
from ferry.api.iam.call import IamCall
from ferry.api.iam.errors import QueryError
from ferry.control import Iam
from ferry.control.identifiers import HolderKind, parse_principal_arn
from ferry.protocol.xml.iam import Field

Operation = Callable[[IamCall], Awaitable[list[Field] | None]]

IAM_OPERATIONS: dict[str, Operation] = {
    "CreateUser": users.create_user,
    "GetUser": users.get_user,
    "DeleteUser": users.delete_user,
    "ListUsers": users.list_users,
    "CreateAccessKey": users.create_access_key,
    "DeleteAccessKey": users.delete_access_key,
    "ListAccessKeys": users.list_access_keys,
    "UpdateAccessKey": users.update_access_key,
    **inline.operations(HolderKind.USER),
    "CreateRole": roles.create_role,
    "GetRole": roles.get_role,
    "DeleteRole": roles.delete_role,
    "ListRoles": roles.list_roles,
    **inline.operations(HolderKind.ROLE),
    "CreatePolicy": managed.create_policy,
    "GetPolicy": managed.get_policy,
    "GetPolicyVersion": managed.get_policy_version,
    "DeletePolicy": managed.delete_policy,
    "ListPolicies": managed.list_policies,
    "AttachUserPolicy": managed.attach_user_policy,
    "DetachUserPolicy": managed.detach_user_policy,
    "ListAttachedUserPolicies": managed.list_attached_user_policies,
    "AttachRolePolicy": managed.attach_role_policy,
    "DetachRolePolicy": managed.detach_role_policy,
    "ListAttachedRolePolicies": managed.list_attached_role_policies,
}


def iam_of(services: Services) -> Iam:
    if services.iam is None:
        raise QueryError("ServiceUnavailable", 503, "IAM is not configured in this region.")
    return services.iam


async def get_caller_identity(principal: Principal, services: Services) -> list[Field]:
    return [
        ("UserId", await _user_id(principal, services)),
        ("Account", principal.account_id),
        ("Arn", principal.arn),
    ]


async def _user_id(principal: Principal, services: Services) -> str:
    """GetCallerIdentity's UserId: the account ID for roots, the AIDA… ID for users."""
    name = parse_principal_arn(principal.arn)
    if principal.kind is PrincipalKind.USER and name is not None:
        user = await iam_of(services).users.get(principal.account_id, name.name)
        return user.user_id
    if principal.kind is PrincipalKind.ROLE and name is not None:
        role = await iam_of(services).roles.get(principal.account_id, name.name)
        return f"{role.role_id}:{principal.arn.rsplit('/', 1)[-1]}"
    return principal.account_id
