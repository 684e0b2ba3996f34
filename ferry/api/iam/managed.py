"""IAM operations on managed policies and their attachment to users and roles."""

from __future__ import annotations

from ferry.api.iam import views
from ferry.api.iam.call import IamCall
from ferry.api.iam.roles import role_resource
from ferry.api.iam.users import user_resource
from ferry.control import iam_names as names
from ferry.control import policy_documents
from ferry.control.iam_errors import IamValidationError, NoSuchEntity
from ferry.control.identifiers import HolderKind, policy_arn
from ferry.control.policies import Holder, PolicySpec
from ferry.control.policy import Policy
from ferry.protocol.xml.iam import Field

Result = list[Field] | None
POLICY_ARN_MIN = 20
POLICY_ARN_MAX = 2048
SCOPES = ("All", "AWS", "Local")


def _policy_arn(call: IamCall) -> str:
    return names.check_text(
        call.required("PolicyArn"),
        "policyArn",
        pattern=r"[\u0009\u000A\u000D\u0020-\u00FF]+",
        max_length=POLICY_ARN_MAX,
        min_length=POLICY_ARN_MIN,
    )


async def create_policy(call: IamCall) -> Result:
    spec = PolicySpec(
        name=names.policy_name(call.required("PolicyName")),
        path=names.path(call.optional("Path")),
        document=names.document(call.required("PolicyDocument")),
        description=names.description(call.optional("Description")),
    )
    await call.authorize("iam:CreatePolicy", policy_arn(call.account_id, spec.path, spec.name))
    policy_documents.parse_managed(spec.document)
    created = await call.iam.policies.create_managed(call.account_id, spec)
    return [("Policy", views.managed_policy(created))]


async def get_policy(call: IamCall) -> Result:
    arn = _policy_arn(call)
    await call.authorize("iam:GetPolicy", arn)
    return [
        ("Policy", views.managed_policy(await call.iam.policies.get_managed(call.account_id, arn)))
    ]


async def get_policy_version(call: IamCall) -> Result:
    arn = _policy_arn(call)
    version_id = call.required("VersionId")
    await call.authorize("iam:GetPolicyVersion", arn)
    found = await call.iam.policies.get_managed(call.account_id, arn)
    if version_id != found.DEFAULT_VERSION_ID:
        raise NoSuchEntity(
            f"Policy {arn} version {version_id} does not exist or is not attachable."
        )
    return [("PolicyVersion", views.policy_version(found))]


async def delete_policy(call: IamCall) -> Result:
    arn = _policy_arn(call)
    await call.authorize("iam:DeletePolicy", arn)
    await call.iam.policies.delete_managed(call.account_id, arn)
    return None


async def list_policies(call: IamCall) -> Result:
    scope = call.optional("Scope") or "All"
    if scope not in SCOPES:
        raise IamValidationError(
            f"1 validation error detected: Value '{scope}' at 'scope' failed to satisfy"
            " constraint: Member must satisfy enum value set: [All, AWS, Local]"
        )
    await call.authorize("iam:ListPolicies", f"arn:aws:iam::{call.account_id}:policy/*")
    max_items = names.max_items(call.optional("MaxItems"))
    listed = await call.iam.policies.list_managed(
        call.account_id,
        path_prefix=names.path_prefix(call.optional("PathPrefix")),
        only_attached=call.flag("OnlyAttached"),
        marker=call.optional("Marker"),
        max_items=max_items,
    )
    if scope == "AWS":  # Ferry has no AWS-managed policies
        return [("Policies", []), ("IsTruncated", False)]
    return views.page("Policies", listed, views.managed_policy)


# ---- attachments ---------------------------------------------------------------------------


async def _holder(call: IamCall, kind: HolderKind, action: str) -> Holder:
    if kind is HolderKind.USER:
        name = names.user_name(call.required("UserName"))
        resource = await user_resource(call, name)
    else:
        name = names.role_name(call.required("RoleName"))
        resource = await role_resource(call, name)
    await call.authorize(action, resource)
    return Holder(account_id=call.account_id, kind=kind, name=name)


async def _document_of(call: IamCall, arn: str) -> Policy:
    found = await call.iam.policies.get_managed(call.account_id, arn)
    return policy_documents.parse_managed(found.document)


async def attach(call: IamCall, kind: HolderKind) -> Result:
    arn = _policy_arn(call)
    action = "iam:AttachUserPolicy" if kind is HolderKind.USER else "iam:AttachRolePolicy"
    holder = await _holder(call, kind, action)
    if not call.is_root:
        await call.check_grant(await _document_of(call, arn))
    await call.iam.policies.attach(holder, arn)
    call.iam.identities.forget()
    return None


async def detach(call: IamCall, kind: HolderKind) -> Result:
    arn = _policy_arn(call)
    action = "iam:DetachUserPolicy" if kind is HolderKind.USER else "iam:DetachRolePolicy"
    holder = await _holder(call, kind, action)
    await call.iam.policies.detach(holder, arn)
    call.iam.identities.forget()
    return None


async def list_attached(call: IamCall, kind: HolderKind) -> Result:
    action = (
        "iam:ListAttachedUserPolicies"
        if kind is HolderKind.USER
        else "iam:ListAttachedRolePolicies"
    )
    holder = await _holder(call, kind, action)
    listed = await call.iam.policies.list_attached(
        holder,
        path_prefix=names.path_prefix(call.optional("PathPrefix")),
        marker=call.optional("Marker"),
        max_items=names.max_items(call.optional("MaxItems")),
    )
    return views.page("AttachedPolicies", listed, views.attached_policy)


async def attach_user_policy(call: IamCall) -> Result:
    return await attach(call, HolderKind.USER)


async def attach_role_policy(call: IamCall) -> Result:
    return await attach(call, HolderKind.ROLE)


async def detach_user_policy(call: IamCall) -> Result:
    return await detach(call, HolderKind.USER)


async def detach_role_policy(call: IamCall) -> Result:
    return await detach(call, HolderKind.ROLE)


async def list_attached_user_policies(call: IamCall) -> Result:
    return await list_attached(call, HolderKind.USER)


async def list_attached_role_policies(call: IamCall) -> Result:
    return await list_attached(call, HolderKind.ROLE)
