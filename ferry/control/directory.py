"""The bucket directory: every bucket of the deployment → its region, owner and creation time.

Bucket names are unique across a deployment, as in AWS. The directory lives in the control
plane's database (`<deployment data_dir>/control/control.sqlite3`), which every region process
of the deployment opens: SQLite in WAL mode serialises writers across processes, and a claim
runs inside one `BEGIN IMMEDIATE` transaction (`SqliteDatabase.write`), so of two regions
claiming one name at once exactly one wins; the primary key backs that up.

The directory is consulted only where the answer depends on other regions: CreateBucket,
DeleteBucket, ListBuckets, and a request for a bucket the regional store does not have (to
redirect it). The happy path of every other request never reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ferry.control.errors import BucketAlreadyExists, BucketAlreadyOwnedByYou
from ferry.core.clock import Clock, epoch_ms, from_epoch_ms
from ferry.store import Database, Tx

# A directory entry without its regional bucket is a creation in flight, or one a crash cut
# short; start-up reconciliation releases only those older than this.
RECONCILE_GRACE_S = 60.0

_COLUMNS = "name, region, owner_id, created_ms"


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectoryEntry:
    bucket: str
    region: str
    owner_id: str
    created: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconciled:
    """What start-up reconciliation changed for one region."""

    released: tuple[str, ...] = ()  # directory said "here", the region had no such bucket
    claimed: tuple[str, ...] = ()  # the region had a bucket the directory did not know
    conflicts: tuple[DirectoryEntry, ...] = field(default=())  # local bucket, claimed elsewhere


def _entry(row: Any) -> DirectoryEntry:
    return DirectoryEntry(
        bucket=row[0], region=row[1], owner_id=row[2], created=from_epoch_ms(row[3])
    )


def _fetch(tx: Tx, name: str) -> DirectoryEntry | None:
    row = tx.execute(f"SELECT {_COLUMNS} FROM bucket_directory WHERE name = ?", (name,)).fetchone()
    return None if row is None else _entry(row)


def _insert(tx: Tx, entry: DirectoryEntry) -> None:
    tx.execute(
        f"INSERT INTO bucket_directory ({_COLUMNS}) VALUES (?, ?, ?, ?)",
        (entry.bucket, entry.region, entry.owner_id, epoch_ms(entry.created)),
    )


class BucketDirectory:
    """Which region holds each bucket of the deployment."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def claim(self, name: str, region: str, owner_id: str) -> DirectoryEntry:
        """Reserve `name` for `owner_id` in `region`.

        As AWS: if the name is taken, `BucketAlreadyOwnedByYou` when `owner_id` owns it (in
        whichever region), else `BucketAlreadyExists`. Both carry `region=` (where it lives)
        and `owner_id=`, so a caller can finish a creation a crash interrupted.
        """
        wanted = DirectoryEntry(
            bucket=name, region=region, owner_id=owner_id, created=self._clock.now()
        )

        def claim(tx: Tx) -> DirectoryEntry:
            existing = _fetch(tx, name)
            if existing is not None:
                error = (
                    BucketAlreadyOwnedByYou
                    if existing.owner_id == owner_id
                    else BucketAlreadyExists
                )
                raise error(bucket=name, region=existing.region, owner_id=existing.owner_id)
            _insert(tx, wanted)
            return wanted

        return await self._db.write(claim)

    async def lookup(self, name: str) -> DirectoryEntry | None:
        return await self._db.read(lambda tx: _fetch(tx, name))

    async def release(self, name: str, region: str) -> bool:
        """Forget `name` if it is recorded in `region`; False if it was not."""

        def release(tx: Tx) -> bool:
            cursor = tx.execute(
                "DELETE FROM bucket_directory WHERE name = ? AND region = ?", (name, region)
            )
            return cursor.rowcount > 0

        return await self._db.write(release)

    async def list_for_owner(self, owner_id: str) -> list[DirectoryEntry]:
        """Every bucket `owner_id` owns, in every region, by name."""

        def list_for_owner(tx: Tx) -> list[DirectoryEntry]:
            rows = tx.execute(
                f"SELECT {_COLUMNS} FROM bucket_directory WHERE owner_id = ? ORDER BY name",
                (owner_id,),
            ).fetchall()
            return [_entry(row) for row in rows]

        return await self._db.read(list_for_owner)

    async def reconcile(self, region: str, local: Iterable[DirectoryEntry]) -> Reconciled:
        """Make the directory agree with the buckets `region` really holds (at start-up).

        A crash between claiming a name and creating the bucket (or between deleting a bucket
        and releasing its name) leaves the directory ahead of the region: such entries are
        released once older than RECONCILE_GRACE_S. A regional bucket the directory does not
        know (a control database restored from an older backup) is claimed again.
        """
        buckets = {entry.bucket: entry for entry in local}
        cutoff = epoch_ms(self._clock.now() - timedelta(seconds=RECONCILE_GRACE_S))

        def reconcile(tx: Tx) -> Reconciled:
            released: list[str] = []
            claimed: list[str] = []
            conflicts: list[DirectoryEntry] = []
            rows = tx.execute(
                f"SELECT {_COLUMNS} FROM bucket_directory WHERE region = ?", (region,)
            ).fetchall()
            for row in rows:
                if row[0] not in buckets and row[3] < cutoff:
                    tx.execute("DELETE FROM bucket_directory WHERE name = ?", (row[0],))
                    released.append(row[0])
            for name, bucket in sorted(buckets.items()):
                existing = _fetch(tx, name)
                if existing is None:
                    _insert(tx, bucket)
                    claimed.append(name)
                elif existing.region != region:
                    conflicts.append(existing)
            return Reconciled(
                released=tuple(released), claimed=tuple(claimed), conflicts=tuple(conflicts)
            )

        return await self._db.write(reconcile)
