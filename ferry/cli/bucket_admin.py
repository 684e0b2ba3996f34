"""Admin-API calls about buckets anywhere in the deployment, for `ferry verify`, `doctor`,
`explain` and the re-drive's role checks, over the region clients of `cli/admin_client.py`.

The first call about a bucket goes to the region asked first (`--region`, else the first
region the connection options name); a bucket of another region answers with a redirect
naming its region (and endpoint), which is followed, and remembered, so each bucket's later
calls go straight to its region. A region the options did not name (one `--endpoint` was
given) is reached at the endpoint the redirect names.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx

from ferry.cli.admin_client import (
    AdminClient,
    CommandError,
    RegionClient,
    connect_all,
    open_admin_client,
)

# `--region` of the bucket commands: where to start; the buckets' own regions are followed.
REGION_HELP = "the region to ask first (default: the deployment's first region)"


class NoSuchBucketAnywhere(CommandError):
    """No region of the deployment holds the bucket."""


class BucketAdmin:
    def __init__(self, regions: Sequence[RegionClient], *, first: str | None = None) -> None:
        """`regions`: the regions known (their clients stay the caller's to close)."""
        self._clients: dict[str, AdminClient] = {r.region: r.client for r in regions}
        self._first = first or regions[0].region
        self._opened: list[AdminClient] = []  # clients of regions reached by a redirect
        self._region_of: dict[str, str] = {}  # bucket → region

    def close(self) -> None:
        for client in self._opened:
            client.close()

    def call(
        self,
        method: str,
        path: str,
        bucket: str,
        params: Mapping[str, str] | None = None,
        *,
        body: bytes | None = None,
    ) -> dict[str, Any]:
        """`body`: sent with its SHA-256 in the (signed) query string, which the server checks
        (the client signs bodies as UNSIGNED-PAYLOAD)."""
        query = {"bucket": bucket, **(params or {})}
        if body is not None:
            query["sha256"] = hashlib.sha256(body).hexdigest()
        status, document = self._client(bucket).answer(method, path, query, content=body)
        if status == 301:
            self._follow(bucket, document)
            status, document = self._client(bucket).answer(method, path, query, content=body)
        if status == 404 and document.get("error") == "NoSuchBucket":
            raise NoSuchBucketAnywhere(str(document.get("message")))
        if status >= 300:
            raise CommandError(f"{document.get('error')}: {document.get('message')}")
        return document

    def region_of(self, bucket: str) -> str:
        return self._region_of.get(bucket, "")

    def delete_version(self, bucket: str, key: str, version_id: str) -> bool:
        """S3 DeleteObject of one version, in the bucket's region, as the root (never with the
        governance bypass); False: the version is under Object Lock and stays."""
        http = self._client(bucket).http
        path = f"/{bucket}/" + quote(key, safe="-_.~/")
        try:
            response = http.delete(path, params={"versionId": version_id})
        except httpx.HTTPError as exc:
            raise CommandError(f"cannot reach {http.base_url}: {exc}") from exc
        if response.status_code == 403 and "object lock" in response.text:
            return False
        if response.status_code >= 300:
            raise CommandError(
                f"deleting {bucket}/{key} {version_id}: HTTP "
                f"{response.status_code} {response.text[:200]}"
            )
        return True

    def _client(self, bucket: str) -> AdminClient:
        return self._clients[self._region_of.get(bucket, self._first)]

    def _follow(self, bucket: str, document: Mapping[str, Any]) -> None:
        region, endpoint = document.get("region"), document.get("endpoint")
        if not region:
            raise CommandError(f"{document.get('error')}: {document.get('message')}")
        region = str(region)
        if region not in self._clients:
            if not endpoint:
                raise CommandError(
                    f"{bucket} is in {region}, whose endpoint is unknown: use --config"
                )
            verify = self._clients[self._first].verify
            client = open_admin_client(str(endpoint), region, verify=verify)
            self._opened.append(client)
            self._clients[region] = client
        self._region_of[bucket] = region


@contextmanager
def bucket_admin(args: argparse.Namespace, *, first: str | None = None) -> Iterator[BucketAdmin]:
    """A BucketAdmin over every region the connection options name (with `--config`, every
    region of the deployment, whatever `--region` says: a bucket's destinations are anywhere),
    asking `first` first (default: `--region`)."""
    everywhere = args.endpoint is None
    regions = connect_all(argparse.Namespace(**{**vars(args), "region": None}) if everywhere
                          else args)  # fmt: skip
    try:
        first = first or (args.region if everywhere else None)
        if first is not None and first not in {r.region for r in regions}:
            known = ", ".join(r.region for r in regions)
            raise CommandError(f"no region {first!r} in the deployment ({known})")
        admin = BucketAdmin(regions, first=first)
        try:
            yield admin
        finally:
            admin.close()
    finally:
        for region in regions:
            region.client.close()
