"""Access-log objects written through the store (never through the API: delivering logs is
not itself logged), owned by the target bucket's owner, as AWS's log delivery writes them."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable

from ferry.store import Buckets, ObjectAttributes, Objects, PayloadDigest

LOG_CONTENT_TYPE = "text/plain"


class _BytesPayload:
    def __init__(self, body: bytes) -> None:
        self._body = body
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._size = 0

    async def _chunks(self) -> AsyncIterator[bytes]:
        yield self._body

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    def update(self, chunk: bytes) -> None:
        self._md5.update(chunk)
        self._size += len(chunk)

    def finish(self) -> PayloadDigest:
        return PayloadDigest(size=self._size, md5_hex=self._md5.hexdigest())


class StoreLogSink:
    """`access_logs.LogObjectSink` over the region's store."""

    def __init__(
        self,
        objects: Objects,
        buckets: Buckets,
        account_of_canonical_id: Callable[[str], Awaitable[str | None]],
    ) -> None:
        self._objects = objects
        self._buckets = buckets
        self._account_of = account_of_canonical_id

    async def put_log_object(self, bucket: str, key: str, body: bytes) -> None:
        owner = (await self._buckets.get_access(bucket)).owner_id
        attrs = ObjectAttributes(content_headers=(("content-type", LOG_CONTENT_TYPE),))
        await self._objects.put(
            bucket, key, _BytesPayload(body), owner_id=owner, attrs=attrs, declared_size=len(body)
        )

    async def owner_of(self, bucket: str) -> tuple[str, str]:
        owner = (await self._buckets.get_access(bucket)).owner_id
        return owner, (await self._account_of(owner)) or ""
