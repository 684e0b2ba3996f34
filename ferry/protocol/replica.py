"""Ferry's replica wire format: how a replication worker tells a destination region what the
source version is, so that the replica keeps its identity (version ID, ETag, last-modified,
metadata, tags, ACL, parts layout).

- ReplicateObject: `PUT /bucket/key` with header `x-ferry-replica: framed`; the body is a
  4-byte big-endian length, that many bytes of JSON (the descriptor), then the object's bytes.
  The parts layout of a multipart object can be large, hence the body rather than a header.
- ReplicateDelete (a delete marker) and ReplicateTags (tags/ACL of a version): the descriptor
  travels base64url-encoded in the `x-ferry-replica` header itself.
- ReplicateBatch: many small replicas (objects, delete markers, tags) for one destination
  bucket in one request; see below.

An encrypted source travels as its encryption asks (`ReplicaEncryption`): SSE-S3 and SSE-KMS
objects as plaintext that the destination encrypts again under a key of its own (SSE-KMS: the
rule's ReplicaKmsKeyID); SSE-C objects as stored, with their wrapped data key, since no region
ever holds the customer's key. With no encryption the destination bucket's default applies.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from ferry.protocol.errors import S3Error, S3ErrorCode

REPLICA_HEADER = "x-ferry-replica"
FRAMED = "framed"
MAX_DESCRIPTOR_BYTES = 4 * 1024 * 1024
LENGTH_PREFIX = struct.Struct(">I")

Pairs = tuple[tuple[str, str], ...]
Triples = tuple[tuple[str, str, str], ...]

SSE_S3 = "AES256"
SSE_KMS = "aws:kms"
SSE_C = "SSE-C"
SSE_ALGORITHMS = frozenset({SSE_S3, SSE_KMS, SSE_C})


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaEncryption:
    """How the replica is encrypted. SSE_S3 / SSE_KMS: the plaintext follows and the
    destination encrypts it (SSE_KMS under `kms_key_id`). SSE_C: `stored_size` bytes follow as
    the source stores them, and the rest of the fields are the source's record of them."""

    algorithm: str  # one of SSE_ALGORITHMS
    kms_key_id: str | None = None  # SSE_KMS: the rule's ReplicaKmsKeyID
    kms_context: str | None = None  # SSE_KMS: the source's x-amz-server-side-encryption-context
    bucket_key_enabled: bool = False
    wrapped_key: str | None = None  # SSE_C, base64: the data key under the customer's key
    customer_key_salt: str | None = None  # SSE_C, base64
    customer_key_hmac: str | None = None  # SSE_C, base64
    frame_bytes: int = 0  # SSE_C: plaintext bytes per frame of the stored streams
    stored_size: int = 0  # SSE_C: bytes of the body as stored


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaDescriptor:
    version_id: str
    last_modified_ms: int
    owner_id: str
    is_delete_marker: bool = False
    size: int = 0
    etag: str = ""
    storage_class: str = "STANDARD"
    content_headers: Pairs = ()
    user_metadata: Pairs = ()
    tags: Pairs = ()
    acl: Triples = ()  # (grantee type, grantee, permission)
    checksum_algorithm: str | None = None
    checksum_value: str | None = None
    checksum_type: str | None = None
    parts: tuple[tuple[int, str | None], ...] = field(default=())  # (size, checksum)
    encryption: ReplicaEncryption | None = None  # None: plaintext, the destination's default
    # AccessControlTranslation (owner override): the destination bucket's owner owns the
    # replica with full control, and the source's ACL is not replicated
    owner_override: bool = False
    # Object Lock: the source bucket has it (so the destination must: AWS), and the version's
    # retention (mode GOVERNANCE | COMPLIANCE with its date, or neither) and legal hold
    source_object_lock: bool = False
    lock_mode: str | None = None
    lock_until_ms: int | None = None
    legal_hold: bool = False

    @property
    def wire_size(self) -> int:
        """How many bytes of the object travel: the stored ones for SSE-C, else the plaintext."""
        if self.encryption is not None and self.encryption.algorithm == SSE_C:
            return self.encryption.stored_size
        return self.size


def encryption_headers(descriptor: ReplicaDescriptor) -> dict[str, str]:
    """The replica's SSE-S3/SSE-KMS encryption as the request headers a PutObject would carry,
    so that the destination's policies see them as condition keys (s3:x-amz-server-side-...)."""
    encryption = descriptor.encryption
    if encryption is None or encryption.algorithm == SSE_C:
        return {}
    headers = {"x-amz-server-side-encryption": encryption.algorithm}
    if encryption.kms_key_id is not None:
        headers["x-amz-server-side-encryption-aws-kms-key-id"] = encryption.kms_key_id
    return headers


def to_json(descriptor: ReplicaDescriptor) -> bytes:
    return json.dumps(_as_dict(descriptor), separators=(",", ":")).encode()


def _as_dict(d: ReplicaDescriptor) -> dict[str, Any]:
    return {
        "version_id": d.version_id, "last_modified_ms": d.last_modified_ms,
        "owner_id": d.owner_id, "is_delete_marker": d.is_delete_marker, "size": d.size,
        "etag": d.etag, "storage_class": d.storage_class,
        "content_headers": d.content_headers, "user_metadata": d.user_metadata,
        "tags": d.tags, "acl": d.acl, "checksum_algorithm": d.checksum_algorithm,
        "checksum_value": d.checksum_value, "checksum_type": d.checksum_type,
        "parts": d.parts,
        "encryption": _encryption_dict(d.encryption), "owner_override": d.owner_override,
        "source_object_lock": d.source_object_lock, "lock_mode": d.lock_mode,
        "lock_until_ms": d.lock_until_ms, "legal_hold": d.legal_hold,
    }  # fmt: skip


def _encryption_dict(e: ReplicaEncryption | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {
        "algorithm": e.algorithm, "kms_key_id": e.kms_key_id, "kms_context": e.kms_context,
        "bucket_key_enabled": e.bucket_key_enabled, "wrapped_key": e.wrapped_key,
        "customer_key_salt": e.customer_key_salt, "customer_key_hmac": e.customer_key_hmac,
        "frame_bytes": e.frame_bytes, "stored_size": e.stored_size,
    }  # fmt: skip


def _encryption_from(raw: Any) -> ReplicaEncryption | None:
    if raw is None:
        return None
    encryption = ReplicaEncryption(
        algorithm=_str(raw["algorithm"]),
        kms_key_id=_opt(raw["kms_key_id"]),
        kms_context=_opt(raw["kms_context"]),
        bucket_key_enabled=bool(raw["bucket_key_enabled"]),
        wrapped_key=_opt(raw["wrapped_key"]),
        customer_key_salt=_opt(raw["customer_key_salt"]),
        customer_key_hmac=_opt(raw["customer_key_hmac"]),
        frame_bytes=int(raw["frame_bytes"]),
        stored_size=int(raw["stored_size"]),
    )
    if encryption.algorithm not in SSE_ALGORITHMS or encryption.stored_size < 0:
        raise ValueError("unknown replica encryption")
    if encryption.algorithm == SSE_C and not (
        encryption.wrapped_key and encryption.customer_key_salt and encryption.customer_key_hmac
        and encryption.frame_bytes > 0
    ):  # fmt: skip
        raise ValueError("an SSE-C replica needs its stored key record")
    return encryption


def from_json(data: bytes) -> ReplicaDescriptor:
    try:
        return _from_dict(json.loads(data))
    except ValueError as exc:
        raise S3Error(S3ErrorCode.InvalidRequest, "Malformed replica descriptor.") from exc


def _from_dict(raw: Any) -> ReplicaDescriptor:
    try:
        return ReplicaDescriptor(
            version_id=_str(raw["version_id"]),
            last_modified_ms=int(raw["last_modified_ms"]),
            owner_id=_str(raw["owner_id"]),
            is_delete_marker=bool(raw["is_delete_marker"]),
            size=int(raw["size"]),
            etag=_str(raw["etag"]),
            storage_class=_str(raw["storage_class"]),
            content_headers=tuple((_str(k), _str(v)) for k, v in raw["content_headers"]),
            user_metadata=tuple((_str(k), _str(v)) for k, v in raw["user_metadata"]),
            tags=tuple((_str(k), _str(v)) for k, v in raw["tags"]),
            acl=tuple((_str(t), _str(g), _str(p)) for t, g, p in raw["acl"]),
            checksum_algorithm=_opt(raw["checksum_algorithm"]),
            checksum_value=_opt(raw["checksum_value"]),
            checksum_type=_opt(raw["checksum_type"]),
            parts=tuple((int(s), _opt(c)) for s, c in raw["parts"]),
            encryption=_encryption_from(raw.get("encryption")),
            owner_override=bool(raw.get("owner_override", False)),
            source_object_lock=bool(raw.get("source_object_lock", False)),
            lock_mode=_lock_mode(raw.get("lock_mode")),
            lock_until_ms=_opt_int(raw.get("lock_until_ms")),
            legal_hold=bool(raw.get("legal_hold", False)),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise S3Error(S3ErrorCode.InvalidRequest, "Malformed replica descriptor.") from exc


def _lock_mode(value: object) -> str | None:
    mode = _opt(value)
    if mode is not None and mode not in ("GOVERNANCE", "COMPLIANCE"):
        raise ValueError("unknown lock mode")
    return mode


def _opt_int(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _opt(value: object) -> str | None:
    return None if value is None else _str(value)


def to_header(descriptor: ReplicaDescriptor) -> str:
    return base64.urlsafe_b64encode(to_json(descriptor)).decode("ascii")


def from_header(value: str) -> ReplicaDescriptor:
    try:
        data = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise S3Error(S3ErrorCode.InvalidRequest, "Malformed replica descriptor.") from exc
    return from_json(data)


def frame_prefix(descriptor: ReplicaDescriptor) -> bytes:
    """What precedes the object's bytes in a ReplicateObject body."""
    data = to_json(descriptor)
    return LENGTH_PREFIX.pack(len(data)) + data


def parse_frame_length(prefix: bytes) -> int:
    (length,) = LENGTH_PREFIX.unpack(prefix)
    if length > MAX_DESCRIPTOR_BYTES:
        raise S3Error(S3ErrorCode.InvalidRequest, "Replica descriptor too large.")
    return int(length)


# -- ReplicateBatch: many small replicas to one destination bucket in one request -------------
#
# `POST /bucket` with header `x-ferry-replica: batch`. The body is a sequence of items, each a
# 4-byte big-endian length, that many bytes of JSON ({"key", "op", "d": descriptor}), then, for
# an OBJECT item only, exactly `d.size` bytes of the object. The answer is JSON: one result per
# item, in order, so that one failed item fails only itself.

BATCH = "batch"
ITEM_OBJECT = "OBJECT"
ITEM_DELETE_MARKER = "DELETE_MARKER"
ITEM_METADATA = "METADATA"
ITEM_OPERATIONS = frozenset({ITEM_OBJECT, ITEM_DELETE_MARKER, ITEM_METADATA})
MAX_BATCH_ITEMS = 1000
MAX_BATCH_BYTES = 32 * 1024 * 1024  # the destination holds a batch's bodies while it commits


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchItem:
    key: str
    operation: str  # one of ITEM_OPERATIONS
    descriptor: ReplicaDescriptor

    @property
    def body_size(self) -> int:
        """How many object bytes follow this item's header in the batch body."""
        return self.descriptor.wire_size if self.operation == ITEM_OBJECT else 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemResult:
    status: int  # the HTTP status the item would have had as its own request
    code: str = ""  # the S3 error code when status >= 300
    message: str = ""
    version_id: str = ""

    @property
    def ok(self) -> bool:
        return self.status < 300


def item_header(item: BatchItem) -> bytes:
    doc = {"key": item.key, "op": item.operation, "d": _as_dict(item.descriptor)}
    data = json.dumps(doc, separators=(",", ":")).encode()
    return LENGTH_PREFIX.pack(len(data)) + data


def parse_item_header(data: bytes) -> BatchItem:
    try:
        raw: Any = json.loads(data)
        key, operation = _str(raw["key"]), _str(raw["op"])
        descriptor = _from_dict(raw["d"])
    except (ValueError, KeyError, TypeError) as exc:
        raise S3Error(S3ErrorCode.InvalidRequest, "Malformed replica batch item.") from exc
    if operation not in ITEM_OPERATIONS or not key:
        raise S3Error(S3ErrorCode.InvalidRequest, "Malformed replica batch item.")
    if descriptor.size < 0 or descriptor.wire_size < 0:
        raise S3Error(S3ErrorCode.InvalidRequest, "Malformed replica batch item.")
    return BatchItem(key=key, operation=operation, descriptor=descriptor)


def results_to_json(results: list[ItemResult]) -> bytes:
    return json.dumps(
        {"results": [[r.status, r.code, r.message, r.version_id] for r in results]},
        separators=(",", ":"),
    ).encode()


def results_from_json(data: bytes) -> list[ItemResult]:
    """Raises ValueError when the answer is not a batch result document."""
    try:
        raw: Any = json.loads(data)
        return [
            ItemResult(status=int(s), code=_str(c), message=_str(m), version_id=_str(v))
            for s, c, m, v in raw["results"]
        ]
    except (KeyError, TypeError) as exc:
        raise ValueError("not a replica batch answer") from exc
