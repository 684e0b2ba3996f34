"""Batch replication jobs on both engines: creation and its idempotency token, listing and
paging, status transitions with their timers, and a job's entries becoming tasks whose
outcomes are counted once."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.serialize import create_serializer
from botocore.session import get_session

from ferry.api.body import BytesPayload
from ferry.core.clock import epoch_ms
from ferry.replication.job_entries import (
    EntryStatus,
    count_entries,
    enqueue_entries,
    entry_outcomes,
    insert_entries,
    settle_entries,
)
from ferry.replication.jobs import (
    BatchJobs,
    IdempotencyConflict,
    JobNotFound,
    JobStatus,
    JobStatusConflict,
    fetch_job,
    set_status,
)
from ferry.replication.manifest import ManifestEntry
from ferry.replication.tasks import claim_due_tasks, fail_task, finish_task
from ferry.store import ObjectAttributes, Tx
from tests.contract.region_store import ENABLED, OWNER, REGION, RegionStore

ACCOUNT, OTHER = "123456789012", "210987654321"
MODEL = get_session().get_service_model("s3control")
RULE = """<ReplicationConfiguration><Role>arn:aws:iam::123456789012:role/r</Role>
<Rule><ID>r1</ID><Priority>1</Priority><Status>Enabled</Status><Filter><Prefix></Prefix></Filter>
<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>
<Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination></Rule></ReplicationConfiguration>"""


def create_job_body(token: str = "tok", priority: int = 7, **extra: Any) -> bytes:
    params = {
        "AccountId": ACCOUNT, "Operation": {"S3ReplicateObject": {}},
        "Report": {"Enabled": False}, "ClientRequestToken": token, "Priority": priority,
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/batch",
        "Manifest": {
            "Spec": {"Format": "S3BatchOperations_CSV_20180820",
                     "Fields": ["Bucket", "Key", "VersionId"]},
            "Location": {"ObjectArn": "arn:aws:s3:::m/list.csv", "ETag": "abc"},
        }, **extra,
    }  # fmt: skip
    request = create_serializer("rest-xml").serialize_to_request(
        params, MODEL.operation_model("CreateJob")
    )
    body = request["body"]
    return body if isinstance(body, bytes) else body.encode()


def jobs_of(store: RegionStore) -> BatchJobs:
    return BatchJobs(store.db, store.clock, REGION, on_change=lambda: None)


async def move(store: RegionStore, job_id: str, status: JobStatus, **columns: Any) -> None:
    now_ms = epoch_ms(store.clock.now())

    def write(tx: Tx) -> None:
        set_status(tx, fetch_job(tx, job_id, REGION), status, now_ms, **columns)

    await store.db.write(write)


async def test_a_job_is_created_once_per_token_and_account(store: RegionStore) -> None:
    jobs = jobs_of(store)
    job_id = await jobs.create(create_job_body(), account_id=ACCOUNT)
    assert await jobs.create(create_job_body(), account_id=ACCOUNT) == job_id
    with pytest.raises(IdempotencyConflict):
        await jobs.create(create_job_body(priority=8), account_id=ACCOUNT)
    other = await jobs.create(create_job_body(), account_id=OTHER)
    assert other != job_id
    view = await jobs.describe(job_id, account_id=ACCOUNT)
    assert (view.status, view.priority, view.confirmation_required) == ("New", 7, True)
    assert view.creation_time == store.clock.now() and view.progress is None
    with pytest.raises(JobNotFound):
        await jobs.describe(job_id, account_id=OTHER)


async def test_jobs_list_newest_first_by_status_in_pages(store: RegionStore) -> None:
    jobs = jobs_of(store)
    created = []
    for n in range(5):
        created.append(await jobs.create(create_job_body(token=f"t{n}"), account_id=ACCOUNT))
        store.clock.advance(1)
    await move(store, created[1], JobStatus.SUSPENDED)
    await move(store, created[3], JobStatus.SUSPENDED)
    first, token = await jobs.list([], account_id=ACCOUNT, max_results=2, next_token=None)
    assert [j.job_id for j in first] == created[:2:-1][:2] and token is not None
    rest, token = await jobs.list([], account_id=ACCOUNT, max_results=10, next_token=token)
    assert [j.job_id for j in rest] == created[2::-1] and token is None
    suspended, _ = await jobs.list(
        ["Suspended"], account_id=ACCOUNT, max_results=10, next_token=None
    )
    assert [j.job_id for j in suspended] == [created[3], created[1]]
    assert await jobs.list([], account_id=OTHER, max_results=10, next_token=None) == ([], None)


async def test_status_transitions_keep_the_active_time_and_priority(store: RegionStore) -> None:
    jobs = jobs_of(store)
    job_id = await jobs.create(create_job_body(), account_id=ACCOUNT)
    with pytest.raises(JobStatusConflict):
        await jobs.update_status(job_id, "Ready", None, account_id=ACCOUNT)
    await move(store, job_id, JobStatus.SUSPENDED, total=4)
    assert await jobs.update_status(job_id, "Ready", "go", account_id=ACCOUNT) is JobStatus.READY
    await move(store, job_id, JobStatus.ACTIVE)
    store.clock.advance(90)
    assert await jobs.update_status(job_id, "Cancelled", "stop", account_id=ACCOUNT) is (
        JobStatus.CANCELLING
    )
    await move(store, job_id, JobStatus.CANCELLED)
    store.clock.advance(1000)
    await jobs.update_priority(job_id, 2**31 - 1, account_id=ACCOUNT)
    view = await jobs.describe(job_id, account_id=ACCOUNT)
    assert (view.status, view.status_update_reason, view.priority) == (
        "Cancelled",
        "stop",
        2**31 - 1,
    )
    assert view.progress is not None
    assert (view.progress.total, view.progress.elapsed_active_s) == (4, 90)
    assert view.termination_date is not None


async def test_entries_become_tasks_and_their_outcomes_are_counted_once(
    store: RegionStore,
) -> None:
    await store.bucket("src", versioning=ENABLED)
    await store.buckets.set_replication("src", RULE)
    versions = {}
    for key in ("a", "é", "😀"):
        put = await store.objects.put(
            "src", key, BytesPayload(b"x"), owner_id=OWNER, attrs=ObjectAttributes()
        )
        versions[key] = put.version_id
    jobs = jobs_of(store)
    job_id = await jobs.create(create_job_body(), account_id=ACCOUNT)
    entries = [ManifestEntry(bucket="src", key=k, version_id=v) for k, v in versions.items()]
    entries.append(ManifestEntry(bucket="src", key="missing"))
    await move(store, job_id, JobStatus.ACTIVE, total=len(entries))
    now_ms = epoch_ms(store.clock.now())

    def start(tx: Tx) -> tuple[int, int]:
        insert_entries(tx, job_id, entries)
        return enqueue_entries(tx, job_id, now_ms=now_ms)

    assert await store.db.write(start) == (4, 1)  # "missing" fails without a task
    assert await store.db.write(lambda tx: enqueue_entries(tx, job_id, now_ms=now_ms)) == (0, 0)
    tasks = await store.db.write(
        lambda tx: claim_due_tasks(tx, now_ms=now_ms, limit=10, lease_ms=1000)
    )
    assert sorted(t.key for t in tasks) == ["a", "é", "😀"]
    by_key = {t.key: t for t in tasks}

    def outcomes(tx: Tx) -> tuple[int, int]:
        finish_task(tx, by_key["a"], now_ms=now_ms)
        finish_task(tx, by_key["😀"], now_ms=now_ms)
        fail_task(tx, by_key["é"], reason="DstBucketNotFound", message="gone", now_ms=now_ms)
        return settle_entries(tx, job_id)

    assert await store.db.write(outcomes) == (2, 1)
    assert await store.db.write(lambda tx: settle_entries(tx, job_id)) == (0, 0)
    assert await store.db.read(lambda tx: count_entries(tx, job_id, EntryStatus.RUNNING)) == 0
    report = await store.db.read(lambda tx: entry_outcomes(tx, job_id, failed_only=False))
    assert [(o.key, o.succeeded, o.error_code) for o in report] == [
        ("a", True, ""),
        ("é", False, "DstBucketNotFound"),
        ("😀", True, ""),
        ("missing", False, "SrcObjectNotFound"),
    ]
    view = await jobs.describe(job_id, account_id=ACCOUNT)
    assert view.progress is not None
    assert (view.progress.total, view.progress.succeeded, view.progress.failed) == (4, 2, 2)
