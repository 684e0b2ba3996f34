"""How claimed tasks become transfers: small replicas for one destination bucket share a
batch within the item and byte limits; large objects go one per request."""

from __future__ import annotations

from datetime import UTC, datetime

from ferry.replication import transfers as replicator
from ferry.replication.tasks import Operation, Task
from ferry.replication.transfers import group_transfers
from ferry.store.records import EMPTY_BODY, ObjectAttributes, Version


def _task(i: int, operation: Operation = Operation.OBJECT) -> Task:
    return Task(
        task_id=i, bucket="src", key=f"k{i}", version_id=f"v{i}", operation=operation,
        rule_id="r", destination_bucket="dst", storage_class=None, on_replica=False,
        attempts=1, created_ms=0,
    )  # fmt: skip


def _version(i: int, size: int) -> Version:
    return Version(
        bucket="src", key=f"k{i}", version_id=f"v{i}", seq=i, is_latest=True,
        is_delete_marker=False, last_modified=datetime(2026, 1, 1, tzinfo=UTC), owner_id="o",
        attrs=ObjectAttributes(size=size), body=EMPTY_BODY,
    )  # fmt: skip


def test_small_items_are_cut_at_the_item_limit() -> None:
    n = replicator.BATCH_MAX_ITEMS * 2 + 1
    transfers = list(group_transfers([(_task(i), _version(i, 10)) for i in range(n)]))
    assert [len(t.items) for t in transfers] == [replicator.BATCH_MAX_ITEMS] * 2 + [1]
    assert [t.batched for t in transfers] == [True, True, False]  # a run of one goes alone
    assert [t.task_id for t in transfers[0].tasks] == list(range(replicator.BATCH_MAX_ITEMS))


def test_batches_are_cut_at_the_byte_limit_and_markers_weigh_nothing() -> None:
    size = replicator.BATCH_ITEM_MAX_BYTES
    per_batch = replicator.BATCH_MAX_BYTES // size
    items = [(_task(i), _version(i, size)) for i in range(per_batch + 1)]
    items.append((_task(99, Operation.DELETE_MARKER), _version(99, size)))
    transfers = list(group_transfers(items))
    assert [len(t.items) for t in transfers] == [per_batch, 2]
