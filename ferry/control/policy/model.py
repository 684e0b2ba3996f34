"""Policy documents: JSON text → typed, validated `Policy`; nothing untyped travels past here.

One grammar, three kinds (AWS's "IAM JSON policy elements reference"):
- IDENTITY policies (inline and managed, attached to users and roles) name no principal and
  must name resources;
- RESOURCE policies (bucket policies) must name a principal (`Principal` or `NotPrincipal`);
- TRUST policies (a role's AssumeRolePolicyDocument) must name a principal, must not name
  resources, and may only allow the STS AssumeRole family of actions.

Validation raises `MalformedPolicy` with IAM's own messages; S3's bucket-policy messages differ
and are chosen by `kind` (S3 answers "Policies must be valid JSON and the first byte must be
'{'" where IAM answers "Syntax errors in policy."). Bucket-specific checks (resources inside
the bucket, actions that apply to them) live in `actions.py`, which knows S3's resource types.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ferry.control.errors import MalformedPolicy, PolicyTooLarge
from ferry.control.policy.wildcards import matches_wildcard

VERSIONS = ("2012-10-17", "2008-10-17")

# IAM counts characters without white space (IAM quotas page); S3 counts the document.
MAX_MANAGED_POLICY_CHARS = 6_144
MAX_TRUST_POLICY_CHARS = 2_048
MAX_BUCKET_POLICY_BYTES = 20 * 1024

TRUST_ACTIONS = frozenset(
    {
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:tagsession",
        "sts:setsourceidentity",
        "sts:setcontext",
    }
)

_TOP_ELEMENTS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_PRINCIPAL_TYPES = {
    "AWS": "aws",
    "Service": "service",
    "Federated": "federated",
    "CanonicalUser": "canonical_user",
}
_ACCOUNT_ID = re.compile(r"\d{12}")
_PRINCIPAL_ARN = re.compile(r"arn:aws:(iam|sts)::\d{12}:[^\s]+")
_CANONICAL_ID = re.compile(r"[0-9a-fA-F]{64}")
_SERVICE_PRINCIPAL = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?")
_VENDOR = re.compile(r"[a-zA-Z0-9\-.]+")

OPERATORS = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    }
)


class PolicyKind(StrEnum):
    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class SetQualifier(StrEnum):
    """How a multi-valued context key is compared (`ForAnyValue:` / `ForAllValues:`)."""

    FOR_ANY_VALUE = "ForAnyValue"
    FOR_ALL_VALUES = "ForAllValues"


@dataclass(frozen=True, slots=True, kw_only=True)
class Principals:
    """A `Principal` / `NotPrincipal` element. `"*"` and `{"AWS": "*"}` both mean everyone,
    anonymous included (`is_everyone`)."""

    is_everyone: bool = False
    aws: tuple[str, ...] = ()  # account IDs, arn:aws:iam::ACCT:root, user/role ARNs, "*"
    service: tuple[str, ...] = ()  # s3.amazonaws.com …
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """One `operator: {key: values}` pair; keys compare case-insensitively, as in AWS."""

    operator: str  # the base operator, e.g. "StringLike" (qualifier and IfExists stripped)
    qualifier: SetQualifier | None
    if_exists: bool
    key: str  # lower-cased
    values: tuple[str, ...]  # JSON numbers and booleans as their JSON text ("10", "true")


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    sid: str | None
    effect: Effect
    principal: Principals | None = None
    not_principal: Principals | None = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]


def parse_policy(text: str, kind: PolicyKind, *, max_chars: int | None = None) -> Policy:
    """`max_chars` overrides the kind's size limit (IAM's inline policy quotas are aggregates
    per user or role, which only the caller can count)."""
    _check_size(text, kind, max_chars)
    document = _load(text, kind)
    version = _optional_string(document, "Version", kind)
    if version is not None and version not in VERSIONS:
        raise MalformedPolicy(
            "Invalid policy document version"
            if kind is PolicyKind.RESOURCE
            else _syntax_error(kind)
        )
    policy_id = _optional_string(document, "Id", kind)
    raw = document.get("Statement")
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise MalformedPolicy(_missing("Statement", kind))
    statements = tuple(_statement(item, kind) for item in raw)
    _check_unique_sids(statements)
    return Policy(version=version, id=policy_id, statements=statements)


def _check_size(text: str, kind: PolicyKind, max_chars: int | None) -> None:
    if kind is PolicyKind.RESOURCE:
        limit = max_chars or MAX_BUCKET_POLICY_BYTES
        if len(text.encode()) > limit:
            raise PolicyTooLarge(
                "Policies must not exceed 20 KB in size", limit=limit, size=len(text.encode())
            )
        return
    default = MAX_TRUST_POLICY_CHARS if kind is PolicyKind.TRUST else MAX_MANAGED_POLICY_CHARS
    limit = max_chars or default
    size = sum(1 for char in text if not char.isspace())
    if size > limit:
        raise PolicyTooLarge(f"Cannot exceed quota for PolicySize: {limit}", limit=limit, size=size)


def _syntax_error(kind: PolicyKind) -> str:
    if kind is PolicyKind.RESOURCE:
        return "Policies must be valid JSON and the first byte must be '{'"
    return "Syntax errors in policy."


def _missing(element: str, kind: PolicyKind) -> str:
    if kind is PolicyKind.RESOURCE:
        return f"Missing required field {element}"
    if element == "Action":
        return "Policy statement must contain actions."
    if element == "Resource":
        return "Policy statement must contain resources."
    return f"Missing required field {element}"


def _load(text: str, kind: PolicyKind) -> dict[str, Any]:
    if not text.lstrip().startswith("{"):
        raise MalformedPolicy(_syntax_error(kind))
    try:
        # Valid JSON whose first byte is "{" is an object.
        document: dict[str, Any] = json.loads(text, object_pairs_hook=_reject_duplicates)
    except ValueError as exc:
        raise MalformedPolicy(_syntax_error(kind)) from exc
    for element in document:
        if element not in _TOP_ELEMENTS:
            raise MalformedPolicy(_unknown_element(element, kind))
    return document


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A repeated element would silently drop a statement part; AWS rejects the document.
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def _unknown_element(element: str, kind: PolicyKind) -> str:
    if kind is PolicyKind.RESOURCE:
        return f"Unknown field {element}"
    return _syntax_error(kind)


def _optional_string(mapping: dict[str, Any], element: str, kind: PolicyKind) -> str | None:
    value = mapping.get(element)
    if value is not None and not isinstance(value, str):
        raise MalformedPolicy(_syntax_error(kind))
    return value


def _statement(raw: object, kind: PolicyKind) -> Statement:
    if not isinstance(raw, dict):
        raise MalformedPolicy(_syntax_error(kind))
    for element in raw:
        if element not in _STATEMENT_ELEMENTS:
            raise MalformedPolicy(_unknown_element(element, kind))
    effect = raw.get("Effect")
    if effect is None:
        raise MalformedPolicy("Missing required field Effect")
    if effect not in (Effect.ALLOW, Effect.DENY):
        raise MalformedPolicy(f"Invalid effect: {effect}")
    statement = Statement(
        sid=_optional_string(raw, "Sid", kind),
        effect=Effect(effect),
        principal=_principals(raw, "Principal", kind),
        not_principal=_principals(raw, "NotPrincipal", kind),
        actions=_actions(raw, "Action", kind),
        not_actions=_actions(raw, "NotAction", kind),
        resources=_strings(raw, "Resource", kind),
        not_resources=_strings(raw, "NotResource", kind),
        conditions=_conditions(raw.get("Condition"), kind),
    )
    _check_shape(statement, kind)
    return statement


def _check_shape(statement: Statement, kind: PolicyKind) -> None:
    """Which elements each kind requires or forbids, and in what combination."""
    has_principal = statement.principal is not None or statement.not_principal is not None
    has_resource = statement.resources is not None or statement.not_resources is not None
    if statement.principal is not None and statement.not_principal is not None:
        raise MalformedPolicy(_syntax_error(kind))
    if statement.actions is not None and statement.not_actions is not None:
        raise MalformedPolicy(_syntax_error(kind))
    if statement.resources is not None and statement.not_resources is not None:
        raise MalformedPolicy(_syntax_error(kind))
    if statement.actions is None and statement.not_actions is None:
        raise MalformedPolicy(_missing("Action", kind))
    match kind:
        case PolicyKind.IDENTITY:
            if has_principal:
                raise MalformedPolicy("Policy document should not specify a principal.")
            if not has_resource:
                raise MalformedPolicy(_missing("Resource", kind))
        case PolicyKind.RESOURCE:
            if not has_principal:
                raise MalformedPolicy("Missing required field Principal")
            if not has_resource:
                raise MalformedPolicy(_missing("Resource", kind))
        case PolicyKind.TRUST:
            if not has_principal:
                raise MalformedPolicy("Missing required field Principal")
            if has_resource:
                raise MalformedPolicy("Has prohibited field Resource")
            if statement.not_actions is not None or not all(
                _is_trust_action(pattern) for pattern in statement.actions or ()
            ):
                raise MalformedPolicy("AssumeRole policy may only specify STS AssumeRole actions.")


def _is_trust_action(pattern: str) -> bool:
    return any(matches_wildcard(pattern, action, ignore_case=True) for action in TRUST_ACTIONS)


def _strings(raw: dict[str, Any], element: str, kind: PolicyKind) -> tuple[str, ...] | None:
    value = raw.get(element)
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    if isinstance(value, list) and not value:
        raise MalformedPolicy(_missing(element.removeprefix("Not"), kind))
    raise MalformedPolicy(_syntax_error(kind))


def _actions(raw: dict[str, Any], element: str, kind: PolicyKind) -> tuple[str, ...] | None:
    actions = _strings(raw, element, kind)
    for action in actions or ():
        if action == "*":
            continue
        vendor, colon, name = action.partition(":")
        if not colon or not name:
            raise MalformedPolicy(
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
                if kind is not PolicyKind.RESOURCE
                else "Policy has invalid action"
            )
        if ":" in name:
            raise MalformedPolicy(
                "Actions/Condition can contain only one colon."
                if kind is not PolicyKind.RESOURCE
                else "Policy has invalid action"
            )
        if not _VENDOR.fullmatch(vendor):
            raise MalformedPolicy(f"Vendor {vendor} is not valid")
    return actions


def _principals(raw: dict[str, Any], element: str, kind: PolicyKind) -> Principals | None:
    value = raw.get(element)
    if value is None:
        return None
    if value == "*":
        return Principals(is_everyone=True, aws=("*",))
    if not isinstance(value, dict) or not value:
        raise MalformedPolicy(_invalid_principal(kind))
    fields: dict[str, tuple[str, ...]] = {}
    for principal_type, names in value.items():
        attribute = _PRINCIPAL_TYPES.get(principal_type)
        if attribute is None:
            raise MalformedPolicy(_invalid_principal(kind))
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not names:
            raise MalformedPolicy(_invalid_principal(kind))
        for name in names:
            if not isinstance(name, str) or not _is_valid_principal(principal_type, name):
                raise MalformedPolicy(_invalid_principal(kind, f'"{principal_type}":"{name}"'))
        fields[attribute] = tuple(names)
    return Principals(is_everyone="*" in fields.get("aws", ()), **fields)


def _invalid_principal(kind: PolicyKind, detail: str | None = None) -> str:
    if kind is PolicyKind.RESOURCE or detail is None:
        return "Invalid principal in policy"
    return f"Invalid principal in policy: {detail}"


def _is_valid_principal(principal_type: str, name: str) -> bool:
    match principal_type:
        case "AWS":
            return (
                name == "*"
                or _ACCOUNT_ID.fullmatch(name) is not None
                or _PRINCIPAL_ARN.fullmatch(name) is not None
            )
        case "Service":
            return _SERVICE_PRINCIPAL.fullmatch(name) is not None
        case "CanonicalUser":
            return _CANONICAL_ID.fullmatch(name) is not None
        case _:
            return bool(name)


def _conditions(raw: object, kind: PolicyKind) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise MalformedPolicy(_syntax_error(kind))
    conditions: list[Condition] = []
    for operator_text, block in raw.items():
        qualifier, operator, if_exists = _split_operator(operator_text, kind)
        if not isinstance(block, dict):
            raise MalformedPolicy(_syntax_error(kind))
        for key, values in block.items():
            if ":" not in key:
                raise MalformedPolicy(_invalid_condition_key(key, kind))
            conditions.append(
                Condition(
                    operator=operator,
                    qualifier=qualifier,
                    if_exists=if_exists,
                    key=key.lower(),
                    values=_condition_values(values, kind),
                )
            )
    return tuple(conditions)


def _split_operator(text: str, kind: PolicyKind) -> tuple[SetQualifier | None, str, bool]:
    qualifier: SetQualifier | None = None
    operator = text
    for candidate in SetQualifier:
        if operator.startswith(candidate.value + ":"):
            qualifier = candidate
            operator = operator.removeprefix(candidate.value + ":")
            break
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    operator = operator.removesuffix("IfExists") if if_exists else operator
    if operator not in OPERATORS or (if_exists and operator == "Null"):
        raise MalformedPolicy(
            f"Invalid Condition type : {text}"
            if kind is not PolicyKind.RESOURCE
            else "Policy has an invalid condition operator"
        )
    return qualifier, operator, if_exists


def _invalid_condition_key(key: str, kind: PolicyKind) -> str:
    if kind is PolicyKind.RESOURCE:
        return "Policy has an invalid condition key"
    return "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."


def _condition_values(values: object, kind: PolicyKind) -> tuple[str, ...]:
    items = values if isinstance(values, list) else [values]
    rendered: list[str] = []
    for item in items:
        if isinstance(item, bool):
            rendered.append("true" if item else "false")
        elif isinstance(item, str):
            rendered.append(item)
        elif isinstance(item, int | float):
            rendered.append(json.dumps(item))
        else:
            raise MalformedPolicy(_syntax_error(kind))
    return tuple(rendered)


def _check_unique_sids(statements: tuple[Statement, ...]) -> None:
    sids = [statement.sid for statement in statements if statement.sid]
    if len(set(sids)) != len(sids):
        raise MalformedPolicy("Statement IDs (SID) in a single policy must be unique.")
