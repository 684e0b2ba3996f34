"""Is a key at the destination yet: HEAD through the lean client, key listings through httpx.

HEAD is the per-object probe of the lag phase (many small requests: the lean client). Listing
reads response bodies, which the lean client drops, so it goes through httpx; keys are taken
from the XML with a regular expression (the benchmark's keys are plain ASCII), which costs far
less client CPU than a full parse on a 2-core machine the servers share.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from bench.loadgen import Connection, Reply
from bench.s3client import Endpoint, S3Calls
from bench.signer import SignFn
from bench.sigv4_min import EMPTY_SHA256_HEX

LIST_PAGE_KEYS = 1000
MAX_LIST_PAGES = 1000
LIST_TIMEOUT_S = 30.0
_KEY = re.compile(rb"<Key>([^<]*)</Key>")
_TRUNCATED = b"<IsTruncated>true</IsTruncated>"


class ListingFailed(Exception):
    """A listing answered something other than 200; the message has status and body start."""


class ProbeCalls(S3Calls):
    """S3Calls plus HEAD, for probing the destination."""

    async def head_object(self, conn: Connection, bucket: str, key: str) -> Reply:
        path = f"/{bucket}/{key}"
        return await conn.request("HEAD", path, self._headers("HEAD", path, EMPTY_SHA256_HEX))


class Lister:
    """ListObjectsV2 over one keep-alive httpx client, paged with start-after."""

    def __init__(self, endpoint: Endpoint, sign: SignFn) -> None:
        self._endpoint = endpoint
        self._sign = sign
        self._client = httpx.AsyncClient(timeout=LIST_TIMEOUT_S)
        self.requests = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _page(self, bucket: str, prefix: str, start_after: str) -> bytes:
        e = self._endpoint
        query = f"list-type=2&max-keys={LIST_PAGE_KEYS}&prefix={quote(prefix, safe='')}"
        if start_after:
            query += f"&start-after={quote(start_after, safe='')}"
        url = f"http://{e.authority}/{bucket}?{query}"
        headers = {"host": e.authority}
        signed = self._sign(
            "GET",
            url,
            headers,
            EMPTY_SHA256_HEX,
            e.access_key,
            e.secret_key,
            e.region,
            datetime.now(UTC),
            service="s3",
        )
        headers.update(signed)
        self.requests += 1
        response = await self._client.get(url, headers=headers)
        if response.status_code != 200:
            raise ListingFailed(f"HTTP {response.status_code}: {response.text[:240]}")
        return response.content

    async def keys(
        self, bucket: str, prefix: str = "", *, start_after: str = "", stop_at: str | None = None
    ) -> set[str]:
        """Keys under `prefix` (current versions) after `start_after`, until a page reaches
        `stop_at` (None: to the end); at most MAX_LIST_PAGES pages."""
        found: set[str] = set()
        for _ in range(MAX_LIST_PAGES):
            body = await self._page(bucket, prefix, start_after)
            page = [match.decode() for match in _KEY.findall(body)]
            found.update(page)
            if _TRUNCATED not in body or not page or (stop_at is not None and page[-1] >= stop_at):
                break
            start_after = page[-1]
        return found
