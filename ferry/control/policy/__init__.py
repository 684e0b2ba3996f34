"""The IAM policy language: documents parsed into types (`model`), conditions and the pure
`decide()` evaluation (`evaluate`), S3's actions and resources (`actions`), the use of
KMS keys (`kms`), what S3 ACLs grant (`acls`) and when a bucket policy is public (`public`).

Pure: no I/O, no clock of its own. May import core, protocol (pure) and
`ferry.control.errors` only.
"""

from __future__ import annotations

from ferry.control.policy.acls import (
    AclNeed,
    AclRequester,
    AclSource,
    acl_grants,
    acl_need,
    is_public_acl,
)
from ferry.control.policy.actions import S3_ACTIONS, ResourceType, check_bucket_policy
from ferry.control.policy.conditions import Context, condition_holds
from ferry.control.policy.evaluate import (
    ANONYMOUS_FACTS,
    AccessRequest,
    Decision,
    PrincipalFacts,
    decide,
    principal_matches,
    trusts_service,
)
from ferry.control.policy.kms import (
    DECRYPT,
    ENCRYPT,
    GENERATE_DATA_KEY,
    decide_key_use,
    key_account,
    key_region,
    s3_via_service,
)
from ferry.control.policy.model import (
    Condition,
    Effect,
    Policy,
    PolicyKind,
    Principals,
    SetQualifier,
    Statement,
    parse_policy,
)
from ferry.control.policy.public import is_public_policy

__all__ = [
    "AclNeed",
    "AclRequester",
    "AclSource",
    "acl_grants",
    "acl_need",
    "is_public_acl",
    "is_public_policy",
    "ANONYMOUS_FACTS",
    "DECRYPT",
    "ENCRYPT",
    "GENERATE_DATA_KEY",
    "S3_ACTIONS",
    "AccessRequest",
    "Condition",
    "Context",
    "Decision",
    "Effect",
    "Policy",
    "PolicyKind",
    "PrincipalFacts",
    "Principals",
    "ResourceType",
    "SetQualifier",
    "Statement",
    "check_bucket_policy",
    "condition_holds",
    "decide",
    "decide_key_use",
    "key_account",
    "key_region",
    "parse_policy",
    "principal_matches",
    "s3_via_service",
    "trusts_service",
]
