"""Batch job manifests: the CSV format (`S3BatchOperations_CSV_20180820`, keys URL-encoded, no
header) read from a bucket, and the manifest a `S3JobManifestGenerator` builds by listing the
source bucket's versions through its filter."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote_plus

from ferry.core.errors import Invalid
from ferry.protocol.xml.jobs import GeneratorFilter, ManifestGenerator
from ferry.replication.rules import destinations_for
from ferry.store import Tx, Version, fetch_replication_configuration, scan_versions
from ferry.store.records import is_sse_kms

DEFAULT_FIELDS = ("Bucket", "Key", "VersionId")
MAX_MANIFEST_BYTES = 512 * 1024 * 1024


class ManifestInvalid(Invalid):
    """The manifest could not be read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestEntry:
    """One version a job must replicate (`version_id` None: the current one at run time)."""

    bucket: str
    key: str
    version_id: str | None = None


def parse_csv_manifest(data: bytes, fields: Sequence[str] = ()) -> list[ManifestEntry]:
    names = list(fields) or list(DEFAULT_FIELDS)
    if "Bucket" not in names or "Key" not in names:
        raise ManifestInvalid("The manifest fields must include Bucket and Key.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestInvalid("The manifest is not UTF-8 text.") from exc
    entries: list[ManifestEntry] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < names.index("Key") + 1:
            raise ManifestInvalid(f"Manifest line {number} has too few fields.")
        values = dict(zip(names, row, strict=False))
        version = values.get("VersionId") or None
        entries.append(
            ManifestEntry(
                bucket=values["Bucket"], key=unquote_plus(values["Key"]), version_id=version
            )
        )
    return entries


def render_csv_manifest(entries: Iterable[ManifestEntry]) -> bytes:
    """Rows `bucket,url-encoded key,versionId` (the version column only when known)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for entry in entries:
        row = [entry.bucket, quote(entry.key, safe="/")]
        if entry.version_id is not None:
            row.append(entry.version_id)
        writer.writerow(row)
    return out.getvalue().encode()


def generate_manifest(tx: Tx, bucket: str, generator: ManifestGenerator) -> list[ManifestEntry]:
    """Every version of `bucket` the generator's filter selects, oldest write first."""
    chosen = generator.filter or GeneratorFilter()
    config = fetch_replication_configuration(tx, bucket)
    entries: list[ManifestEntry] = []
    for version in scan_versions(tx, bucket):
        key = version.key
        if not _matches(chosen, version):
            continue
        if chosen.eligible_for_replication and (
            config is None
            or not destinations_for(
                config,
                key=key,
                tags=dict(version.attrs.tags),
                is_delete_marker=version.is_delete_marker,
                storage_class=version.attrs.storage_class,
                sse_kms=is_sse_kms(version.attrs.encryption),
            )
        ):
            continue
        entries.append(ManifestEntry(bucket=bucket, key=key, version_id=version.version_id))
    return entries


def _matches(chosen: GeneratorFilter, version: Version) -> bool:
    key, modified = version.key, version.last_modified
    if chosen.statuses and (version.attrs.replication_status or "NONE") not in chosen.statuses:
        return False
    if chosen.created_after is not None and modified < chosen.created_after:
        return False
    if chosen.created_before is not None and modified >= chosen.created_before:
        return False
    constraint = chosen.key_name
    if constraint is None:
        return True
    return (
        (not constraint.prefixes or any(key.startswith(p) for p in constraint.prefixes))
        and (not constraint.suffixes or any(key.endswith(s) for s in constraint.suffixes))
        and (not constraint.substrings or any(s in key for s in constraint.substrings))
    )
