"""Sealing of access-key secrets at rest.

SigV4 verification needs the secret itself, so a stored secret must be recoverable: it is
encrypted with AES-256-GCM under a key derived (HKDF-SHA256) from the deployment root secret,
with the access key ID as associated data, so a sealed secret moved to another key's row does
not open. Every region derives the same key from the same `[root]` secret. Changing the root
secret makes every stored key unreadable (they then fail as unknown keys): rotate by creating
new keys. The secret is never logged; it leaves this module only inside a `Secret`.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ferry.core.errors import FerryError
from ferry.core.secret import Secret

NONCE_BYTES = 12
KEY_BYTES = 32
_INFO = b"ferry/control/access-key-secrets/v1"


class UnsealFailed(FerryError):
    """A stored access-key secret could not be opened (was the root secret changed?)."""


class SecretSealer:
    def __init__(self, root_secret: Secret) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_INFO).derive(
            root_secret.reveal().encode()
        )
        self._aead = AESGCM(key)

    def seal(self, access_key_id: str, secret: Secret) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret.reveal().encode(), access_key_id.encode())

    def unseal(self, access_key_id: str, sealed: bytes) -> Secret:
        try:
            plain = self._aead.decrypt(
                sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], access_key_id.encode()
            )
        except InvalidTag as exc:
            raise UnsealFailed(access_key_id=access_key_id) from exc
        return Secret(plain.decode())
