"""Policy evaluation: AWS's logic, pure ("Policy evaluation logic" in the IAM User Guide).

1. Every applicable statement of every policy is found (principal, action, resource and all
   conditions match).
2. An explicit Deny anywhere wins.
3. Same account (the principal's account owns the resource): an Allow in an identity policy
   OR in the resource policy allows.
   Cross-account: the identity side AND the resource policy must both allow.
4. Otherwise the request is implicitly denied.

An account's root user has every permission on the identity side (it needs no identity
policy), which makes it all-powerful on its own account's resources; an explicit Deny in a
bucket policy still applies to it. Anonymous principals have no identity side: only a resource
policy naming everyone (`"*"`, `{"AWS": "*"}`) can let them in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from ferry.control.policy.conditions import Context, condition_holds
from ferry.control.policy.model import Condition, Effect, Policy, Principals, Statement
from ferry.control.policy.wildcards import matches_wildcard

ASSUME_ROLE = "sts:AssumeRole"
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_VERSION = "2012-10-17"  # policy variables exist only from this version on


class Decision(StrEnum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"


@dataclass(frozen=True, slots=True, kw_only=True)
class PrincipalFacts:
    """Who asks, as policies see it. Anonymous: `account_id` None and `arn` "*"."""

    arn: str
    account_id: str | None
    is_account_root: bool = False
    service: str | None = None  # a service principal (trust policies), e.g. s3.amazonaws.com
    canonical_id: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.account_id is None and self.service is None


ANONYMOUS_FACTS = PrincipalFacts(arn="*", account_id=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessRequest:
    """One action on one resource; a request needing several is authorised once per pair."""

    principal: PrincipalFacts
    action: str  # e.g. s3:GetObject
    resource: str | None  # e.g. arn:aws:s3:::bucket/key; None for trust policies
    context: Context = field(default_factory=dict)  # lower-cased condition keys → values


def decide(
    request: AccessRequest,
    *,
    identity_policies: Sequence[Policy],
    resource_policy: Policy | None,
    resource_account: str | None,
) -> Decision:
    """`resource_account` is the account owning the resource (None: no resource yet, such as
    CreateBucket or ListBuckets, where only the identity side speaks)."""
    principal = request.principal
    identity_effects = (
        []
        if principal.is_anonymous
        else [
            effect
            for policy in identity_policies
            for effect in _applicable_effects(policy, request, check_principal=False)
        ]
    )
    resource_effects = (
        list(_applicable_effects(resource_policy, request, check_principal=True))
        if resource_policy is not None
        else []
    )
    if Effect.DENY in identity_effects or Effect.DENY in resource_effects:
        return Decision.EXPLICIT_DENY
    identity_allows = not principal.is_anonymous and (
        principal.is_account_root or Effect.ALLOW in identity_effects
    )
    resource_allows = Effect.ALLOW in resource_effects
    if principal.is_anonymous:
        allowed = resource_allows
    elif resource_account is None or resource_account == principal.account_id:
        allowed = identity_allows or resource_allows
    else:
        allowed = identity_allows and resource_allows
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def trusts_service(policy: Policy, service: str, context: Context | None = None) -> bool:
    """Whether a role's trust policy lets `service` (s3.amazonaws.com,
    batchoperations.s3.amazonaws.com) assume the role."""
    request = AccessRequest(
        principal=PrincipalFacts(arn=service, account_id=None, service=service),
        action=ASSUME_ROLE,
        resource=None,
        context=context or {},
    )
    effects = list(_applicable_effects(policy, request, check_principal=True))
    return Effect.ALLOW in effects and Effect.DENY not in effects


def _applicable_effects(
    policy: Policy, request: AccessRequest, *, check_principal: bool
) -> Iterator[Effect]:
    variables = policy.version == _VARIABLE_VERSION
    for statement in policy.statements:
        if _applies(statement, request, check_principal=check_principal, variables=variables):
            yield statement.effect


def _applies(
    statement: Statement, request: AccessRequest, *, check_principal: bool, variables: bool
) -> bool:
    if check_principal and not _principal_applies(statement, request.principal):
        return False
    if not _action_applies(statement, request.action):
        return False
    if request.resource is not None and not _resource_applies(statement, request, variables):
        return False
    context = request.context
    return all(
        condition_holds(_with_variables(condition, context) if variables else condition, context)
        for condition in statement.conditions
    )


def _principal_applies(statement: Statement, principal: PrincipalFacts) -> bool:
    if statement.principal is not None:
        return principal_matches(statement.principal, principal)
    # parse_policy gives every resource and trust statement one of the two
    not_principal = statement.not_principal
    return not_principal is not None and not principal_matches(not_principal, principal)


def principal_matches(principals: Principals, principal: PrincipalFacts) -> bool:
    if principals.is_everyone:
        return True
    if principal.service is not None:
        return principal.service in principals.service
    if principal.canonical_id is not None and principal.canonical_id in principals.canonical_user:
        return True
    if principal.account_id is None:
        return False
    return any(_aws_principal_matches(name, principal) for name in principals.aws)


def _aws_principal_matches(name: str, principal: PrincipalFacts) -> bool:
    """A 12-digit account ID and `arn:aws:iam::ACCT:root` name the whole account: any
    principal of it. Anything else names one user or role by ARN."""
    if name == principal.account_id or name == f"arn:aws:iam::{principal.account_id}:root":
        return True
    return name == principal.arn


def _action_applies(statement: Statement, action: str) -> bool:
    if statement.actions is not None:
        return any(matches_wildcard(p, action, ignore_case=True) for p in statement.actions)
    patterns = statement.not_actions or ()
    return not any(matches_wildcard(p, action, ignore_case=True) for p in patterns)


def _resource_applies(statement: Statement, request: AccessRequest, variables: bool) -> bool:
    resource = request.resource or ""
    if statement.resources is not None:
        return _any_resource_matches(statement.resources, resource, request.context, variables)
    patterns = statement.not_resources or ()
    return not _any_resource_matches(patterns, resource, request.context, variables)


def _any_resource_matches(
    patterns: Sequence[str], resource: str, context: Context, variables: bool
) -> bool:
    for pattern in patterns:
        expanded = substitute_variables(pattern, context) if variables else pattern
        if expanded is not None and matches_wildcard(expanded, resource):
            return True
    return False


def substitute_variables(text: str, context: Context) -> str | None:
    """`${aws:username}` → its single context value. None: a variable has no (single) value,
    so the element cannot match. (The escapes `${*}`, `${?}`, `${$}` are not supported.)"""
    missing = False

    def value_of(match: re.Match[str]) -> str:
        nonlocal missing
        values = context.get(match.group(1).strip().lower(), ())
        if len(values) != 1:
            missing = True
            return ""
        return values[0]

    result = _VARIABLE.sub(value_of, text)
    return None if missing else result


def _with_variables(condition: Condition, context: Context) -> Condition:
    """Variables are expanded in string and ARN condition values; a value whose variable is
    missing is dropped (it cannot match)."""
    if not condition.operator.startswith(("String", "Arn")):
        return condition
    expanded = (substitute_variables(value, context) for value in condition.values)
    return replace(condition, values=tuple(value for value in expanded if value is not None))
