"""Frozen rows: what the store hands out. Times are aware UTC datetimes."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from ferry.core.clock import from_epoch_ms

Pairs = tuple[tuple[str, str], ...]


class VersioningStatus(StrEnum):
    UNVERSIONED = ""
    ENABLED = "Enabled"
    SUSPENDED = "Suspended"


class ObjectLockMode(StrEnum):
    """A version's retention mode (`x-amz-object-lock-mode`), in AWS's spelling."""

    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"


class ReplicationStatus(StrEnum):
    """A version's replication status (`x-amz-replication-status`), in AWS's spelling. Kept in
    `versions.replication_status`; set through `store.versions.set_replication_status` only."""

    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    REPLICA = "REPLICA"


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """One ACL grant. grantee_type: CanonicalUser | Group | AmazonCustomerByEmail."""

    grantee_type: str
    grantee: str  # canonical ID, group URI or e-mail address
    permission: str  # FULL_CONTROL | WRITE | WRITE_ACP | READ | READ_ACP


Grants = tuple[Grant, ...]


def grants_to_json(grants: Grants) -> str:
    return json.dumps([[g.grantee_type, g.grantee, g.permission] for g in grants])


def grants_from_json(text: str) -> Grants:
    return tuple(Grant(grantee_type=t, grantee=g, permission=p) for t, g, p in json.loads(text))


def pairs_to_json(pairs: Pairs) -> str:
    return json.dumps([list(p) for p in pairs])


def pairs_from_json(text: str | None) -> Pairs:
    if not text:
        return ()
    return tuple((k, v) for k, v in json.loads(text))


@dataclass(frozen=True, slots=True, kw_only=True)
class Bucket:
    name: str
    owner_id: str
    region: str
    created: datetime
    versioning: VersioningStatus
    acl: Grants
    tags: Pairs | None  # None: no tag set (GetBucketTagging → NoSuchTagSet)
    replication: str | None = None  # the ReplicationConfiguration document, if any


class ObjectOwnership(StrEnum):
    """S3 Object Ownership (OwnershipControls). A bucket without the setting behaves as
    ObjectWriter, as on AWS."""

    BUCKET_OWNER_ENFORCED = "BucketOwnerEnforced"
    BUCKET_OWNER_PREFERRED = "BucketOwnerPreferred"
    OBJECT_WRITER = "ObjectWriter"


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicAccessBlock:
    """The four Block Public Access settings (of a bucket, or of an account)."""

    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    def to_json(self) -> str:
        return json.dumps(
            [
                self.block_public_acls,
                self.ignore_public_acls,
                self.block_public_policy,
                self.restrict_public_buckets,
            ]
        )

    @classmethod
    def from_json(cls, text: str) -> PublicAccessBlock:
        acls, ignore, policy, restrict = (bool(v) for v in json.loads(text))
        return cls(
            block_public_acls=acls,
            ignore_public_acls=ignore,
            block_public_policy=policy,
            restrict_public_buckets=restrict,
        )

    def merged(self, other: PublicAccessBlock | None) -> PublicAccessBlock:
        """The effective settings: a setting holds if either level sets it (AWS)."""
        if other is None:
            return self
        return PublicAccessBlock(
            block_public_acls=self.block_public_acls or other.block_public_acls,
            ignore_public_acls=self.ignore_public_acls or other.ignore_public_acls,
            block_public_policy=self.block_public_policy or other.block_public_policy,
            restrict_public_buckets=self.restrict_public_buckets or other.restrict_public_buckets,
        )


NO_PUBLIC_ACCESS_BLOCK = PublicAccessBlock()
# New buckets: all four on, and ACLs disabled (AWS's defaults since April 2023).
BLOCK_ALL_PUBLIC_ACCESS = PublicAccessBlock(
    block_public_acls=True,
    ignore_public_acls=True,
    block_public_policy=True,
    restrict_public_buckets=True,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketAccess:
    """What authorising a request needs of a bucket: its owner, policy, ACL, Object Ownership,
    Block Public Access and CORS settings (read on every request, so cached together)."""

    name: str
    owner_id: str  # canonical user ID
    policy: str | None  # the bucket policy as stored; None: no policy
    acl: Grants = ()
    object_ownership: ObjectOwnership | None = ObjectOwnership.BUCKET_OWNER_ENFORCED
    public_access_block: PublicAccessBlock | None = None  # None: no configuration
    cors: str | None = None  # the CORSConfiguration document; None: none

    @property
    def acls_enabled(self) -> bool:
        return self.object_ownership is not ObjectOwnership.BUCKET_OWNER_ENFORCED


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketState:
    """What the object write path needs of a bucket (cheap to read on every request)."""

    name: str
    owner_id: str
    region: str
    versioning: VersioningStatus
    # Tells this bucket from a namesake deleted before it (its creation time in epoch ms):
    # settings kept outside `buckets` (notifications) name the incarnation they belong to.
    incarnation: int
    object_lock: BucketObjectLock | None = None  # None: the bucket has no Object Lock


@dataclass(frozen=True, slots=True, kw_only=True)
class DefaultRetention:
    """A bucket's default retention: `days` or `years`, exactly one of them."""

    mode: ObjectLockMode
    days: int | None = None
    years: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketObjectLock:
    """A bucket's Object Lock configuration (it has one once Object Lock is enabled)."""

    default_retention: DefaultRetention | None = None


def object_lock_to_json(lock: BucketObjectLock) -> str:
    rule = lock.default_retention
    if rule is None:
        return "{}"
    return json.dumps({"mode": rule.mode.value, "days": rule.days, "years": rule.years})


def object_lock_from_json(text: str | None) -> BucketObjectLock | None:
    if text is None:
        return None
    raw = json.loads(text)
    if not raw:
        return BucketObjectLock()
    return BucketObjectLock(
        default_retention=DefaultRetention(
            mode=ObjectLockMode(raw["mode"]), days=raw.get("days"), years=raw.get("years")
        )
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """A blob file holding a contiguous run of an object's bytes (one per multipart part)."""

    blob_id: str
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Body:
    """Where an object's bytes are: inline in the database, or in blob segments."""

    inline: bytes | None = None
    segments: tuple[Segment, ...] = ()

    @property
    def size(self) -> int:
        if self.inline is not None:
            return len(self.inline)
        return sum(s.size for s in self.segments)


EMPTY_BODY = Body(inline=b"")


def segments_to_text(segments: tuple[Segment, ...]) -> str:
    return " ".join(f"{s.blob_id}:{s.size}" for s in segments)


def segments_from_text(text: str) -> tuple[Segment, ...]:
    if not text:
        return ()
    out = []
    for item in text.split(" "):
        blob_id, _, size = item.partition(":")
        out.append(Segment(blob_id=blob_id, size=int(size)))
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class PartInfo:
    """A completed multipart object's part, for GetObject?partNumber and attributes."""

    size: int
    checksum_value: str | None = None


class EncryptionKind(StrEnum):
    """How a body's data key is protected; values are AWS's x-amz-server-side-encryption."""

    SSE_S3 = "AES256"  # wrapped under the region master key
    SSE_KMS = "aws:kms"  # wrapped by the region's key service, under a KMS key
    SSE_C = "SSE-C"  # wrapped under a key derived from the customer's key alone


@dataclass(frozen=True, slots=True, kw_only=True)
class Encryption:
    """How a version's (or an upload's) bytes are encrypted at rest (crypto/frames.py format).

    Everything replication needs to move the object: for SSE-S3/SSE-KMS it decrypts and lets
    the destination encrypt again; an SSE-C object travels as it is stored (ciphertext, this
    record), since no region ever holds the customer's key."""

    kind: EncryptionKind
    wrapped_key: bytes  # the data key, wrapped as `kind` says
    frame_bytes: int  # plaintext bytes per frame
    kms_key_arn: str | None = None
    kms_context: str | None = None  # the user's x-amz-server-side-encryption-context (base64)
    customer_key_salt: bytes | None = None  # SSE-C: salt of the key check and key derivation
    customer_key_hmac: bytes | None = None  # SSE-C: recognises the key; the key is never kept
    bucket_key_enabled: bool = False


def is_sse_kms(encryption: Encryption | None) -> bool:
    return encryption is not None and encryption.kind is EncryptionKind.SSE_KMS


def encryption_to_json(encryption: Encryption | None) -> str | None:
    if encryption is None:
        return None

    def b64(value: bytes | None) -> str | None:
        return base64.b64encode(value).decode() if value is not None else None

    return json.dumps(
        {
            "kind": encryption.kind.value,
            "wrapped_key": b64(encryption.wrapped_key),
            "frame_bytes": encryption.frame_bytes,
            "kms_key_arn": encryption.kms_key_arn,
            "kms_context": encryption.kms_context,
            "customer_key_salt": b64(encryption.customer_key_salt),
            "customer_key_hmac": b64(encryption.customer_key_hmac),
            "bucket_key_enabled": encryption.bucket_key_enabled,
        }
    )


def encryption_from_json(text: str | None) -> Encryption | None:
    if not text:
        return None
    raw = json.loads(text)

    def unb64(value: str | None) -> bytes | None:
        return base64.b64decode(value) if value is not None else None

    return Encryption(
        kind=EncryptionKind(raw["kind"]),
        wrapped_key=base64.b64decode(raw["wrapped_key"]),
        frame_bytes=int(raw["frame_bytes"]),
        kms_key_arn=raw.get("kms_key_arn"),
        kms_context=raw.get("kms_context"),
        customer_key_salt=unb64(raw.get("customer_key_salt")),
        customer_key_hmac=unb64(raw.get("customer_key_hmac")),
        bucket_key_enabled=bool(raw.get("bucket_key_enabled", False)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectAttributes:
    """Everything about a version that is not its bytes and not its identity."""

    size: int = 0
    etag: str = ""
    storage_class: str = "STANDARD"
    content_headers: Pairs = ()  # Content-Type, Cache-Control, ... as sent
    user_metadata: Pairs = ()  # x-amz-meta-* without the prefix, lower-case names
    tags: Pairs = ()
    acl: Grants = ()
    checksum_algorithm: str | None = None
    checksum_value: str | None = None
    checksum_type: str | None = None  # COMPOSITE | FULL_OBJECT
    parts: tuple[PartInfo, ...] = ()
    replication_status: ReplicationStatus | None = None
    encryption: Encryption | None = None  # None: the body is stored as plaintext
    # Object Lock (store/object_lock.py): retention mode and date, or neither; legal hold
    lock_mode: ObjectLockMode | None = None
    lock_until: datetime | None = None
    legal_hold: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Version:
    bucket: str
    key: str
    version_id: str
    seq: int
    is_latest: bool
    is_delete_marker: bool
    last_modified: datetime
    owner_id: str
    attrs: ObjectAttributes
    body: Body

    @property
    def size(self) -> int:
        return self.attrs.size

    @property
    def etag(self) -> str:
        return self.attrs.etag


VERSION_COLUMNS = (
    "seq, bucket, key, version_id, is_latest, is_delete_marker, last_modified_ms, owner_id, "
    "size, etag, storage_class, content_headers, user_metadata, tags, acl, checksum_algorithm, "
    "checksum_value, checksum_type, parts, body_inline, segments, replication_status, encryption, "
    "lock_mode, lock_until_ms, legal_hold"
)


# Metadata-only reads: the inline body is replaced by NULL.
VERSION_COLUMNS_WITHOUT_BODY = VERSION_COLUMNS.replace("body_inline", "NULL")


def version_from_row(row: Any) -> Version:
    (
        seq, bucket, key, version_id, is_latest, is_delete_marker, last_modified_ms, owner_id,
        size, etag, storage_class, content_headers, user_metadata, tags, acl,
        checksum_algorithm, checksum_value, checksum_type, parts, body_inline, segments,
        replication_status, encryption, lock_mode, lock_until_ms, legal_hold,
    ) = row  # fmt: skip
    part_list = json.loads(parts) if isinstance(parts, str) else []
    return Version(
        bucket=str(bucket),
        key=str(key),
        version_id=str(version_id),
        seq=int(seq),
        is_latest=bool(is_latest),
        is_delete_marker=bool(is_delete_marker),
        last_modified=from_epoch_ms(int(last_modified_ms)),
        owner_id=str(owner_id),
        attrs=ObjectAttributes(
            size=int(size),
            etag=str(etag),
            storage_class=str(storage_class),
            content_headers=pairs_from_json(content_headers),
            user_metadata=pairs_from_json(user_metadata),
            tags=pairs_from_json(tags),
            acl=grants_from_json(str(acl)),
            checksum_algorithm=checksum_algorithm,
            checksum_value=checksum_value,
            checksum_type=checksum_type,
            parts=tuple(PartInfo(size=s, checksum_value=c) for s, c in part_list),
            replication_status=ReplicationStatus(replication_status)
            if replication_status
            else None,
            encryption=encryption_from_json(encryption),
            lock_mode=ObjectLockMode(lock_mode) if lock_mode else None,
            lock_until=from_epoch_ms(int(lock_until_ms)) if lock_until_ms is not None else None,
            legal_hold=bool(legal_hold),
        ),
        body=Body(
            inline=bytes(body_inline) if body_inline is not None else None,
            segments=segments_from_text(str(segments)),
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: datetime
    owner_id: str
    attrs: ObjectAttributes  # what the completed object will carry (no size/etag yet)


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    upload_id: str
    part_number: int
    size: int
    etag: str
    checksum_value: str | None
    blob_id: str
    last_modified: datetime
    stored_size: int | None = None  # bytes at rest, when they differ from `size` (encryption)
