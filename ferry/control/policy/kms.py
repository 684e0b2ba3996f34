"""Using a KMS key, as IAM judges it: one `kms:*` action on the key's ARN, with the condition
keys AWS sets when S3 calls KMS on a caller's behalf (`kms:ViaService`, `kms:CallerAccount`,
`kms:EncryptionContext:<key>`).

Ferry has no key policies (docs/encryption.md): every key behaves as one with AWS's default
key policy, which lets the key's own account grant it through identity policies. So a
principal of the key's account may use it as its identity policies allow (an account root
always), and a principal of any other account may not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ferry.control.policy.evaluate import AccessRequest, Decision, PrincipalFacts, decide
from ferry.control.policy.model import Policy

ENCRYPT = "kms:Encrypt"
DECRYPT = "kms:Decrypt"
GENERATE_DATA_KEY = "kms:GenerateDataKey"


def key_account(key_arn: str) -> str:
    """The account in `arn:aws:kms:<region>:<account>:key/<id>` ("" if it is no key ARN)."""
    parts = key_arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[2] == "kms" else ""


def key_region(key_arn: str) -> str:
    parts = key_arn.split(":", 5)
    return parts[3] if len(parts) == 6 and parts[2] == "kms" else ""


def s3_via_service(region: str) -> str:
    """What `kms:ViaService` holds when S3 in `region` makes the call."""
    return f"s3.{region}.amazonaws.com"


def decide_key_use(
    principal: PrincipalFacts,
    action: str,
    key_arn: str,
    *,
    identity_policies: Sequence[Policy],
    context: Mapping[str, tuple[str, ...]] | None = None,
    encryption_context: Mapping[str, str] | None = None,
    via_service: str | None = None,
) -> Decision:
    """May `principal` perform `action` with the key `key_arn`? `context` holds the request's
    other condition keys (lower-cased); the KMS ones are added here."""
    keys: dict[str, tuple[str, ...]] = dict(context or {})
    if principal.account_id is not None:
        keys["kms:calleraccount"] = (principal.account_id,)
    if via_service is not None:
        keys["kms:viaservice"] = (via_service,)
    for name, value in (encryption_context or {}).items():
        keys[f"kms:encryptioncontext:{name.lower()}"] = (value,)
    owner = key_account(key_arn)
    if principal.account_id != owner:
        return Decision.IMPLICIT_DENY  # another account's key: only a key policy could allow
    return decide(
        AccessRequest(principal=principal, action=action, resource=key_arn, context=keys),
        identity_policies=identity_policies,
        resource_policy=None,
        resource_account=owner,
    )
