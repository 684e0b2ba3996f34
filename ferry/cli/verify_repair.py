"""`ferry verify --repair`: what each difference becomes.

- MISSING, and a MISMATCH of tags or ACL only: a replication task in the source region
  (`POST /_ferry/replication/repairs`), which the workers run like any other; a replica that
  is already there gets its tags and ACL brought up to the source's.
- Any other MISMATCH (ETag, size, metadata, storage class, delete marker): only with
  `--replace-mismatched`, the destination's version is deleted, then replicated again.
- EXTRA: only with `--delete-extra`, the destination's version is deleted, unless it is a
  replica (of a version the source deleted, or of another bucket replicating there): those
  are reported, never deleted.

Without those flags nothing is ever deleted at a destination. Repairs are sent in batches, and
always before a checkpoint is written, so a resumed run never repeats nor skips one.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ferry.cli.bucket_admin import BucketAdmin
from ferry.replication.verify import Difference, DifferenceKind

LOCKED = "under Object Lock: never deleted by verify"

REPAIRS_PATH = "/_ferry/replication/repairs"
BATCH_SIZE = 500
MAX_NOTES = 20


@dataclass(slots=True, kw_only=True)
class RepairTally:
    queued: int = 0
    deleted_extra: int = 0
    replaced: int = 0
    not_repaired: Counter[str] = field(default_factory=Counter)  # why → how many
    notes: list[str] = field(default_factory=list)  # the first refusals, for people

    def render(self) -> dict[str, Any]:
        return {
            "queued": self.queued,
            "deleted_extra": self.deleted_extra,
            "replaced": self.replaced,
            "not_repaired": dict(self.not_repaired),
            "notes": self.notes,
        }

    @classmethod
    def parse(cls, document: dict[str, Any]) -> RepairTally:
        return cls(
            queued=int(document["queued"]),
            deleted_extra=int(document["deleted_extra"]),
            replaced=int(document["replaced"]),
            not_repaired=Counter({str(k): int(v) for k, v in document["not_repaired"].items()}),
            notes=[str(n) for n in document["notes"]],
        )


class Repairer:
    def __init__(
        self,
        admin: BucketAdmin,
        source_bucket: str,
        *,
        delete_extra: bool,
        replace_mismatched: bool,
        tally: RepairTally,
    ) -> None:
        self._admin = admin
        self._source = source_bucket
        self._delete_extra = delete_extra
        self._replace_mismatched = replace_mismatched
        self.tally = tally
        self._pending: list[dict[str, str]] = []

    def handle(self, difference: Difference) -> None:
        d = difference
        if d.kind is DifferenceKind.EXTRA:
            if not self._delete_extra:
                self._skip("EXTRA: not deleted without --delete-extra", d)
                return
            if d.is_replica:  # another source's, or one AWS keeps after a version delete
                self._skip("EXTRA: a replica, never deleted by verify", d)
                return
            if not self._admin.delete_version(d.destination_bucket, d.key, d.version_id):
                self._skip(LOCKED, d)
                return
            self.tally.deleted_extra += 1
            return
        if d.kind is DifferenceKind.MISMATCH and not d.is_fixed_in_place:
            if not self._replace_mismatched:
                self._skip("MISMATCH: not replaced without --replace-mismatched", d)
                return
            if not self._admin.delete_version(d.destination_bucket, d.key, d.version_id):
                self._skip(LOCKED, d)
                return
            self.tally.replaced += 1
        self._pending.append(
            {"key": d.key, "version_id": d.version_id, "destination_bucket": d.destination_bucket}
        )
        if len(self._pending) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        body = json.dumps({"repairs": self._pending}).encode()
        answer = self._admin.call("POST", REPAIRS_PATH, self._source, body=body)
        self._pending = []
        for outcome in answer["repairs"]:
            if outcome["queued"]:
                self.tally.queued += 1
            else:
                reason = str(outcome["reason"])
                self.tally.not_repaired[reason] += 1
                self._note(
                    f"{outcome['key']} {outcome['version_id']} → "
                    f"{outcome['destination_bucket']}: {reason}"
                )

    def _skip(self, why: str, d: Difference) -> None:
        self.tally.not_repaired[why] += 1
        self._note(f"{d.key} {d.version_id} → {d.destination_bucket}: {why}")

    def _note(self, text: str) -> None:
        if len(self.tally.notes) < MAX_NOTES:
            self.tally.notes.append(text)
