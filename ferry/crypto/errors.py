"""What the crypto package raises: master-key faults and the key service's refusals.

    FerryError
    ├── NotFound
    │   └── KmsKeyNotFound          no such key (or alias) in this account and region
    ├── KmsAccessDenied             the key belongs to another account, or is AWS managed
    ├── KmsKeyUnavailable           the key's material does not open under the master key
    ├── Conflict
    │   ├── KmsKeyDisabled          the key is Disabled
    │   ├── KmsKeyInvalidState      the key is PendingDeletion (or the change needs another state)
    │   └── KmsAlreadyExists        the alias name is taken
    └── Invalid
        ├── DecryptionFailed        authenticated decryption rejected the blob (tampered, wrong
        │   │                       key or wrong associated data)
        │   └── KmsInvalidCiphertext  a KMS ciphertext blob that does not decrypt here
        ├── KmsIncorrectKey         the blob was made under another key than the one named
        ├── KmsInvalidAliasName     an alias name AWS would refuse
        └── KmsValidation           a parameter out of range

None of these messages ever contains key material or plaintext.
"""

from __future__ import annotations

from ferry.core.errors import Conflict, FerryError, Invalid, NotFound


class CryptoError(FerryError):
    """The encryption layer failed."""


class DecryptionFailed(Invalid, CryptoError):
    """The ciphertext could not be authenticated under this key and context."""


class KmsKeyNotFound(NotFound, CryptoError):
    """The key does not exist."""


class KmsKeyDisabled(Conflict, CryptoError):
    """The key is disabled."""


class KmsKeyInvalidState(Conflict, CryptoError):
    """The key is not in a state that allows this operation."""


class KmsAlreadyExists(Conflict, CryptoError):
    """The resource already exists."""


class KmsKeyUnavailable(CryptoError):
    """The key material cannot be used: this region's master key does not open it."""


class KmsAccessDenied(CryptoError):
    """The caller may not use this key."""


class KmsInvalidCiphertext(DecryptionFailed):
    """The ciphertext is invalid."""


class KmsIncorrectKey(Invalid, CryptoError):
    """The key ID in the request does not identify the key that encrypted the ciphertext."""


class KmsInvalidAliasName(Invalid, CryptoError):
    """The alias name is not valid."""


class KmsValidation(Invalid, CryptoError):
    """A parameter of the request is not valid."""
