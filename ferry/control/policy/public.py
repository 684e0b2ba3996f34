"""Whether a bucket policy is public, as Block Public Access judges it ("The meaning of
'public'" in the S3 User Guide). Pure.

An Allow statement is public when it grants to everyone (`"*"`, `{"AWS": "*"}`, or through
`NotPrincipal`; the parser refuses other wildcards in principals), unless one of its
conditions pins the request to fixed values of a key that names who or where the caller is:
`aws:SourceIp` (an IPv4 range of /8 or narrower, IPv6 /32 or narrower), `aws:SourceArn`,
`aws:SourceVpc`, `aws:SourceVpce`, `aws:SourceOwner`, `aws:SourceAccount`,
`aws:PrincipalOrgID`, `aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:userid`,
`s3:DataAccessPointArn`, `s3:DataAccessPointAccount`. "Pinned" means an equality operator
(StringEquals, ArnEquals, or a Like operator), not its IfExists form, and no value containing
`*` or `?`.
"""

from __future__ import annotations

import ipaddress

from ferry.control.policy.model import Condition, Effect, Policy, Statement

FIXING_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "aws:principalorgid",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:userid",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
    }
)
_EQUALITY = frozenset({"StringEquals", "StringLike", "ArnEquals", "ArnLike"})
MIN_IPV4_PREFIX = 8
MIN_IPV6_PREFIX = 32


def is_public_policy(policy: Policy) -> bool:
    return any(is_public_statement(statement) for statement in policy.statements)


def is_public_statement(statement: Statement) -> bool:
    if statement.effect is not Effect.ALLOW:
        return False
    if statement.not_principal is None:
        principal = statement.principal
        if principal is None or not principal.is_everyone:
            return False
    return not any(_pins_the_caller(condition) for condition in statement.conditions)


def _pins_the_caller(condition: Condition) -> bool:
    if condition.if_exists or condition.qualifier is not None or not condition.values:
        return False
    if condition.key == "aws:sourceip":
        return condition.operator == "IpAddress" and all(map(_is_narrow, condition.values))
    if condition.key not in FIXING_KEYS or condition.operator not in _EQUALITY:
        return False
    return not any("*" in value or "?" in value for value in condition.values)


def _is_narrow(cidr: str) -> bool:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    minimum = MIN_IPV4_PREFIX if network.version == 4 else MIN_IPV6_PREFIX
    return network.prefixlen >= minimum
