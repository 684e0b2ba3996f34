"""Who may call the KMS API: IAM users and roles as their identity policies allow `kms:<Op>`
on the key (AWS's default key policy delegates to IAM), account roots in their own account.

The resource is the key's ARN (an alias ARN too for CreateAlias/DeleteAlias, as AWS asks for
both), or `*` for CreateKey, ListKeys and ListAliases. A reference that names no key of the
caller's account is left to the operation, which answers NotFoundException or
AccessDeniedException itself. Decisions AWS leaves open are in docs/encryption.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from ferry.api.access import identity_policies_of, principal_facts
from ferry.api.auth import Principal, PrincipalKind
from ferry.api.context import Services
from ferry.api.http import Request
from ferry.api.kms.errors import KmsApiError
from ferry.api.kms.params import Params
from ferry.api.permissions import global_context
from ferry.control.policy import (
    AccessRequest,
    Context,
    Decision,
    Policy,
    PrincipalFacts,
    decide,
    decide_key_use,
)
from ferry.crypto import CryptoError, KeyService
from ferry.crypto.kms_blob import blob_key_id
from ferry.crypto.kms_records import alias_arn

ANY_RESOURCE = "*"
_UNSCOPED = frozenset({"CreateKey", "ListKeys", "ListAliases"})
_WITH_CONTEXT = frozenset(
    {"Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext"}
)


async def authorize_kms_call(
    operation: str, params: Params, principal: Principal, request: Request, services: Services
) -> None:
    """Raises AccessDeniedException unless `principal` may call `operation` as asked."""
    if principal.kind not in (PrincipalKind.USER, PrincipalKind.ROLE):
        return  # roots: every key of their own account (the key service checks the account)
    assert services.kms is not None
    resources = await _resources(operation, params, services.kms, principal.account_id)
    policies = await identity_policies_of(principal, services)
    facts = principal_facts(principal)
    context = global_context(principal, request, services.clock.now())
    encryption_context = params.context() if operation in _WITH_CONTEXT else {}
    action = f"kms:{operation}"
    for resource in resources:
        decision = _decide(facts, action, resource, policies, context, encryption_context)
        if decision is not Decision.ALLOW:
            because = (
                "with an explicit deny in an identity-based policy"
                if decision is Decision.EXPLICIT_DENY
                else f"because no identity-based policy allows the {action} action"
            )
            raise KmsApiError(
                "AccessDeniedException",
                f"User: {principal.arn} is not authorized to perform: {action} on resource: "
                f"{resource} {because}",
            )


def _decide(
    facts: PrincipalFacts,
    action: str,
    resource: str,
    policies: Sequence[Policy],
    context: Context,
    encryption_context: dict[str, str],
) -> Decision:
    if resource == ANY_RESOURCE:
        request = AccessRequest(principal=facts, action=action, resource="*", context=context)
        return decide(request, identity_policies=policies, resource_policy=None,
                      resource_account=None)  # fmt: skip
    return decide_key_use(
        facts, action, resource, identity_policies=policies, context=context,
        encryption_context=encryption_context,
    )  # fmt: skip


async def _resources(operation: str, params: Params, kms: KeyService, account: str) -> list[str]:
    if operation in _UNSCOPED:
        return [ANY_RESOURCE]
    if operation == "CreateAlias":
        name = params.required_string("AliasName", max_chars=256)
        target = await _key(kms, params.required_string("TargetKeyId"), account)
        return [alias_arn(kms.region, account, name), *target]
    if operation == "DeleteAlias":
        name = params.required_string("AliasName", max_chars=256)
        return [alias_arn(kms.region, account, name)]
    if operation == "Decrypt":
        named = params.string("KeyId")
        if named is not None:
            return await _key(kms, named, account)
        try:
            key_id = blob_key_id(params.blob("CiphertextBlob", required=True) or b"")
        except CryptoError:
            return []  # not a Ferry ciphertext: Decrypt answers InvalidCiphertextException
        return await _key(kms, key_id, account)
    return await _key(kms, params.required_string("KeyId"), account)


async def _key(kms: KeyService, key_ref: str, account: str) -> list[str]:
    try:
        return [(await kms.describe_key(key_ref, account_id=account)).arn]
    except CryptoError:
        return []  # no key of this account: the operation itself answers
