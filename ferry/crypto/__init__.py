"""Encryption at rest: the region master key, the regional key service (KMS), and SSE.

May import store, protocol, config and core; nothing above (api, replication, region).
Other packages import from here, not from the inner modules.
"""

from __future__ import annotations

from ferry.crypto.envelope import open_sealed, seal
from ferry.crypto.errors import (
    CryptoError,
    DecryptionFailed,
    KmsAccessDenied,
    KmsAlreadyExists,
    KmsIncorrectKey,
    KmsInvalidAliasName,
    KmsInvalidCiphertext,
    KmsKeyDisabled,
    KmsKeyInvalidState,
    KmsKeyNotFound,
    KmsKeyUnavailable,
    KmsValidation,
)
from ferry.crypto.kms import KeyService
from ferry.crypto.kms_records import (
    S3_MANAGED_ALIAS,
    Alias,
    DataKey,
    KeyManager,
    KeyMetadata,
    KeyState,
    Page,
)
from ferry.crypto.master_key import (
    MASTER_KEY_FILE_NAME,
    MasterKey,
    generate_master_key,
    load_master_key,
    load_or_create_master_key,
)

__all__ = [
    "MASTER_KEY_FILE_NAME",
    "S3_MANAGED_ALIAS",
    "Alias",
    "DataKey",
    "KeyManager",
    "KeyMetadata",
    "KeyService",
    "KeyState",
    "Page",
    "CryptoError",
    "DecryptionFailed",
    "KmsAccessDenied",
    "KmsAlreadyExists",
    "KmsIncorrectKey",
    "KmsInvalidAliasName",
    "KmsInvalidCiphertext",
    "KmsKeyDisabled",
    "KmsKeyInvalidState",
    "KmsKeyNotFound",
    "KmsKeyUnavailable",
    "KmsValidation",
    "MasterKey",
    "generate_master_key",
    "load_master_key",
    "load_or_create_master_key",
    "open_sealed",
    "seal",
]
