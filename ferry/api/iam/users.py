"""IAM operations on users, their access keys and their inline policies."""

from __future__ import annotations

from ferry.api.auth import PrincipalKind
from ferry.api.iam import views
from ferry.api.iam.call import IamCall
from ferry.control import iam_names as names
from ferry.control.iam_errors import IamValidationError, NoSuchEntity
from ferry.control.iam_records import AccessKeyStatus
from ferry.control.identifiers import root_arn, user_arn
from ferry.protocol.xml.iam import Field

Result = list[Field] | None


async def user_resource(call: IamCall, name: str) -> str:
    """The user's ARN as policies name it (with its path, when the user exists)."""
    if call.is_root:
        return user_arn(call.account_id, "/", name)  # roots are not judged by resource
    try:
        return (await call.iam.users.get(call.account_id, name)).arn
    except NoSuchEntity:
        return user_arn(call.account_id, "/", name)


def _caller_user_name(call: IamCall) -> str | None:
    """The caller's own user name (None for roots: their own keys are the root's)."""
    if call.principal.kind is PrincipalKind.USER:
        return call.principal.arn.rsplit("/", 1)[-1]
    if call.is_root:
        return None
    raise IamValidationError("Must specify userName when calling with non-User credentials")


async def create_user(call: IamCall) -> Result:
    name = names.user_name(call.required("UserName"))
    path = names.path(call.optional("Path"))
    await call.authorize("iam:CreateUser", user_arn(call.account_id, path, name))
    return [("User", views.user(await call.iam.users.create(call.account_id, name, path)))]


async def get_user(call: IamCall) -> Result:
    given = call.optional("UserName")
    name = names.user_name(given) if given is not None else _caller_user_name(call)
    if name is None:  # a root asking about itself
        account = await call.iam.accounts.get(call.account_id)
        return [
            ("User", [
                ("UserId", call.account_id),
                ("Arn", root_arn(call.account_id)),
                ("CreateDate", account.created),
            ]),
        ]  # fmt: skip
    await call.authorize("iam:GetUser", await user_resource(call, name))
    return [("User", views.user(await call.iam.users.get(call.account_id, name)))]


async def delete_user(call: IamCall) -> Result:
    name = names.user_name(call.required("UserName"))
    await call.authorize("iam:DeleteUser", await user_resource(call, name))
    await call.iam.users.delete(call.account_id, name)
    return None


async def list_users(call: IamCall) -> Result:
    prefix = names.path_prefix(call.optional("PathPrefix"))
    await call.authorize("iam:ListUsers", f"arn:aws:iam::{call.account_id}:user/*")
    listed = await call.iam.users.list(
        call.account_id,
        path_prefix=prefix,
        marker=call.optional("Marker"),
        max_items=names.max_items(call.optional("MaxItems")),
    )
    return views.page("Users", listed, views.user)


# ---- access keys ---------------------------------------------------------------------------


async def _key_holder(call: IamCall, action: str) -> str | None:
    """The user whose keys are meant (None: the caller's root), after authorising `action`."""
    given = call.optional("UserName")
    name = names.user_name(given) if given is not None else _caller_user_name(call)
    resource = root_arn(call.account_id) if name is None else await user_resource(call, name)
    await call.authorize(action, resource)
    return name


async def create_access_key(call: IamCall) -> Result:
    name = await _key_holder(call, "iam:CreateAccessKey")
    created = await call.iam.access_keys.create(call.account_id, name)
    return [("AccessKey", views.new_access_key(created))]


async def list_access_keys(call: IamCall) -> Result:
    name = await _key_holder(call, "iam:ListAccessKeys")
    listed = await call.iam.access_keys.list(
        call.account_id,
        name,
        marker=call.optional("Marker"),
        max_items=names.max_items(call.optional("MaxItems")),
    )
    return views.page("AccessKeyMetadata", listed, views.access_key_metadata)


async def delete_access_key(call: IamCall) -> Result:
    key_id = names.access_key_id(call.required("AccessKeyId"))
    name = await _key_holder(call, "iam:DeleteAccessKey")
    await call.iam.access_keys.delete(call.account_id, name, key_id)
    return None


async def update_access_key(call: IamCall) -> Result:
    key_id = names.access_key_id(call.required("AccessKeyId"))
    status_text = call.required("Status")
    try:
        status = AccessKeyStatus(status_text)
    except ValueError as exc:
        raise IamValidationError(
            f"1 validation error detected: Value '{status_text}' at 'status' failed to satisfy"
            " constraint: Member must satisfy enum value set: [Active, Inactive]"
        ) from exc
    name = await _key_holder(call, "iam:UpdateAccessKey")
    await call.iam.access_keys.update_status(call.account_id, name, key_id, status)
    return None
