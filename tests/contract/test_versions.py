"""Versions on both engines: the null version, overwrites, delete markers, and listings in
S3's order (keys by UTF-8 bytes, newest version first) with prefixes, delimiters and markers."""

from __future__ import annotations

import asyncio

import pytest

from ferry.store import Listing
from ferry.store.errors import (
    BucketNotEmpty,
    DeleteMarkerHit,
    MethodNotAllowedOnDeleteMarker,
    NoSuchKey,
    NoSuchVersion,
)
from tests.contract.region_store import ENABLED, SUSPENDED, RegionStore

# Control characters, ASCII punctuation either side of "/", two- three- and four-byte UTF-8,
# and the code points where UTF-16 order (and a careless collation) would disagree with UTF-8.
ODD_KEYS = [
    "\x01ctl", "\t tab", " lead", "!bang", "+plus", "-dash", ".dot", "a", "a b", "a/", "a/b",
    "a/b/c", "a0", "a\x7f", "A", "Z", "_", "z", "~", "\x7f", "é", "ß", "Ω", "\u0800", "中文",
    "\ue000", "\ufffd", "😀", "\U0001f600/x", "\U0010fffd",
]  # fmt: skip


def utf8_order(keys: list[str]) -> list[str]:
    return sorted(keys, key=lambda k: k.encode())


def keys_of(listing: Listing) -> list[str]:
    return [v.key for v in listing.versions]


async def test_unversioned_put_is_the_null_version_and_an_overwrite_replaces_it(
    store: RegionStore,
) -> None:
    await store.bucket()
    first = await store.put("b", "k", b"one")
    second = await store.put("b", "k", b"two")
    assert first.version_id == second.version_id == "null"
    assert await store.read("b", "k") == b"two"
    assert await store.read("b", "k", "null") == b"two"
    listing = await store.listings.versions("b")
    assert [(v.key, v.version_id, v.is_latest) for v in listing.versions] == [("k", "null", True)]
    outcome = await store.objects.delete("b", "k")
    assert not outcome.delete_marker
    with pytest.raises(NoSuchKey):
        await store.objects.get("b", "k")
    assert (await store.listings.versions("b")).versions == []


async def test_versioned_overwrites_keep_every_version_newest_first(store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    ids = [(await store.put("b", "k", f"v{n}".encode())).version_id for n in range(3)]
    assert len(set(ids)) == 3 and "null" not in ids
    assert await store.read("b", "k") == b"v2"
    assert await store.read("b", "k", ids[0]) == b"v0"
    listing = await store.listings.versions("b")
    assert [v.version_id for v in listing.versions] == ids[::-1]
    assert [v.is_latest for v in listing.versions] == [True, False, False]
    with pytest.raises(NoSuchVersion):
        await store.objects.get("b", "k", "not-a-version")


async def test_delete_marker_hides_the_key_and_removing_it_restores(store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    put = await store.put("b", "k", b"data")
    marker = await store.objects.delete("b", "k")
    assert marker.delete_marker and marker.version_id is not None
    with pytest.raises(DeleteMarkerHit):
        await store.objects.get("b", "k")
    with pytest.raises(MethodNotAllowedOnDeleteMarker):
        await store.objects.get("b", "k", marker.version_id)
    assert keys_of(await store.listings.objects("b")) == []
    versions = (await store.listings.versions("b")).versions
    assert [(v.version_id, v.is_delete_marker, v.is_latest) for v in versions] == [
        (marker.version_id, True, True),
        (put.version_id, False, False),
    ]
    await store.objects.delete("b", "k", marker.version_id)
    assert await store.read("b", "k") == b"data"
    [restored] = (await store.listings.versions("b")).versions
    assert restored.is_latest and restored.version_id == put.version_id


async def test_suspended_versioning_writes_replace_only_the_null_version(
    store: RegionStore,
) -> None:
    await store.bucket(versioning=ENABLED)
    kept = await store.put("b", "k", b"enabled-era")
    await store.buckets.set_versioning("b", SUSPENDED)
    await store.put("b", "k", b"null-1")
    await store.put("b", "k", b"null-2")
    marker = await store.objects.delete("b", "k")
    assert (marker.version_id, marker.delete_marker) == ("null", True)
    versions = (await store.listings.versions("b")).versions
    assert [(v.version_id, v.is_delete_marker) for v in versions] == [
        ("null", True),
        (kept.version_id, False),
    ]
    assert await store.read("b", "k", kept.version_id) == b"enabled-era"


async def test_a_bucket_holding_only_a_delete_marker_is_not_empty(store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    marker = await store.objects.delete("b", "ghost")
    with pytest.raises(BucketNotEmpty):
        await store.buckets.delete("b")
    assert marker.version_id is not None
    await store.objects.delete("b", "ghost", marker.version_id)
    await store.buckets.delete("b")
    assert [b.name for b in await store.buckets.list_all()] == []


async def test_tags_change_in_place_without_a_new_version(store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    put = await store.put("b", "k", b"x")
    await store.objects.update_attrs("b", "k", None, tags=(("team", "ops"), ("é", "ü")))
    [version] = (await store.listings.versions("b")).versions
    assert version.version_id == put.version_id
    got = await store.objects.get("b", "k")
    assert got.attrs.tags == (("team", "ops"), ("é", "ü"))


async def test_object_listing_is_in_utf8_byte_order(store: RegionStore) -> None:
    await store.bucket()
    for key in reversed(ODD_KEYS):
        await store.put("b", key, key.encode())
    assert keys_of(await store.listings.objects("b")) == utf8_order(ODD_KEYS)
    assert await store.read("b", "\U0010fffd") == "\U0010fffd".encode()
    paged: list[str] = []
    marker = ""
    while True:
        page = await store.listings.objects("b", start_after=marker, max_keys=7)
        paged += keys_of(page)
        if not page.is_truncated:
            break
        assert page.next_marker is not None
        marker = page.next_marker
    assert paged == utf8_order(ODD_KEYS)


async def test_version_listing_is_by_key_bytes_then_newest_first(store: RegionStore) -> None:
    await store.bucket(versioning=ENABLED)
    keys = ["é", "a", "😀", "\ufffd", "Z"]
    written: dict[str, list[str]] = {}
    for round_ in range(3):
        for key in keys:
            if round_ == 2 and key == "a":
                outcome = await store.objects.delete("b", key)
                assert outcome.version_id is not None
                written[key].append(outcome.version_id)
            else:
                written.setdefault(key, []).append((await store.put("b", key, b"v")).version_id)
    expected = [(k, v) for k in utf8_order(keys) for v in reversed(written[k])]
    listing = await store.listings.versions("b")
    assert [(v.key, v.version_id) for v in listing.versions] == expected
    # Paged two at a time, resuming inside a key by (key marker, version-id marker).
    paged: list[tuple[str, str]] = []
    key_marker = version_marker = ""
    while True:
        page = await store.listings.versions(
            "b", key_marker=key_marker, version_id_marker=version_marker, max_keys=2
        )
        paged += [(v.key, v.version_id) for v in page.versions]
        if not page.is_truncated:
            break
        key_marker = page.next_marker or ""
        version_marker = page.next_version_id_marker or ""
    assert paged == expected


async def test_prefix_and_delimiter_roll_keys_up_and_markers_skip_a_prefix(
    store: RegionStore,
) -> None:
    await store.bucket()
    keys = ["a/1", "a/2", "a/é/3", "b", "c/x", "c/y", "é/1", "é/2", "😀/1", "😀x"]
    for key in keys:
        await store.put("b", key, b"")
    top = await store.listings.objects("b", delimiter="/")
    assert top.common_prefixes == ["a/", "c/", "é/", "😀/"]
    assert keys_of(top) == ["b", "😀x"]
    under_a = await store.listings.objects("b", prefix="a/", delimiter="/")
    assert (keys_of(under_a), under_a.common_prefixes) == (["a/1", "a/2"], ["a/é/"])
    first = await store.listings.objects("b", delimiter="/", max_keys=2)
    assert (first.common_prefixes, keys_of(first), first.is_truncated) == (["a/"], ["b"], True)
    assert first.next_marker == "b"
    rest = await store.listings.objects("b", delimiter="/", start_after="c/")
    assert (rest.common_prefixes, keys_of(rest)) == (["é/", "😀/"], ["😀x"])  # c/ skipped
    emoji = await store.listings.objects("b", prefix="😀")
    assert keys_of(emoji) == ["😀/1", "😀x"]
    versions = await store.listings.versions("b", prefix="é", delimiter="/")
    assert versions.common_prefixes == ["é/"] and versions.versions == []


async def test_many_concurrent_puts_of_one_key_leave_exactly_one_latest(
    engine: str, store: RegionStore
) -> None:
    await store.bucket(versioning=ENABLED)
    racing = store.racing(engine, 10)
    writes = await asyncio.gather(*(racing.put("b", "hot", b"w%d" % n) for n in range(20)))
    versions = (await store.listings.versions("b")).versions
    assert len(versions) == 20
    latest = [v for v in versions if v.is_latest]
    assert len(latest) == 1
    assert latest[0].version_id == versions[0].version_id  # the newest is the latest
    assert {v.version_id for v in versions} == {w.version_id for w in writes}
    body = await store.read("b", "hot")
    assert body == await store.read("b", "hot", latest[0].version_id)


async def test_many_concurrent_unversioned_puts_of_one_key_leave_one_version(
    engine: str, store: RegionStore
) -> None:
    await store.bucket()
    racing = store.racing(engine, 10)
    await asyncio.gather(*(racing.put("b", "hot", b"w%d" % n) for n in range(20)))
    [version] = (await store.listings.versions("b")).versions
    assert (version.version_id, version.is_latest) == ("null", True)
    assert (await store.read("b", "hot")).startswith(b"w")
    usage = (await store.quotas.status("b")).usage
    assert (usage.objects, usage.stored_bytes) == (1, version.size)
