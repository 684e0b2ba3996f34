"""The regional key service: AWS KMS's symmetric keys, aliases and envelope operations.

Keys are regional and belong to an account: a key ID resolves only among the caller's keys in
this region; a key ARN of another region names nothing here; a key (or alias) ARN of another
account is refused (KmsAccessDenied) — Ferry has no key policies (docs/encryption.md).
Each key's 32-byte material is kept sealed under the region master key and opened per use,
so disabling a key stops every later use at once, Decrypt included (as AWS).

This is the interface SSE (crypto/sse.py) and, later, replication use: `generate_data_key`,
`decrypt_data_key`, `describe_key`. The KMS JSON API (api/kms/) uses the rest.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import TypeVar

from ferry.core.clock import Clock
from ferry.crypto import key_states
from ferry.crypto.envelope import KEY_BYTES
from ferry.crypto.errors import (
    DecryptionFailed,
    KmsAccessDenied,
    KmsAlreadyExists,
    KmsIncorrectKey,
    KmsKeyNotFound,
    KmsKeyUnavailable,
    KmsValidation,
)
from ferry.crypto.kms_blob import blob_key_id, open_blob, seal_blob
from ferry.crypto.kms_records import (
    AWS_ALIAS_PREFIX,
    S3_MANAGED_ALIAS,
    Alias,
    DataKey,
    KeyManager,
    KeyMetadata,
    KeyRef,
    KeyState,
    Page,
    check_alias_name,
    key_arn,
    new_key_id,
    parse_key_ref,
)
from ferry.crypto.kms_store import (
    KeyRow,
    delete_alias,
    delete_expired_keys,
    fetch_alias,
    fetch_key,
    insert_alias,
    insert_key,
    list_aliases,
    list_keys,
    update_key_state,
)
from ferry.crypto.master_key import MasterKey
from ferry.store import Database, Tx

T = TypeVar("T")
MAX_PLAINTEXT_BYTES = 4096
MAX_DATA_KEY_BYTES = 1024
MAX_LIST_LIMIT = 1000
DEFAULT_LIST_LIMIT = 100
# What AWS shows as the description of an account's `aws/s3` key.
_MANAGED_DESCRIPTION = "Default key that protects my S3 objects when no other key is defined"


class KeyService:
    """One region's KMS. Every method takes the calling account's 12-digit ID."""

    def __init__(self, db: Database, master_key: MasterKey, clock: Clock, region: str) -> None:
        self._db = db
        self._master = master_key
        self._clock = clock
        self._region = region

    # -- the interface SSE and replication use ---------------------------------------------

    @property
    def region(self) -> str:
        return self._region

    async def generate_data_key(
        self,
        key_ref: str | None,
        *,
        account_id: str,
        context: Mapping[str, str],
        number_of_bytes: int = KEY_BYTES,
    ) -> DataKey:
        """A fresh data key under `key_ref`; None: the account's AWS managed `aws/s3` key,
        created on first use."""
        if not 1 <= number_of_bytes <= MAX_DATA_KEY_BYTES:
            raise KmsValidation(
                f"NumberOfBytes must be between 1 and {MAX_DATA_KEY_BYTES}: {number_of_bytes}"
            )
        row = await self._usable_key(key_ref or S3_MANAGED_ALIAS, account_id)
        plaintext = secrets.token_bytes(number_of_bytes)
        blob = seal_blob(self._material(row), row.metadata.key_id, plaintext, context)
        return DataKey(plaintext=plaintext, ciphertext=blob, key_arn=row.metadata.arn)

    async def decrypt_data_key(
        self, ciphertext: bytes, *, account_id: str, context: Mapping[str, str]
    ) -> DataKey:
        plaintext, arn = await self.decrypt(ciphertext, account_id=account_id, context=context)
        return DataKey(plaintext=plaintext, ciphertext=ciphertext, key_arn=arn)

    async def describe_key(self, key_ref: str, *, account_id: str) -> KeyMetadata:
        return (await self._resolve(key_ref, account_id)).metadata

    # -- cryptographic operations ------------------------------------------------------------

    async def encrypt(
        self, key_ref: str, plaintext: bytes, *, account_id: str, context: Mapping[str, str]
    ) -> tuple[bytes, str]:
        """(ciphertext blob, key ARN)."""
        if not 1 <= len(plaintext) <= MAX_PLAINTEXT_BYTES:
            raise KmsValidation(f"Plaintext must be between 1 and {MAX_PLAINTEXT_BYTES} bytes long")
        row = await self._usable_key(key_ref, account_id)
        blob = seal_blob(self._material(row), row.metadata.key_id, plaintext, context)
        return blob, row.metadata.arn

    async def decrypt(
        self,
        ciphertext: bytes,
        *,
        account_id: str,
        context: Mapping[str, str],
        key_ref: str | None = None,
    ) -> tuple[bytes, str]:
        """(plaintext, key ARN). The blob names its key; `key_ref`, if given, must be it."""
        key_id = blob_key_id(ciphertext)
        if key_ref is not None:
            named = await self._resolve(key_ref, account_id)
            if named.metadata.key_id != key_id:
                raise KmsIncorrectKey()
        row = await self._db.read(lambda tx: self._fetch_live(tx, key_id))
        if row is None:
            raise _not_found(key_id)
        if row.metadata.account_id != account_id:
            raise KmsAccessDenied(
                f"The caller (account {account_id}) is not authorized to use {row.metadata.arn}"
            )
        key_states.check_usable(row.metadata)
        return open_blob(self._material(row), ciphertext, context), row.metadata.arn

    # -- key management ----------------------------------------------------------------------

    async def create_key(self, *, account_id: str, description: str = "") -> KeyMetadata:
        row = self._new_key(account_id, description, KeyManager.CUSTOMER)

        def create(tx: Tx) -> None:
            delete_expired_keys(tx, self._clock.now())
            insert_key(tx, row)

        await self._db.write(create)
        return row.metadata

    async def list_keys(
        self, *, account_id: str, limit: int | None = None, marker: str | None = None
    ) -> Page[KeyMetadata]:
        size = _page_size(limit)
        found = await self._db.read(
            lambda tx: list_keys(
                tx, self._region, account_id, self._clock.now(), marker or "", size + 1
            )
        )
        return _page(found, size, lambda key: key.key_id)

    async def enable_key(self, key_ref: str, *, account_id: str) -> KeyMetadata:
        return await self._change_state(key_ref, account_id, key_states.enable)

    async def disable_key(self, key_ref: str, *, account_id: str) -> KeyMetadata:
        return await self._change_state(key_ref, account_id, key_states.disable)

    async def schedule_key_deletion(
        self, key_ref: str, *, account_id: str, pending_window_days: int | None = None
    ) -> KeyMetadata:
        transition = key_states.schedule_deletion(pending_window_days)
        return await self._change_state(key_ref, account_id, transition)

    async def cancel_key_deletion(self, key_ref: str, *, account_id: str) -> KeyMetadata:
        return await self._change_state(key_ref, account_id, key_states.cancel_deletion)

    # -- aliases -----------------------------------------------------------------------------

    async def create_alias(self, name: str, target_ref: str, *, account_id: str) -> Alias:
        check_alias_name(name, creating=True)
        ref = self._key_ref(target_ref, account_id)
        if ref.alias is not None:
            raise KmsValidation("TargetKeyId must be a key ID or key ARN, not an alias")

        def create(tx: Tx) -> Alias:
            now = self._clock.now()
            delete_expired_keys(tx, now)  # an expired key's alias names are free again
            row = self._fetch_live(tx, ref.key_id or "")
            if row is None or row.metadata.account_id != account_id:
                raise _not_found(target_ref)
            key_states.check_customer_managed(row.metadata)
            if row.metadata.state is KeyState.PENDING_DELETION:
                raise key_states.invalid_state(row.metadata)
            if fetch_alias(tx, self._region, account_id, name) is not None:
                raise KmsAlreadyExists(
                    f"An alias with the name {self._alias_arn(account_id, name)} already exists"
                )
            insert_alias(tx, account_id, name, row.metadata.key_id, now)
            alias = fetch_alias(tx, self._region, account_id, name)
            assert alias is not None
            return alias

        return await self._db.write(create)

    async def delete_alias(self, name: str, *, account_id: str) -> None:
        check_alias_name(name, creating=False)
        if name.startswith(AWS_ALIAS_PREFIX):
            raise KmsAccessDenied(f"Alias {name} belongs to an AWS managed key")
        deleted = await self._db.write(lambda tx: delete_alias(tx, account_id, name))
        if not deleted:
            raise KmsKeyNotFound(f"Alias {self._alias_arn(account_id, name)} is not found.")

    async def list_aliases(
        self,
        *,
        account_id: str,
        key_ref: str | None = None,
        limit: int | None = None,
        marker: str | None = None,
    ) -> Page[Alias]:
        size = _page_size(limit)
        key_id = None
        if key_ref is not None:
            ref = self._key_ref(key_ref, account_id)
            if ref.alias is not None:
                raise KmsValidation("KeyId must be a key ID or key ARN")
            key_id = (await self._resolve(key_ref, account_id)).metadata.key_id
        found = await self._db.read(
            lambda tx: list_aliases(
                tx, self._region, account_id, key_id, self._clock.now(), marker or "", size + 1
            )
        )
        return _page(found, size, lambda alias: alias.name)

    # -- internals ---------------------------------------------------------------------------

    def _key_ref(self, key_ref: str, account_id: str) -> KeyRef:
        ref = parse_key_ref(key_ref, region=self._region, account_id=account_id)
        if ref.account_id != account_id:
            raise KmsAccessDenied(
                f"The caller (account {account_id}) is not authorized to use {key_ref}"
            )
        return ref

    async def _resolve(self, key_ref: str, account_id: str) -> KeyRow:
        """The live key `key_ref` names for this account. The AWS managed alias `aws/s3` is
        created on first use (as AWS does on first SSE-KMS use or DescribeKey)."""
        ref = self._key_ref(key_ref, account_id)
        if ref.alias == S3_MANAGED_ALIAS:
            return await self._managed_s3_key(account_id)
        row = await self._db.read(lambda tx: self._fetch_ref(tx, ref))
        if row is None:
            raise _not_found(key_ref)
        return row

    async def _usable_key(self, key_ref: str, account_id: str) -> KeyRow:
        row = await self._resolve(key_ref, account_id)
        key_states.check_usable(row.metadata)
        return row

    def _fetch_ref(self, tx: Tx, ref: KeyRef) -> KeyRow | None:
        key_id = ref.key_id
        if ref.alias is not None:
            alias = fetch_alias(tx, self._region, ref.account_id, ref.alias)
            key_id = None if alias is None else alias.key_id
        if key_id is None:
            return None
        row = self._fetch_live(tx, key_id)
        if row is None or row.metadata.account_id != ref.account_id:
            return None
        return row

    def _fetch_live(self, tx: Tx, key_id: str) -> KeyRow | None:
        """The key, unless its deletion date has passed (then it is as good as deleted; the
        row goes at the next CreateKey)."""
        row = fetch_key(tx, self._region, key_id)
        if row is None:
            return None
        deletion = row.metadata.deletion
        if deletion is not None and deletion <= self._clock.now():
            return None
        return row

    async def _managed_s3_key(self, account_id: str) -> KeyRow:
        ref = KeyRef(account_id=account_id, alias=S3_MANAGED_ALIAS)
        existing = await self._db.read(lambda tx: self._fetch_ref(tx, ref))
        if existing is not None:
            return existing
        candidate = self._new_key(account_id, _MANAGED_DESCRIPTION, KeyManager.AWS)

        def create(tx: Tx) -> KeyRow:
            # Two first uses may race: the write transaction makes one of them win.
            current = self._fetch_ref(tx, ref)
            if current is not None:
                return current
            insert_key(tx, candidate)
            insert_alias(
                tx, account_id, S3_MANAGED_ALIAS, candidate.metadata.key_id, self._clock.now()
            )
            return candidate

        return await self._db.write(create)

    async def _change_state(
        self,
        key_ref: str,
        account_id: str,
        change: key_states.Transition,
    ) -> KeyMetadata:
        ref = self._key_ref(key_ref, account_id)
        if ref.alias is not None:
            raise _not_found(key_ref)  # state changes take a key ID or key ARN only

        def update(tx: Tx) -> KeyMetadata:
            row = self._fetch_ref(tx, ref)
            if row is None:
                raise _not_found(key_ref)
            key_states.check_customer_managed(row.metadata)
            changed = change(row.metadata, self._clock.now())
            update_key_state(tx, changed.key_id, changed.state, changed.deletion)
            return changed

        return await self._db.write(update)

    def _new_key(self, account_id: str, description: str, manager: KeyManager) -> KeyRow:
        key_id = new_key_id()
        material = secrets.token_bytes(KEY_BYTES)
        metadata = KeyMetadata(
            key_id=key_id,
            arn=key_arn(self._region, account_id, key_id),
            account_id=account_id,
            description=description,
            state=KeyState.ENABLED,
            manager=manager,
            created=self._clock.now(),
        )
        wrapped = self._master.wrap(material, self._material_aad(key_id))
        return KeyRow(metadata=metadata, wrapped_material=wrapped)

    def _material(self, row: KeyRow) -> bytes:
        try:
            return self._master.unwrap(
                row.wrapped_material, self._material_aad(row.metadata.key_id)
            )
        except DecryptionFailed as exc:
            # Not the caller's fault: the region's master key is not the one the key was
            # created under (a replaced master.key) or the row was altered.
            raise KmsKeyUnavailable(f"{row.metadata.arn} is unavailable.") from exc

    def _material_aad(self, key_id: str) -> bytes:
        return f"ferry-kms-key:{self._region}:{key_id}".encode()

    def _alias_arn(self, account_id: str, name: str) -> str:
        return f"arn:aws:kms:{self._region}:{account_id}:{name}"


def _not_found(key_ref: str) -> KmsKeyNotFound:
    return KmsKeyNotFound(f"Key '{key_ref}' does not exist")


def _page_size(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIST_LIMIT
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise KmsValidation(f"Limit must be between 1 and {MAX_LIST_LIMIT}: {limit}")
    return limit


def _page(found: list[T], size: int, marker_of: Callable[[T], str]) -> Page[T]:
    """`found` holds up to size + 1 items: the extra one only says there is more."""
    if len(found) <= size:
        return Page(items=found, next_marker=None)
    items = found[:size]
    return Page(items=items, next_marker=marker_of(items[-1]))
