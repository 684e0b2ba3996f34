"""Server-side encryption of object data: which key a write uses, and opening it again.

Every encrypted version (or multipart upload) has its own fresh 256-bit data key; its bytes
are stored as crypto/frames.py streams under that key, and the data key is kept only wrapped:

- SSE-S3: under the region master key;
- SSE-KMS: by the region's key service, under the named KMS key (`aws/s3` by default), with
  the encryption context {"aws:s3:arn": "arn:aws:s3:::bucket/key"} plus the caller's own;
- SSE-C: under a key derived from the customer's key alone (crypto/customer_keys.py).

`ObjectEncryption` is the facade handlers and replication use: `for_write` picks and creates
the data key of a new version, `open` unwraps a stored one (checking the SSE-C rules), `seal`
wraps a payload, `read` streams plaintext (only the frames a range needs), `copy_body` copies
plaintext from one version into a new body under another key.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Final, Literal, Protocol

from ferry.crypto.bucket_defaults import BucketEncryptionDefault, BucketEncryptionDefaults
from ferry.crypto.customer_keys import CustomerKey, new_salt
from ferry.crypto.frames import (
    DATA_KEY_BYTES,
    FRAME_PLAINTEXT_BYTES,
    HEADER_BYTES,
    FrameOpener,
    frame_span,
    open_span,
    sealed_size,
)
from ferry.crypto.kms_records import S3_MANAGED_ALIAS, DataKey, KeyMetadata
from ferry.crypto.master_key import MasterKey
from ferry.crypto.sealed_payload import PlaintextPayload, SealingPayload, keyed_etag
from ferry.crypto.sse_errors import (
    CustomerKeyRequired,
    EncryptionNotApplicable,
    InvalidEncryptionArgument,
)
from ferry.store import Body, Objects, Payload, PayloadDigest, Version
from ferry.store.blobs import INLINE_MAX_BYTES
from ferry.store.records import Encryption, EncryptionKind, ObjectAttributes

_SSE_S3_AAD = b"ferry:sse-s3:data-key"
_CONTEXT_HEADER = "x-amz-server-side-encryption-context"


class _Unread(Enum):
    UNREAD = "unread"


Unread = Literal[_Unread.UNREAD]
UNREAD: Final = _Unread.UNREAD  # the bucket's default rule is not read yet: read it


class KmsDataKeys(Protocol):
    """What SSE needs of the region's key service (crypto/kms.py `KeyService`)."""

    async def generate_data_key(
        self, key_ref: str | None, *, account_id: str, context: Mapping[str, str]
    ) -> DataKey: ...

    async def decrypt_data_key(
        self, ciphertext: bytes, *, account_id: str, context: Mapping[str, str]
    ) -> DataKey: ...

    async def describe_key(self, key_ref: str, *, account_id: str) -> KeyMetadata: ...


# Called with the ARN of the KMS key a request is about to use, before any data key is made or
# opened: raises unless the caller may (kms:GenerateDataKey to write, kms:Decrypt to read).
KeyCheck = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class SseRequest:
    """The encryption a write asked for in its headers; all None: the bucket default."""

    kind: EncryptionKind | None = None  # from x-amz-server-side-encryption (SSE-S3, SSE-KMS)
    kms_key_id: str | None = None  # x-amz-server-side-encryption-aws-kms-key-id
    kms_context: str | None = None  # x-amz-server-side-encryption-context (base64 JSON)
    bucket_key_enabled: bool | None = None
    customer_key: CustomerKey | None = None


@dataclass(frozen=True, slots=True)
class OpenKey:
    """A version's (or upload's) encryption with its data key unwrapped, for one request."""

    encryption: Encryption
    data_key: bytes = field(repr=False)
    customer_key_md5: str | None = None  # SSE-C: echoed in responses


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def parse_kms_context(value: str | None) -> dict[str, str]:
    """x-amz-server-side-encryption-context: base64 of a JSON object of strings."""
    if value is None:
        return {}
    try:
        decoded = json.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise InvalidEncryptionArgument(
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 "
            "string holding JSON which represents a string-string map",
            argument_name=_CONTEXT_HEADER,
        ) from exc
    if not isinstance(decoded, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in decoded.items()
    ):
        raise InvalidEncryptionArgument(
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 "
            "string holding JSON which represents a string-string map",
            argument_name=_CONTEXT_HEADER,
        )
    return decoded


def kms_context(encryption_context: str | None, bucket: str, key: str) -> dict[str, str]:
    """The KMS encryption context of an object's data key (AWS adds the object's ARN)."""
    return {**parse_kms_context(encryption_context), "aws:s3:arn": object_arn(bucket, key)}


def stored_body_size(attrs: ObjectAttributes) -> int:
    """Bytes at rest of an encrypted version's body: one sealed stream per part (or one)."""
    encryption = attrs.encryption
    if encryption is None:
        return attrs.size
    sizes = [p.size for p in attrs.parts] or [attrs.size]
    return sum(sealed_size(size, encryption.frame_bytes) for size in sizes)


def _kms_account(key_arn: str) -> str:
    # arn:aws:kms:<region>:<account>:key/<id>
    parts = key_arn.split(":")
    return parts[4] if len(parts) > 5 else ""


class ObjectEncryption:
    """One region's SSE: data keys in, plaintext out."""

    def __init__(
        self,
        objects: Objects,
        master_key: MasterKey,
        kms: KmsDataKeys | None,
        defaults: BucketEncryptionDefaults,
        *,
        frame_bytes: int = FRAME_PLAINTEXT_BYTES,
    ) -> None:
        self._objects = objects
        self._master = master_key
        self._kms = kms
        self._frame_bytes = frame_bytes
        self.defaults = defaults

    # -- writing ------------------------------------------------------------------------------

    async def for_write(
        self,
        request: SseRequest,
        *,
        bucket: str,
        key: str,
        account_id: str,
        authorize_key: KeyCheck | None = None,
        bucket_default: BucketEncryptionDefault | Unread | None = UNREAD,
    ) -> OpenKey | None:
        """The data key of a new version: as requested, else as the bucket's default rule
        (`bucket_default` when the caller read it already); None: store plaintext.
        `authorize_key` judges the KMS key of an SSE-KMS write."""
        if request.customer_key is not None:
            return self._new_customer_key(request.customer_key)
        kind = request.kind
        kms_key_id, bucket_key = request.kms_key_id, bool(request.bucket_key_enabled)
        if kind is None:
            rule = await self.defaults.find(bucket) if bucket_default is UNREAD else bucket_default
            if rule is None:
                return None
            kind, kms_key_id = rule.algorithm, rule.kms_key_id
            if request.bucket_key_enabled is None:
                bucket_key = rule.bucket_key_enabled
        data_key = secrets.token_bytes(DATA_KEY_BYTES)
        if kind is EncryptionKind.SSE_S3:
            wrapped = self._master.wrap(data_key, _SSE_S3_AAD)
            encryption = Encryption(
                kind=kind, wrapped_key=wrapped, frame_bytes=self._frame_bytes,
                bucket_key_enabled=bucket_key,
            )  # fmt: skip
            return OpenKey(encryption, data_key)
        assert kind is EncryptionKind.SSE_KMS
        kms = self._require_kms()
        if authorize_key is not None:
            described = await kms.describe_key(
                kms_key_id or S3_MANAGED_ALIAS, account_id=account_id
            )
            await authorize_key(described.arn)
            kms_key_id = described.arn  # the key judged is the key used
        generated = await kms.generate_data_key(
            kms_key_id,
            account_id=account_id,
            context=kms_context(request.kms_context, bucket, key),
        )
        encryption = Encryption(
            kind=kind, wrapped_key=generated.ciphertext, frame_bytes=self._frame_bytes,
            kms_key_arn=generated.key_arn, kms_context=request.kms_context,
            bucket_key_enabled=bucket_key,
        )  # fmt: skip
        return OpenKey(encryption, generated.plaintext)

    def _new_customer_key(self, customer_key: CustomerKey) -> OpenKey:
        data_key = secrets.token_bytes(DATA_KEY_BYTES)
        salt = new_salt()
        encryption = Encryption(
            kind=EncryptionKind.SSE_C, wrapped_key=customer_key.wrap(data_key, salt),
            frame_bytes=self._frame_bytes, customer_key_salt=salt,
            customer_key_hmac=customer_key.check_value(salt),
        )  # fmt: skip
        return OpenKey(encryption, data_key, customer_key.md5_b64)

    def seal(self, payload: Payload, key: OpenKey, stream_sizes: Sequence[int] = ()) -> Payload:
        """`payload` encrypted under `key`; its digest's MD5 becomes the version's ETag.
        `stream_sizes`: a whole multipart object's part sizes (one sealed stream each)."""
        etag_of = keyed_etag(key.data_key) if key.encryption.kind is EncryptionKind.SSE_C else None
        return SealingPayload(
            payload, key.data_key, frame_bytes=key.encryption.frame_bytes, etag_of=etag_of,
            stream_sizes=stream_sizes,
        )  # fmt: skip

    # -- reading ------------------------------------------------------------------------------

    async def open(
        self,
        encryption: Encryption | None,
        customer_key: CustomerKey | None,
        *,
        bucket: str,
        key: str,
        authorize_key: KeyCheck | None = None,
    ) -> OpenKey | None:
        """The data key of a stored version or upload (None: plaintext), after AWS's SSE-C
        checks: the key is required for an SSE-C object and refused for any other.
        `authorize_key` judges the KMS key of an SSE-KMS version."""
        if encryption is None or encryption.kind is not EncryptionKind.SSE_C:
            if customer_key is not None:
                raise EncryptionNotApplicable()
            if encryption is None:
                return None
        match encryption.kind:
            case EncryptionKind.SSE_C:
                if customer_key is None:
                    raise CustomerKeyRequired()
                assert encryption.customer_key_salt and encryption.customer_key_hmac
                data_key = customer_key.unwrap(
                    encryption.wrapped_key,
                    encryption.customer_key_salt,
                    encryption.customer_key_hmac,
                )
                return OpenKey(encryption, data_key, customer_key.md5_b64)
            case EncryptionKind.SSE_S3:
                return OpenKey(encryption, self._master.unwrap(encryption.wrapped_key, _SSE_S3_AAD))
            case EncryptionKind.SSE_KMS:
                assert encryption.kms_key_arn is not None
                if authorize_key is not None:
                    await authorize_key(encryption.kms_key_arn)
                unwrapped = await self._require_kms().decrypt_data_key(
                    encryption.wrapped_key,
                    account_id=_kms_account(encryption.kms_key_arn),
                    context=kms_context(encryption.kms_context, bucket, key),
                )
                return OpenKey(encryption, unwrapped.plaintext)

    def read(
        self, version: Version, key: OpenKey | None, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Plaintext bytes [start, end) of `version` (`key` from `open`; None: plaintext)."""
        stop = version.attrs.size if end is None else min(end, version.attrs.size)
        if key is None:
            return self._objects.read_body(version, start, stop)
        return self._read_streams(version, key, start, stop)

    async def read_plaintext(
        self, version: Version, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Plaintext of a version the region can open alone (plaintext, SSE-S3, SSE-KMS), for
        replication and batch jobs; an SSE-C version raises CustomerKeyRequired (it travels
        as stored: `Objects.read_body` gives its ciphertext, `attrs.encryption` the rest)."""
        key = await self.open(
            version.attrs.encryption, None, bucket=version.bucket, key=version.key
        )
        async for chunk in self.read(version, key, start, end):
            yield chunk

    async def _read_streams(
        self, version: Version, key: OpenKey, start: int, end: int
    ) -> AsyncIterator[bytes]:
        frame_bytes = key.encryption.frame_bytes
        parts = [p.size for p in version.attrs.parts] or [version.attrs.size]
        plain_offset = stored_offset = 0
        for size in parts:
            stored = sealed_size(size, frame_bytes)
            lo, hi = max(start, plain_offset), min(end, plain_offset + size)
            if lo < hi:
                async for chunk in self._read_stream(
                    version, key, stored_offset, size, lo - plain_offset, hi - plain_offset
                ):
                    yield chunk
            plain_offset += size
            stored_offset += stored
            if plain_offset >= end:
                break

    async def _read_stream(
        self, version: Version, key: OpenKey, base: int, size: int, start: int, end: int
    ) -> AsyncIterator[bytes]:
        """Plaintext [start, end) of the sealed stream at stored offset `base`."""
        frame_bytes = key.encryption.frame_bytes
        header = b"".join(
            [c async for c in self._objects.read_body(version, base, base + HEADER_BYTES)]
        )
        opener = FrameOpener(key.data_key, header)
        span = frame_span(size, start, end, frame_bytes)
        sealed = self._objects.read_body(version, base + span.stored_start, base + span.stored_end)
        async for chunk in open_span(opener, span, sealed, frame_bytes):
            yield chunk

    async def copy_body(
        self,
        source: Version,
        source_key: OpenKey | None,
        target: OpenKey | None,
        start: int = 0,
        end: int | None = None,
        *,
        inline_max: int = INLINE_MAX_BYTES,
    ) -> tuple[Body, PayloadDigest]:
        """A new body holding plaintext [start, end) of `source`, sealed under `target`."""
        if source_key is None and target is None:
            return await self._objects.copy_body(source, start, end, inline_max=inline_max)
        payload: Payload = PlaintextPayload(self.read(source, source_key, start, end))
        if target is not None:
            payload = self.seal(payload, target)
        return await self._objects.blobs.write(payload, inline_max=inline_max)

    def _require_kms(self) -> KmsDataKeys:
        if self._kms is None:
            raise InvalidEncryptionArgument(
                "Server Side Encryption with AWS KMS managed key is not available in this region"
            )
        return self._kms
