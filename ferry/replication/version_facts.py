"""What `ferry verify` compares of one version, and its JSON form on the admin API
(`GET /_ferry/replication/versions`): identity, content (ETag, size), metadata (content
headers and user metadata), tags, ACL, storage class, delete-marker-ness and replication
status. Never the bytes: a version's ETag stands for them, as it does for S3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ferry.store import ReplicationStatus, Version
from ferry.store.records import is_sse_kms

Pairs = tuple[tuple[str, str], ...]
Grants = tuple[tuple[str, str, str], ...]  # (grantee type, grantee, permission)


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionFacts:
    key: str
    version_id: str
    is_delete_marker: bool
    etag: str = ""
    size: int = 0
    storage_class: str = "STANDARD"
    content_headers: Pairs = ()
    user_metadata: Pairs = ()
    tags: Pairs = ()
    acl: Grants = ()
    replication_status: ReplicationStatus | None = None
    sse_kms: bool = False


def version_facts(version: Version) -> VersionFacts:
    attrs = version.attrs
    return VersionFacts(
        key=version.key,
        version_id=version.version_id,
        is_delete_marker=version.is_delete_marker,
        etag=attrs.etag,
        size=attrs.size,
        storage_class=attrs.storage_class,
        content_headers=attrs.content_headers,
        user_metadata=attrs.user_metadata,
        tags=attrs.tags,
        acl=tuple((g.grantee_type, g.grantee, g.permission) for g in attrs.acl),
        replication_status=attrs.replication_status,
        sse_kms=is_sse_kms(attrs.encryption),
    )


def render_version_facts(facts: VersionFacts) -> dict[str, Any]:
    return {
        "key": facts.key,
        "version_id": facts.version_id,
        "delete_marker": facts.is_delete_marker,
        "etag": facts.etag,
        "size": facts.size,
        "storage_class": facts.storage_class,
        "content_headers": [list(p) for p in facts.content_headers],
        "user_metadata": [list(p) for p in facts.user_metadata],
        "tags": [list(p) for p in facts.tags],
        "acl": [list(g) for g in facts.acl],
        "replication_status": facts.replication_status,
        "sse_kms": facts.sse_kms,
    }


def parse_version_facts(document: Mapping[str, Any]) -> VersionFacts:
    """The admin API's JSON back into facts; KeyError/TypeError/ValueError on a document this
    API did not write. (Called once per version listed: empty lists, the common case, skip
    the conversion.)"""
    return VersionFacts(
        key=str(document["key"]),
        version_id=str(document["version_id"]),
        is_delete_marker=bool(document["delete_marker"]),
        etag=str(document["etag"]),
        size=int(document["size"]),
        storage_class=str(document["storage_class"]),
        content_headers=_pairs(document["content_headers"]),
        user_metadata=_pairs(document["user_metadata"]),
        tags=_pairs(document["tags"]),
        acl=tuple([(str(t), str(g), str(p)) for t, g, p in document["acl"]]),
        replication_status=_replication_status(document.get("replication_status")),
        sse_kms=bool(document.get("sse_kms", False)),
    )


def _pairs(items: Any) -> Pairs:
    if not items:
        if items != []:
            raise TypeError(f"not a list of pairs: {items!r}")
        return ()
    return tuple([(str(k), str(v)) for k, v in items])


_STATUSES = {status.value: status for status in ReplicationStatus}


def _replication_status(value: object) -> ReplicationStatus | None:
    if not value:
        return None
    status = _STATUSES.get(str(value))
    if status is None:
        raise ValueError(f"not a replication status: {value!r}")
    return status
