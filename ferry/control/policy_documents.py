"""IAM's checks of the policy documents it stores, on top of the policy language's own
(`policy.parse_policy`): a malformed document is IAM's `MalformedPolicyDocument`, an
oversized one IAM's `LimitExceeded`.

Size quotas are AWS's defaults, applied per document (AWS counts inline policies per user or
role in aggregate; Ferry does not): managed 6,144, role inline 10,240, user inline 2,048,
trust 2,048 characters, whitespace not counted.
"""

from __future__ import annotations

from ferry.control.errors import MalformedPolicy, PolicyTooLarge
from ferry.control.iam_errors import LimitExceeded, MalformedPolicyDocument
from ferry.control.identifiers import HolderKind
from ferry.control.policy import Policy, PolicyKind, parse_policy

MANAGED_POLICY_MAX_CHARS = 6_144
ROLE_INLINE_POLICY_MAX_CHARS = 10_240
USER_INLINE_POLICY_MAX_CHARS = 2_048
TRUST_POLICY_MAX_CHARS = 2_048


def _parse(text: str, kind: PolicyKind, max_chars: int) -> Policy:
    try:
        return parse_policy(text, kind, max_chars=max_chars)
    except PolicyTooLarge as exc:
        raise LimitExceeded(exc.message) from exc
    except MalformedPolicy as exc:
        raise MalformedPolicyDocument(exc.message) from exc


def parse_managed(text: str) -> Policy:
    return _parse(text, PolicyKind.IDENTITY, MANAGED_POLICY_MAX_CHARS)


def parse_inline(text: str, holder: HolderKind) -> Policy:
    limit = (
        USER_INLINE_POLICY_MAX_CHARS if holder is HolderKind.USER else ROLE_INLINE_POLICY_MAX_CHARS
    )
    return _parse(text, PolicyKind.IDENTITY, limit)


def parse_trust(text: str) -> Policy:
    return _parse(text, PolicyKind.TRUST, TRUST_POLICY_MAX_CHARS)
