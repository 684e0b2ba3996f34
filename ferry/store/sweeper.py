"""Start-up clean-up of blobs that a crash left without metadata."""

from __future__ import annotations

from ferry.store.blobs import FileBlobStore
from ferry.store.db import Database, Tx
from ferry.store.records import segments_from_text


def referenced_blob_ids(tx: Tx) -> set[str]:
    referenced: set[str] = set()
    for (segments,) in tx.execute("SELECT segments FROM versions WHERE segments != ''"):
        referenced.update(s.blob_id for s in segments_from_text(segments))
    for (blob_id,) in tx.execute("SELECT blob_id FROM parts"):
        referenced.add(blob_id)
    return referenced


def sweep_orphaned_blobs(db: Database, blobs: FileBlobStore) -> int:
    """Run before serving: every blob written but never committed (or freed but not yet
    unlinked when the process died) is removed. Returns how many files went."""
    return blobs.sweep(db.read_now(referenced_blob_ids))
