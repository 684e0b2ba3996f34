"""Where a destination bucket lives: the bucket directory says which region, the deployment
says that region's endpoint."""

from __future__ import annotations

from collections.abc import Mapping

from ferry.control import BucketDirectory
from ferry.replication.replicator import RegionEndpoint


class DirectoryLocator:
    def __init__(self, directory: BucketDirectory, endpoints: Mapping[str, str]) -> None:
        self._directory = directory
        self._endpoints = dict(endpoints)

    async def locate(self, bucket: str) -> RegionEndpoint | None:
        entry = await self._directory.lookup(bucket)
        if entry is None or entry.region not in self._endpoints:
            return None
        return RegionEndpoint(region=entry.region, endpoint=self._endpoints[entry.region])
