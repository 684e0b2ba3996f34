"""Multipart uploads: create, upload parts, complete into a version, abort, list.

Parts are blob files; completing an upload makes them the segments of the new version, so no
byte is copied. Parts not named in CompleteMultipartUpload become garbage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ferry.core.clock import Clock, epoch_ms, from_epoch_ms
from ferry.core.ids import new_upload_id
from ferry.store.blobs import FileBlobStore, Payload
from ferry.store.buckets import fetch_bucket_state
from ferry.store.db import Database, Tx
from ferry.store.errors import EntityTooSmall, InvalidPart, InvalidPartOrder, NoSuchUpload
from ferry.store.hooks import VersionHooks
from ferry.store.listing import prefix_successor
from ferry.store.object_lock import check_lock_attrs
from ferry.store.quotas import check_quota
from ferry.store.records import (
    Body,
    ObjectAttributes,
    ObjectLockMode,
    Part,
    PartInfo,
    Segment,
    Upload,
    Version,
    encryption_from_json,
    encryption_to_json,
    grants_from_json,
    grants_to_json,
    pairs_from_json,
    pairs_to_json,
)
from ferry.store.versions import WriteCondition, commit_version, commit_with_blobs, lock_key

MIN_PART_SIZE_BYTES = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000

_UPLOAD_COLUMNS = (
    "upload_id, bucket, key, initiated_ms, owner_id, storage_class, content_headers, "
    "user_metadata, tags, acl, checksum_algorithm, checksum_type, encryption, "
    "lock_mode, lock_until_ms, legal_hold"
)
_PART_COLUMNS = (
    "upload_id, part_number, size, etag, checksum_value, blob_id, last_modified_ms, stored_size"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CompletedPart:
    part_number: int
    etag: str  # unquoted
    checksum_value: str | None = None


# Combines the parts' checksums into the object's (composite or full-object), given the upload.
ChecksumCombiner = Callable[[Upload, list[Part]], tuple[str | None, str | None]]


def _upload_from_row(row: Any) -> Upload:
    return Upload(
        upload_id=row[0],
        bucket=row[1],
        key=row[2],
        initiated=from_epoch_ms(row[3]),
        owner_id=row[4],
        attrs=ObjectAttributes(
            storage_class=row[5],
            content_headers=pairs_from_json(row[6]),
            user_metadata=pairs_from_json(row[7]),
            tags=pairs_from_json(row[8]),
            acl=grants_from_json(row[9]),
            checksum_algorithm=row[10],
            checksum_type=row[11],
            encryption=encryption_from_json(row[12]),
            lock_mode=ObjectLockMode(row[13]) if row[13] else None,
            lock_until=from_epoch_ms(int(row[14])) if row[14] is not None else None,
            legal_hold=bool(row[15]),
        ),
    )


def _part_from_row(row: Any) -> Part:
    return Part(
        upload_id=row[0],
        part_number=row[1],
        size=row[2],
        etag=row[3],
        checksum_value=row[4],
        blob_id=row[5],
        last_modified=from_epoch_ms(row[6]),
        stored_size=row[7],
    )


def fetch_upload(tx: Tx, bucket: str, key: str, upload_id: str) -> Upload:
    row = tx.execute(
        f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ? AND bucket = ? AND key = ?",
        (upload_id, bucket, key),
    ).fetchone()
    if row is None:
        raise NoSuchUpload(upload_id=upload_id)
    return _upload_from_row(row)


def multipart_etag(md5_hexes: list[str]) -> str:
    joined = b"".join(bytes.fromhex(h) for h in md5_hexes)
    return f"{hashlib.md5(joined).hexdigest()}-{len(md5_hexes)}"


class Uploads:
    def __init__(
        self, db: Database, blobs: FileBlobStore, hooks: VersionHooks, clock: Clock
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._hooks = hooks
        self._clock = clock

    async def create(
        self, bucket: str, key: str, *, owner_id: str, attrs: ObjectAttributes
    ) -> Upload:
        upload_id = new_upload_id()
        now = self._clock.now()

        def write(tx: Tx) -> Upload:
            check_lock_attrs(fetch_bucket_state(tx, bucket), attrs)
            tx.execute(
                f"INSERT INTO uploads ({_UPLOAD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    upload_id, bucket, key, epoch_ms(now), owner_id, attrs.storage_class,
                    pairs_to_json(attrs.content_headers), pairs_to_json(attrs.user_metadata),
                    pairs_to_json(attrs.tags), grants_to_json(attrs.acl),
                    attrs.checksum_algorithm, attrs.checksum_type,
                    encryption_to_json(attrs.encryption),
                    attrs.lock_mode.value if attrs.lock_mode else None,
                    epoch_ms(attrs.lock_until) if attrs.lock_until is not None else None,
                    int(attrs.legal_hold),
                ),
            )  # fmt: skip
            return fetch_upload(tx, bucket, key, upload_id)

        return await self._db.write(write)

    async def get(self, bucket: str, key: str, upload_id: str) -> Upload:
        def read(tx: Tx) -> Upload:
            fetch_bucket_state(tx, bucket)
            return fetch_upload(tx, bucket, key, upload_id)

        return await self._db.read(read)

    async def put_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, payload: Payload | None,
        *, body: Body | None = None, md5_hex: str | None = None, size: int | None = None,
        declared_size: int | None = None,
    ) -> Part:  # fmt: skip
        """Store one part (from a payload, or an already-written body for UploadPartCopy).

        `size` is the part's plaintext size when the body is stored encrypted (the payload's
        digest says it otherwise). Callers check the upload exists (`get()`) before reading
        the body. Parts count against the bucket's byte quota from the moment they are stored;
        with `declared_size` (Content-Length) a part the quota cannot take fails before a byte
        of it is read."""
        if declared_size is not None:
            await self._db.read(
                lambda tx: check_quota(
                    tx, bucket, added_bytes=declared_size - _part_size(tx, upload_id, part_number)
                )
            )
        checksum_value = None
        if payload is not None:
            body, digest = await self._blobs.write(payload, inline_max=-1)
            md5_hex = digest.md5_hex
            checksum_value = digest.checksum_value
            size = digest.size
        assert body is not None and md5_hex is not None
        segment = body.segments[0]
        plain_size = segment.size if size is None else size
        stored_size = segment.size if segment.size != plain_size else None
        now = self._clock.now()

        def write(tx: Tx) -> tuple[Part, list[str]]:
            fetch_upload(tx, bucket, key, upload_id)
            old = tx.execute(
                "SELECT blob_id, size FROM parts WHERE upload_id = ? AND part_number = ?",
                (upload_id, part_number),
            ).fetchone()
            check_quota(tx, bucket, added_bytes=plain_size - (old[1] if old else 0))
            tx.execute(
                f"INSERT INTO parts ({_PART_COLUMNS}) VALUES (?,?,?,?,?,?,?,?) "
                "ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, "
                "etag = excluded.etag, checksum_value = excluded.checksum_value, "
                "blob_id = excluded.blob_id, last_modified_ms = excluded.last_modified_ms, "
                "stored_size = excluded.stored_size",
                (upload_id, part_number, plain_size, md5_hex, checksum_value,
                 segment.blob_id, epoch_ms(now), stored_size),
            )  # fmt: skip
            part = Part(
                upload_id=upload_id, part_number=part_number, size=plain_size, etag=md5_hex,
                checksum_value=checksum_value, blob_id=segment.blob_id, last_modified=now,
                stored_size=stored_size,
            )  # fmt: skip
            return part, [old[0]] if old else []

        return await commit_with_blobs(self._db, self._blobs, write, [segment.blob_id])

    async def list_parts(
        self, bucket: str, key: str, upload_id: str, *, after: int = 0, limit: int = 1000
    ) -> tuple[Upload, list[Part], bool]:
        def read(tx: Tx) -> tuple[Upload, list[Part], bool]:
            fetch_bucket_state(tx, bucket)
            upload = fetch_upload(tx, bucket, key, upload_id)
            rows = tx.execute(
                f"SELECT {_PART_COLUMNS} FROM parts WHERE upload_id = ? AND part_number > ? "
                "ORDER BY part_number LIMIT ?",
                (upload_id, after, limit + 1),
            ).fetchall()
            parts = [_part_from_row(r) for r in rows]
            return upload, parts[:limit], len(parts) > limit

        return await self._db.read(read)

    async def complete(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        requested: list[CompletedPart],
        *,
        combine_checksums: ChecksumCombiner | None = None,
        condition: WriteCondition | None = None,
    ) -> Version:
        now = self._clock.now()

        def write(tx: Tx) -> tuple[Version, list[str]]:
            bucket_row = fetch_bucket_state(tx, bucket)
            lock_key(tx, bucket, key)  # before the upload is read: one completion wins
            upload = fetch_upload(tx, bucket, key, upload_id)
            stored = {
                p.part_number: p
                for p in map(
                    _part_from_row,
                    tx.execute(
                        f"SELECT {_PART_COLUMNS} FROM parts WHERE upload_id = ?", (upload_id,)
                    ),
                )
            }
            chosen = _validate_parts(requested, stored)
            checksum_value, checksum_type = (None, None)
            if combine_checksums is not None:
                checksum_value, checksum_type = combine_checksums(upload, chosen)
            attrs = replace(
                upload.attrs,
                size=sum(p.size for p in chosen),
                etag=multipart_etag([p.etag for p in chosen]),
                checksum_value=checksum_value,
                checksum_type=checksum_type if checksum_value else None,
                checksum_algorithm=upload.attrs.checksum_algorithm if checksum_value else None,
                parts=tuple(PartInfo(size=p.size, checksum_value=p.checksum_value) for p in chosen),
            )
            body = Body(
                segments=tuple(
                    Segment(blob_id=p.blob_id, size=p.stored_size or p.size) for p in chosen
                )
            )
            version, garbage = commit_version(
                tx, self._hooks, bucket_row, key, now=now, owner_id=upload.owner_id,
                attrs=attrs, body=body, condition=condition,
                counted_bytes=sum(p.size for p in stored.values()),  # the parts, as uploaded
            )  # fmt: skip
            used = {p.blob_id for p in chosen}
            garbage += [p.blob_id for p in stored.values() if p.blob_id not in used]
            tx.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))
            return version, garbage

        version, garbage = await self._db.write(write)
        self._blobs.delete(garbage)
        return version

    async def abort(self, bucket: str, key: str, upload_id: str) -> None:
        def write(tx: Tx) -> list[str]:
            fetch_bucket_state(tx, bucket)
            fetch_upload(tx, bucket, key, upload_id)
            blobs = [
                r[0]
                for r in tx.execute("SELECT blob_id FROM parts WHERE upload_id = ?", (upload_id,))
            ]
            tx.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))
            return blobs

        self._blobs.delete(await self._db.write(write))

    async def list_uploads(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", key_marker: str = "",
        upload_id_marker: str = "", limit: int = 1000,
    ) -> UploadListing:  # fmt: skip
        """In-progress uploads by key then initiation; keys under a delimiter roll up into
        common prefixes, each counted once against `limit`."""

        def read(tx: Tx) -> UploadListing:
            fetch_bucket_state(tx, bucket)
            return list_uploads(
                tx, bucket, prefix=prefix, delimiter=delimiter, key_marker=key_marker,
                upload_id_marker=upload_id_marker, limit=limit,
            )  # fmt: skip

        return await self._db.read(read)


@dataclass(slots=True, kw_only=True)
class UploadListing:
    uploads: list[Upload] = field(default_factory=list)
    common_prefixes: list[str] = field(default_factory=list)
    is_truncated: bool = False
    next_key_marker: str | None = None
    next_upload_id_marker: str | None = None


def list_uploads(
    tx: Tx, bucket: str, *, prefix: str, delimiter: str, key_marker: str,
    upload_id_marker: str, limit: int,
) -> UploadListing:  # fmt: skip
    listing = UploadListing()
    if limit <= 0:
        return listing
    lower, inclusive = key_marker, False
    if key_marker and delimiter:
        rolled = _rolled_up(key_marker, prefix, delimiter)
        if rolled == key_marker and (successor := prefix_successor(rolled)) is not None:
            lower, inclusive = successor, True
    after_id = upload_id_marker if key_marker and not inclusive else ""
    if prefix > lower:
        lower, inclusive, after_id = prefix, True, ""
    count = 0
    while True:
        if after_id:
            where = "bucket = ? AND (key > ? OR (key = ? AND upload_id > ?))"
            params: tuple[Any, ...] = (bucket, lower, lower, after_id)
        else:
            where = f"bucket = ? AND key {'>=' if inclusive else '>'} ?"
            params = (bucket, lower)
        rows = tx.execute(
            f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE {where} "
            "ORDER BY key, upload_id LIMIT 1000",
            params,
        ).fetchall()
        jumped = False
        for row in rows:
            upload = _upload_from_row(row)
            if not upload.key.startswith(prefix):
                return listing
            if count == limit:
                listing.is_truncated = True
                return listing
            count += 1
            common = _rolled_up(upload.key, prefix, delimiter)
            if common is not None:
                listing.common_prefixes.append(common)
                listing.next_key_marker, listing.next_upload_id_marker = common, None
                successor = prefix_successor(common)
                if successor is None:
                    return listing
                lower, inclusive, after_id, jumped = successor, True, "", True
                break
            listing.uploads.append(upload)
            listing.next_key_marker = upload.key
            listing.next_upload_id_marker = upload.upload_id
        if not jumped:
            if len(rows) < 1000:
                return listing
            last = _upload_from_row(rows[-1])
            lower, inclusive, after_id = last.key, True, last.upload_id


def _rolled_up(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter or not key.startswith(prefix):
        return None
    index = key.find(delimiter, len(prefix))
    return key[: index + len(delimiter)] if index >= 0 else None


def _part_size(tx: Tx, upload_id: str, part_number: int) -> int:
    """Bytes of the part that a new upload of `part_number` replaces (0: none)."""
    row = tx.execute(
        "SELECT size FROM parts WHERE upload_id = ? AND part_number = ?", (upload_id, part_number)
    ).fetchone()
    return int(row[0]) if row else 0


def _validate_parts(requested: list[CompletedPart], stored: dict[int, Part]) -> list[Part]:
    if not requested:
        raise InvalidPart("You must specify at least one part")
    chosen: list[Part] = []
    previous = 0
    for item in requested:
        if item.part_number <= previous:
            raise InvalidPartOrder(part_number=item.part_number)
        previous = item.part_number
        part = stored.get(item.part_number)
        if part is None or part.etag != item.etag.strip('"').lower():
            raise InvalidPart(part_number=item.part_number, etag=item.etag)
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MIN_PART_SIZE_BYTES:
            raise EntityTooSmall(
                part_number=part.part_number, size=part.size, min_size=MIN_PART_SIZE_BYTES
            )
    return chosen
