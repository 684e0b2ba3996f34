"""IAM identifiers and ARNs: account IDs, access keys and secrets, unique IDs (AIDA…, AROA…,
ANPA…), and the ARNs and canonical IDs built from them.

AWS's unique IDs are a four-letter prefix and 17 characters of [A-Z2-7]; access key IDs are
AKIA and 16 of them (20 in all); secrets are 40 characters of base64's alphabet. Ferry draws
them all from `secrets`, so they are unguessable as well as unique.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
ACCESS_KEY_PREFIX = "AKIA"
ACCESS_KEY_LENGTH = 20
SECRET_KEY_LENGTH = 40
UNIQUE_ID_SUFFIX_LENGTH = 17
ACCOUNT_ID_DIGITS = 12


class UniqueIdPrefix(StrEnum):
    USER = "AIDA"
    ROLE = "AROA"
    POLICY = "ANPA"


def _draw(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_account_id() -> str:
    # No leading zero: some tools print account IDs as numbers and would lose it.
    return str(secrets.randbelow(9 * 10 ** (ACCOUNT_ID_DIGITS - 1)) + 10 ** (ACCOUNT_ID_DIGITS - 1))


def is_account_id(text: str) -> bool:
    return len(text) == ACCOUNT_ID_DIGITS and text.isascii() and text.isdigit()


def new_access_key_id() -> str:
    return ACCESS_KEY_PREFIX + _draw(_ID_ALPHABET, ACCESS_KEY_LENGTH - len(ACCESS_KEY_PREFIX))


def new_secret_access_key() -> str:
    return _draw(_SECRET_ALPHABET, SECRET_KEY_LENGTH)


def new_unique_id(prefix: UniqueIdPrefix) -> str:
    return prefix.value + _draw(_ID_ALPHABET, UNIQUE_ID_SUFFIX_LENGTH)


def canonical_id(account_id: str) -> str:
    """S3's 64-hex canonical user ID of an account (the same derivation as config.py's)."""
    return hashlib.sha256(f"ferry-account:{account_id}".encode()).hexdigest()


def root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def user_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:user{path}{name}"


def role_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role{path}{name}"


def policy_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


class HolderKind(StrEnum):
    """Who holds an inline policy or a policy attachment."""

    USER = "user"
    ROLE = "role"


@dataclass(frozen=True, slots=True, kw_only=True)
class PrincipalName:
    """The account and name an IAM principal ARN names."""

    account_id: str
    kind: HolderKind
    name: str


def parse_principal_arn(arn: str) -> PrincipalName | None:
    """`arn:aws:iam::ACCT:user/path/NAME`, `…:role/path/NAME` or an STS session
    `arn:aws:sts::ACCT:assumed-role/NAME/SESSION` (whose permissions are its role's);
    None for anything else (roots, services, malformed ARNs)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not is_account_id(parts[4]):
        return None
    service, account, resource = parts[2], parts[4], parts[5]
    if service == "iam":
        kind_text, _, rest = resource.partition("/")
        if kind_text not in ("user", "role") or not rest:
            return None
        name = rest.rsplit("/", 1)[-1]
        return PrincipalName(account_id=account, kind=HolderKind(kind_text), name=name)
    if service == "sts" and resource.startswith("assumed-role/"):
        pieces = resource.split("/")
        if len(pieces) == 3 and pieces[1]:
            return PrincipalName(account_id=account, kind=HolderKind.ROLE, name=pieces[1])
    return None
