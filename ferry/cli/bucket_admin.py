"""Admin-API calls about buckets anywhere in the deployment, for `ferry verify`, `doctor`
and `explain`: the first call goes to the region `--endpoint` or `--config/--region` names;
a bucket of another region answers with a redirect naming its region (and endpoint), which is
followed, and remembered, so each bucket's later calls go straight to its region.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from ferry.cli.failures import AdminClient, CommandError, connect


class NoSuchBucketAnywhere(CommandError):
    """No region of the deployment holds the bucket."""


class BucketAdmin:
    def __init__(self, args: argparse.Namespace) -> None:
        self._args = args
        self._clients: dict[str, AdminClient] = {}  # by region ("" until a region is known)
        self._region_of: dict[str, str] = {}  # bucket → region
        self._endpoints: dict[str, str | None] = {}  # region → endpoint, from redirects

    def close(self) -> None:
        for client in self._clients.values():
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
        query = {"bucket": bucket, **(params or {})}
        if body is not None:
            query["sha256"] = hashlib.sha256(body).hexdigest()
        response = self._send(self._client(bucket), method, path, query, body)
        if response.status_code == 301:
            self._follow(bucket, _document(response))
            response = self._send(self._client(bucket), method, path, query, body)
        document = _document(response)
        if response.status_code == 404 and document.get("error") == "NoSuchBucket":
            raise NoSuchBucketAnywhere(str(document.get("message")))
        if response.status_code >= 300:
            raise CommandError(f"{document.get('error')}: {document.get('message')}")
        return document

    def region_of(self, bucket: str) -> str:
        return self._region_of.get(bucket, "")

    def delete_version(self, bucket: str, key: str, version_id: str) -> None:
        """S3 DeleteObject of one version, in the bucket's region, as the root."""
        http = self._client(bucket).http
        path = f"/{bucket}/" + quote(key, safe="-_.~/")
        try:
            response = http.delete(path, params={"versionId": version_id})
        except httpx.HTTPError as exc:
            raise CommandError(f"cannot reach {http.base_url}: {exc}") from exc
        if response.status_code >= 300:
            raise CommandError(
                f"deleting {bucket}/{key} {version_id}: HTTP "
                f"{response.status_code} {response.text[:200]}"
            )

    def _client(self, bucket: str) -> AdminClient:
        region = self._region_of.get(bucket, "")
        if region not in self._clients:
            self._clients[region] = connect(self._arguments(region))
        return self._clients[region]

    def _arguments(self, region: str) -> argparse.Namespace:
        if not region:
            return self._args
        endpoint = self._endpoints.get(region)
        if self._args.config is not None:
            return argparse.Namespace(**{**vars(self._args), "region": region})
        return argparse.Namespace(**{**vars(self._args), "region": region, "endpoint": endpoint})

    def _follow(self, bucket: str, document: Mapping[str, Any]) -> None:
        region, endpoint = document.get("region"), document.get("endpoint")
        if not region:
            raise CommandError(f"{document.get('error')}: {document.get('message')}")
        if self._args.config is None and not endpoint:
            raise CommandError(f"{bucket} is in {region}, whose endpoint is unknown: use --config")
        self._endpoints[str(region)] = endpoint
        self._region_of[bucket] = str(region)

    @staticmethod
    def _send(
        client: AdminClient,
        method: str,
        path: str,
        query: Mapping[str, str],
        body: bytes | None,
    ) -> httpx.Response:
        try:
            return client.http.request(method, path, params=dict(query), content=body)
        except httpx.HTTPError as exc:
            raise CommandError(f"cannot reach {client.http.base_url}: {exc}") from exc


def _document(response: httpx.Response) -> dict[str, Any]:
    try:
        document = response.json()
    except ValueError as exc:
        raise CommandError(f"HTTP {response.status_code}: {response.text[:200]}") from exc
    if not isinstance(document, dict):
        raise CommandError(f"HTTP {response.status_code}: not a JSON object")
    return document
