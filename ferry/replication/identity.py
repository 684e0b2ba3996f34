"""The internal replication identity (until IAM roles exist): the key pair workers sign with.

Every region of a deployment derives the same secret from the root secret, so no extra secret
has to be distributed. Destinations accept this identity on the replica write path only.
"""

from __future__ import annotations

import hashlib
import hmac

from ferry.core.secret import Secret

REPLICATION_ACCESS_KEY = "FERRYREPLICATION0001"
REPLICATION_ROLE_NAME = "ferry-replication"
# The rule's IAM role a replica write is made for; the destination judges the write as it.
REPLICATION_ROLE_HEADER = "x-ferry-replication-role"


def replication_secret(root_secret: Secret) -> Secret:
    digest = hmac.new(
        root_secret.reveal().encode(), b"ferry-replication-identity", hashlib.sha256
    ).hexdigest()
    return Secret(digest)


def replication_role_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{REPLICATION_ROLE_NAME}"


def is_replication_arn(arn: str) -> bool:
    return arn.endswith(f":role/{REPLICATION_ROLE_NAME}")
