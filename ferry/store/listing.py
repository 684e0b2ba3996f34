"""ListObjects(V2) and ListObjectVersions pagination, delimiters and common prefixes.

Keys sort by code point, which equals S3's UTF-8 byte order. A common prefix is collapsed by
jumping past it in the index (successor of the prefix) instead of reading every key under it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ferry.store.buckets import fetch_bucket
from ferry.store.db import Database, Tx
from ferry.store.records import VERSION_COLUMNS_WITHOUT_BODY, Version, version_from_row

_BATCH = 1000
_MAX_CODE_POINT = 0x10FFFF

_LIST_COLUMNS = VERSION_COLUMNS_WITHOUT_BODY


@dataclass(slots=True, kw_only=True)
class Listing:
    versions: list[Version] = field(default_factory=list)  # objects, or versions + markers
    common_prefixes: list[str] = field(default_factory=list)
    is_truncated: bool = False
    next_marker: str | None = None  # last key or prefix returned (V1 NextMarker, V2 token)
    next_version_id_marker: str | None = None


def prefix_successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with `prefix`."""
    chars = list(prefix)
    while chars:
        last = ord(chars.pop())
        if last < _MAX_CODE_POINT:
            nxt = last + 1
            if 0xD800 <= nxt <= 0xDFFF:  # skip surrogates: never in valid keys
                nxt = 0xE000
            return "".join(chars) + chr(nxt)
    return None


def _common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    index = key.find(delimiter, len(prefix))
    if index < 0:
        return None
    return key[: index + len(delimiter)]


def _resume_point(marker: str, prefix: str, delimiter: str) -> tuple[str, bool]:
    """Where a listing resumes after `marker`: a marker that is a common prefix (as returned
    by the previous page) skips every key under it."""
    if marker and marker.startswith(prefix) and _common_prefix(marker, prefix, delimiter) == marker:
        successor = prefix_successor(marker)
        if successor is not None:
            return successor, True
    return marker, False


def list_objects(
    tx: Tx, bucket: str, *, prefix: str, delimiter: str, start_after: str, max_keys: int
) -> Listing:
    """Latest versions that are not delete markers, keys strictly after `start_after`."""
    listing = Listing()
    if max_keys <= 0:
        return listing
    upper = prefix_successor(prefix) if prefix else None
    lower, inclusive = _resume_point(start_after, prefix, delimiter)
    if prefix > lower:
        lower, inclusive = prefix, True
    count = 0
    while True:
        op = ">=" if inclusive else ">"
        sql = (
            f"SELECT {_LIST_COLUMNS} FROM versions WHERE bucket = ? AND is_latest = 1 "
            f"AND is_delete_marker = 0 AND key {op} ?"
        )
        params: list[Any] = [bucket, lower]
        if upper is not None:
            sql += " AND key < ?"
            params.append(upper)
        rows = tx.execute(sql + " ORDER BY key LIMIT ?", (*params, _BATCH)).fetchall()
        if not rows:
            return listing
        jumped = False
        for row in rows:
            version = version_from_row(row)
            common = _common_prefix(version.key, prefix, delimiter)
            if count == max_keys:
                listing.is_truncated = True
                return listing
            count += 1
            if common is not None:
                listing.common_prefixes.append(common)
                listing.next_marker = common
                successor = prefix_successor(common)
                if successor is None:
                    return listing
                lower, inclusive, jumped = successor, True, True
                break
            listing.versions.append(version)
            listing.next_marker = version.key
        if not jumped:
            if len(rows) < _BATCH:
                return listing
            lower, inclusive = version_from_row(rows[-1]).key, False


def list_versions(
    tx: Tx,
    bucket: str,
    *,
    prefix: str,
    delimiter: str,
    key_marker: str,
    version_id_marker: str,
    max_keys: int,
) -> Listing:
    """All versions and delete markers: key ascending, newest first within a key."""
    listing = Listing()
    if max_keys <= 0:
        return listing
    upper = prefix_successor(prefix) if prefix else None
    # Position: after (key_marker, version_id_marker) — resume inside a key by seq.
    resume_seq: int | None = None
    if key_marker and version_id_marker:
        row = tx.execute(
            "SELECT seq FROM versions WHERE bucket = ? AND key = ? AND version_id = ?",
            (bucket, key_marker, version_id_marker),
        ).fetchone()
        resume_seq = row[0] if row else None
    lower, inclusive = _resume_point(key_marker, prefix, delimiter)
    if resume_seq is not None:
        lower, inclusive = key_marker, True
    if prefix > lower:
        lower, inclusive, resume_seq = prefix, True, None
    count = 0
    while True:
        op = ">=" if inclusive else ">"
        sql = f"SELECT {_LIST_COLUMNS} FROM versions WHERE bucket = ? AND key {op} ?"
        params: list[Any] = [bucket, lower]
        if resume_seq is not None:
            sql += " AND (key > ? OR seq < ?)"
            params += [lower, resume_seq]
        if upper is not None:
            sql += " AND key < ?"
            params.append(upper)
        rows = tx.execute(sql + " ORDER BY key, seq DESC LIMIT ?", (*params, _BATCH)).fetchall()
        if not rows:
            return listing
        jumped = False
        for row in rows:
            version = version_from_row(row)
            common = _common_prefix(version.key, prefix, delimiter)
            if count == max_keys:
                listing.is_truncated = True
                return listing
            count += 1
            if common is not None:
                listing.common_prefixes.append(common)
                listing.next_marker = common
                listing.next_version_id_marker = None
                successor = prefix_successor(common)
                if successor is None:
                    return listing
                lower, inclusive, resume_seq, jumped = successor, True, None, True
                break
            listing.versions.append(version)
            listing.next_marker = version.key
            listing.next_version_id_marker = version.version_id
        if not jumped:
            if len(rows) < _BATCH:
                return listing
            last = version_from_row(rows[-1])
            lower, inclusive, resume_seq = last.key, True, last.seq


class Listings:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def objects(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", start_after: str = "",
        max_keys: int = 1000,
    ) -> Listing:  # fmt: skip
        def read(tx: Tx) -> Listing:
            fetch_bucket(tx, bucket)
            return list_objects(
                tx, bucket, prefix=prefix, delimiter=delimiter, start_after=start_after,
                max_keys=max_keys,
            )  # fmt: skip

        return await self._db.read(read)

    async def versions(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", key_marker: str = "",
        version_id_marker: str = "", max_keys: int = 1000,
    ) -> Listing:  # fmt: skip
        def read(tx: Tx) -> Listing:
            fetch_bucket(tx, bucket)
            return list_versions(
                tx, bucket, prefix=prefix, delimiter=delimiter, key_marker=key_marker,
                version_id_marker=version_id_marker, max_keys=max_keys,
            )  # fmt: skip

        return await self._db.read(read)
