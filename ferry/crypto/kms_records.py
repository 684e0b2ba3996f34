"""What the key service keeps and returns: key metadata, aliases, data keys, and the ways a
caller may name a key (key ID, key ARN, alias name, alias ARN). Pure values, no I/O."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from ferry.crypto.errors import KmsInvalidAliasName, KmsKeyNotFound

ALIAS_PREFIX = "alias/"
AWS_ALIAS_PREFIX = "alias/aws/"  # reserved for AWS managed keys
S3_MANAGED_ALIAS = "alias/aws/s3"  # the key SSE-KMS uses when the request names none
MAX_ALIAS_NAME_CHARS = 256
_ALIAS_NAME = re.compile(r"^alias/[a-zA-Z0-9/_-]+$")
T = TypeVar("T")
_KEY_ARN = re.compile(r"^arn:aws:kms:([a-z0-9-]+):(\d{12}):(key|alias)/(.+)$")


class KeyState(StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"


class KeyManager(StrEnum):
    CUSTOMER = "CUSTOMER"
    AWS = "AWS"


KEY_USAGE = "ENCRYPT_DECRYPT"
KEY_SPEC = "SYMMETRIC_DEFAULT"
ENCRYPTION_ALGORITHM = "SYMMETRIC_DEFAULT"
ORIGIN = "AWS_KMS"


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyMetadata:
    """A KMS key as DescribeKey shows it (never its material)."""

    key_id: str
    arn: str
    account_id: str
    description: str
    state: KeyState
    manager: KeyManager
    created: datetime
    deletion: datetime | None = None  # set while PendingDeletion
    key_usage: str = KEY_USAGE
    key_spec: str = KEY_SPEC

    @property
    def enabled(self) -> bool:
        return self.state is KeyState.ENABLED


@dataclass(frozen=True, slots=True, kw_only=True)
class Alias:
    name: str  # alias/...
    arn: str
    key_id: str
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class DataKey:
    """A data key: `plaintext` to use now and forget, `ciphertext` to store beside the data
    (only the key service turns it back into plaintext), `key_arn` the KMS key under which."""

    plaintext: bytes
    ciphertext: bytes
    key_arn: str

    def __repr__(self) -> str:
        return f"DataKey(key_arn={self.key_arn!r}, ciphertext=<{len(self.ciphertext)} bytes>)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One page of a KMS list operation (Limit/Marker/NextMarker/Truncated)."""

    items: list[T]
    next_marker: str | None  # set when truncated


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRef:
    """A key named by a caller, resolved against the caller's account and this region.

    `account_id` is the account the reference names (an ARN's), or the caller's."""

    account_id: str
    key_id: str | None = None  # a key ID (from a key ID or key ARN)
    alias: str | None = None  # an alias name (from an alias name or alias ARN)


def key_arn(region: str, account_id: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:key/{key_id}"


def alias_arn(region: str, account_id: str, alias: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:{alias}"


def new_key_id() -> str:
    return str(uuid.uuid4())


def parse_key_ref(ref: str, *, region: str, account_id: str) -> KeyRef:
    """What `ref` (key ID, key ARN, alias name, alias ARN) names. An ARN of another region
    names nothing here (keys are regional); an ARN of another account keeps that account so
    the caller can be refused (KmsAccessDenied) rather than told it does not exist."""
    if ref.startswith(ALIAS_PREFIX):
        return KeyRef(account_id=account_id, alias=ref)
    if ref.startswith("arn:"):
        match = _KEY_ARN.match(ref)
        if match is None or match.group(1) != region:
            raise KmsKeyNotFound(f"Invalid keyId {ref}")
        owner, kind, name = match.group(2), match.group(3), match.group(4)
        if kind == "alias":
            return KeyRef(account_id=owner, alias=ALIAS_PREFIX + name)
        return KeyRef(account_id=owner, key_id=_checked_key_id(name, ref))
    return KeyRef(account_id=account_id, key_id=_checked_key_id(ref, ref))


def check_alias_name(name: str, *, creating: bool) -> None:
    """AWS's rules for alias names; `alias/aws/` is reserved for AWS managed keys."""
    if not _ALIAS_NAME.match(name) or len(name) > MAX_ALIAS_NAME_CHARS:
        raise KmsInvalidAliasName(
            f'Alias must start with the prefix "alias/" and contain only alphanumeric '
            f"characters, '/', '_' or '-': {name}"
        )
    if creating and name.startswith(AWS_ALIAS_PREFIX):
        raise KmsInvalidAliasName(f"Alias {name} must not begin with {AWS_ALIAS_PREFIX}")


def _checked_key_id(candidate: str, ref: str) -> str:
    try:
        parsed = uuid.UUID(candidate)
    except ValueError:
        raise KmsKeyNotFound(f"Invalid keyId {ref}") from None
    if str(parsed) != candidate.lower():
        raise KmsKeyNotFound(f"Invalid keyId {ref}")
    return str(parsed)
