"""IAM operations on roles and their inline policies."""

from __future__ import annotations

from ferry.api.iam import views
from ferry.api.iam.call import IamCall
from ferry.control import iam_names as names
from ferry.control import policy_documents
from ferry.control.iam_errors import NoSuchEntity
from ferry.control.identifiers import role_arn
from ferry.control.roles import RoleSpec
from ferry.protocol.xml.iam import Field

Result = list[Field] | None


async def role_resource(call: IamCall, name: str) -> str:
    """The role's ARN as policies name it (with its path, when the role exists)."""
    if call.is_root:
        return role_arn(call.account_id, "/", name)
    try:
        return (await call.iam.roles.get(call.account_id, name)).arn
    except NoSuchEntity:
        return role_arn(call.account_id, "/", name)


async def create_role(call: IamCall) -> Result:
    name = names.role_name(call.required("RoleName"))
    path = names.path(call.optional("Path"))
    trust = names.document(call.required("AssumeRolePolicyDocument"), "assumeRolePolicyDocument")
    spec = RoleSpec(
        name=name,
        path=path,
        trust_policy=trust,
        description=names.description(call.optional("Description")),
        max_session_s=names.max_session_duration(call.optional("MaxSessionDuration")),
    )
    await call.authorize("iam:CreateRole", role_arn(call.account_id, path, name))
    policy_documents.parse_trust(trust)
    return [("Role", views.role(await call.iam.roles.create(call.account_id, spec)))]


async def get_role(call: IamCall) -> Result:
    name = names.role_name(call.required("RoleName"))
    await call.authorize("iam:GetRole", await role_resource(call, name))
    return [("Role", views.role(await call.iam.roles.get(call.account_id, name)))]


async def delete_role(call: IamCall) -> Result:
    name = names.role_name(call.required("RoleName"))
    await call.authorize("iam:DeleteRole", await role_resource(call, name))
    await call.iam.roles.delete(call.account_id, name)
    return None


async def list_roles(call: IamCall) -> Result:
    prefix = names.path_prefix(call.optional("PathPrefix"))
    await call.authorize("iam:ListRoles", f"arn:aws:iam::{call.account_id}:role/*")
    listed = await call.iam.roles.list(
        call.account_id,
        path_prefix=prefix,
        marker=call.optional("Marker"),
        max_items=names.max_items(call.optional("MaxItems")),
    )
    return views.page("Roles", listed, views.role)
