"""Multipart uploads on both engines: parts replaced by a re-upload, completion and its checks,
abort, one winner among concurrent completions, and upload listings in S3's order."""

from __future__ import annotations

import asyncio

import pytest

from ferry.api.body import BytesPayload
from ferry.store import MIN_PART_SIZE_BYTES, CompletedPart, ObjectAttributes, Part, Version
from ferry.store.errors import EntityTooSmall, InvalidPart, InvalidPartOrder, NoSuchUpload
from tests.contract.region_store import OWNER, RegionStore

BIG_PART = b"p" * MIN_PART_SIZE_BYTES


async def create(store: RegionStore, key: str = "mp") -> str:
    upload = await store.uploads.create("b", key, owner_id=OWNER, attrs=ObjectAttributes())
    return upload.upload_id


async def put_part(store: RegionStore, upload_id: str, number: int, data: bytes, key: str = "mp"
                   ) -> Part:  # fmt: skip
    return await store.uploads.put_part("b", key, upload_id, number, BytesPayload(data))


def completed(*parts: Part) -> list[CompletedPart]:
    return [CompletedPart(part_number=p.part_number, etag=p.etag) for p in parts]


async def test_a_reuploaded_part_replaces_the_first_and_completion_joins_the_parts(
    store: RegionStore,
) -> None:
    await store.bucket()
    upload_id = await create(store)
    await put_part(store, upload_id, 1, b"first draft")
    one = await put_part(store, upload_id, 1, BIG_PART)
    two = await put_part(store, upload_id, 2, b"tail")
    _, parts, truncated = await store.uploads.list_parts("b", "mp", upload_id)
    assert [(p.part_number, p.size, p.etag) for p in parts] == [
        (1, len(BIG_PART), one.etag),
        (2, 4, two.etag),
    ]
    assert not truncated
    version = await store.uploads.complete("b", "mp", upload_id, completed(one, two))
    assert version.attrs.etag.endswith("-2") and version.size == len(BIG_PART) + 4
    assert await store.read("b", "mp") == BIG_PART + b"tail"
    with pytest.raises(NoSuchUpload):
        await store.uploads.get("b", "mp", upload_id)


async def test_completion_checks_order_etags_and_part_sizes(store: RegionStore) -> None:
    await store.bucket()
    upload_id = await create(store)
    one = await put_part(store, upload_id, 1, b"small")
    two = await put_part(store, upload_id, 2, b"tail")
    with pytest.raises(InvalidPartOrder):
        await store.uploads.complete("b", "mp", upload_id, completed(two, one))
    with pytest.raises(InvalidPart):
        await store.uploads.complete(
            "b", "mp", upload_id, [CompletedPart(part_number=1, etag="0" * 32)]
        )
    with pytest.raises(EntityTooSmall):
        await store.uploads.complete("b", "mp", upload_id, completed(one, two))
    await store.uploads.get("b", "mp", upload_id)  # refused completions leave it in place
    version = await store.uploads.complete("b", "mp", upload_id, completed(two))
    assert await store.read("b", "mp", version.version_id) == b"tail"


async def test_abort_removes_the_upload_and_its_parts(store: RegionStore) -> None:
    await store.bucket()
    upload_id = await create(store)
    await put_part(store, upload_id, 1, b"x" * 100)
    await store.uploads.abort("b", "mp", upload_id)
    with pytest.raises(NoSuchUpload):
        await store.uploads.list_parts("b", "mp", upload_id)
    with pytest.raises(NoSuchUpload):
        await store.uploads.abort("b", "mp", upload_id)
    assert (await store.uploads.list_uploads("b")).uploads == []
    assert (await store.quotas.status("b")).usage.upload_bytes == 0


async def test_parts_page_in_part_number_order(store: RegionStore) -> None:
    await store.bucket()
    upload_id = await create(store)
    for number in (7, 3, 10000, 1, 5):
        await put_part(store, upload_id, number, b"%d" % number)
    _, first, truncated = await store.uploads.list_parts("b", "mp", upload_id, limit=2)
    assert [p.part_number for p in first] == [1, 3] and truncated
    _, rest, truncated = await store.uploads.list_parts("b", "mp", upload_id, after=3)
    assert [p.part_number for p in rest] == [5, 7, 10000] and not truncated


async def test_concurrent_completions_of_one_upload_have_one_winner(
    engine: str, store: RegionStore
) -> None:
    await store.bucket()
    upload_id = await create(store)
    part = await put_part(store, upload_id, 1, b"only")
    racing = store.racing(engine, 6)
    results = await asyncio.gather(
        *(racing.uploads.complete("b", "mp", upload_id, completed(part)) for _ in range(6)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Version)]
    assert len(winners) == 1, results
    assert all(isinstance(r, NoSuchUpload) for r in results if not isinstance(r, Version))
    [version] = (await store.listings.versions("b")).versions
    assert version.version_id == winners[0].version_id
    assert await store.read("b", "mp") == b"only"


async def test_uploads_list_by_key_bytes_then_initiation_with_prefixes_and_markers(
    store: RegionStore,
) -> None:
    await store.bucket()
    keys = ["z", "é/1", "a", "😀", "a/1", "a/2", "a"]
    ids: list[tuple[str, str]] = []
    for key in keys:
        ids.append((key, await create(store, key)))
        store.clock.advance(1)
    listing = await store.uploads.list_uploads("b")
    expected = sorted(ids, key=lambda pair: (pair[0].encode(), pair[1]))
    assert [(u.key, u.upload_id) for u in listing.uploads] == expected
    rolled = await store.uploads.list_uploads("b", delimiter="/")
    assert rolled.common_prefixes == ["a/", "é/"]
    assert [u.key for u in rolled.uploads] == ["a", "a", "z", "😀"]
    paged: list[tuple[str, str]] = []
    key_marker = upload_marker = ""
    while True:
        page = await store.uploads.list_uploads(
            "b", key_marker=key_marker, upload_id_marker=upload_marker, limit=2
        )
        paged += [(u.key, u.upload_id) for u in page.uploads]
        if not page.is_truncated:
            break
        key_marker = page.next_key_marker or ""
        upload_marker = page.next_upload_id_marker or ""
    assert paged == expected
    under = await store.uploads.list_uploads("b", prefix="a/")
    assert [u.key for u in under.uploads] == ["a/1", "a/2"]
