"""One IAM call as an operation sees it: its parameters, the caller, and the two checks every
mutating operation makes: may the caller do this (`authorize`), and does a policy it hands
out grant no more than the caller holds itself (`check_grant`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ferry.api.access import principal_facts
from ferry.api.auth import Principal, PrincipalKind
from ferry.api.http import Request
from ferry.control import Iam
from ferry.control.iam_errors import IamAccessDenied, IamValidationError
from ferry.control.policy import AccessRequest, Decision, Effect, Policy, decide
from ferry.control.policy.conditions import Context

ROOT_KINDS = frozenset({PrincipalKind.DEPLOYMENT_ROOT, PrincipalKind.ACCOUNT_ROOT})
IAM_CALLER_KINDS = ROOT_KINDS | {PrincipalKind.USER, PrincipalKind.ROLE}
ANY = "*"


@dataclass(frozen=True, slots=True, kw_only=True)
class IamCall:
    params: Mapping[str, str]
    principal: Principal
    request: Request
    iam: Iam
    now: datetime

    @property
    def account_id(self) -> str:
        """The account every IAM operation acts on: the caller's own."""
        return self.principal.account_id

    @property
    def is_root(self) -> bool:
        return self.principal.kind in ROOT_KINDS

    def optional(self, name: str) -> str | None:
        return self.params.get(name)

    def required(self, name: str) -> str:
        value = self.params.get(name)
        if value is None:
            field = name[:1].lower() + name[1:]
            raise IamValidationError(
                f"1 validation error detected: Value null at '{field}' failed to satisfy "
                "constraint: Member must not be null"
            )
        return value

    def flag(self, name: str) -> bool:
        return (self.params.get(name) or "").lower() == "true"

    def context(self) -> Context:
        request, principal = self.request, self.principal
        context: dict[str, tuple[str, ...]] = {
            "aws:securetransport": ("true" if request.scheme == "https" else "false",),
            "aws:principalarn": (principal.arn,),
            "aws:principalaccount": (principal.account_id,),
            "aws:currenttime": (self.now.strftime("%Y-%m-%dT%H:%M:%SZ"),),
        }
        if request.client_host:
            context["aws:sourceip"] = (request.client_host,)
        if principal.kind is PrincipalKind.USER:
            context["aws:username"] = (principal.arn.rsplit("/", 1)[-1],)
        return context

    async def _decision(self, action: str, resource: str, policies: Sequence[Policy]) -> Decision:
        return decide(
            AccessRequest(
                principal=principal_facts(self.principal),
                action=action,
                resource=resource,
                context=self.context(),
            ),
            identity_policies=policies,
            resource_policy=None,
            resource_account=self.account_id,
        )

    async def authorize(self, action: str, resource: str) -> None:
        """Roots may do anything in their account; users and roles what their identity
        policies allow (IAM resources have no resource policies); nobody else anything."""
        if self.is_root:
            return
        if self.principal.kind not in IAM_CALLER_KINDS:
            raise self._denied(action, resource)
        policies = await self.iam.identities.identity_policies(self.principal.arn)
        decision = await self._decision(action, resource, policies)
        if decision is not Decision.ALLOW:
            raise self._denied(action, resource, explicit=decision is Decision.EXPLICIT_DENY)

    async def check_grant(self, policy: Policy) -> None:
        """No policy can grant more than its author holds (a user allowed iam:PutUserPolicy
        must not make itself administrator). For every Allow statement, the caller must
        itself be allowed each (action, resource) pair it names, taken literally: a wildcard
        such as `s3:Get*` or `arn:aws:s3:::logs/*` needs the caller to hold that same
        wildcard (or a broader one). `NotAction`/`NotResource` grant open-ended sets, so
        they need `*`. Conditions of the granted statement are not weighed (it is judged as
        if they held); Deny statements only take away and are always accepted."""
        if self.is_root:
            return
        policies = await self.iam.identities.identity_policies(self.principal.arn)
        for statement in policy.statements:
            if statement.effect is not Effect.ALLOW:
                continue
            actions = statement.actions if statement.not_actions is None else (ANY,)
            resources = statement.resources if statement.not_resources is None else (ANY,)
            for action in actions or (ANY,):
                for resource in resources or (ANY,):
                    if await self._decision(action, resource, policies) is not Decision.ALLOW:
                        raise IamAccessDenied(
                            f"User: {self.principal.arn} cannot grant {action} on {resource}:"
                            " a policy may not grant more than its author is allowed."
                        )

    def _denied(self, action: str, resource: str, *, explicit: bool = False) -> IamAccessDenied:
        why = (
            "with an explicit deny in an identity-based policy"
            if explicit
            else f"because no identity-based policy allows the {action} action"
        )
        return IamAccessDenied(
            f"User: {self.principal.arn} is not authorized to perform: {action} on resource:"
            f" {resource} {why}"
        )
