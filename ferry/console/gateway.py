"""The signed-in user's S3, IAM and S3 Control calls, sent to the region that holds the bucket
and signed with the user's own key: the API's authentication, policy engine and validation
judge every console action exactly as they judge the aws CLI's (docs/console.md)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

import httpx

from ferry.client import Credentials, RemoteS3, RemoteS3Error, TransportFailure
from ferry.console.sessions import Session
from ferry.console.xmldoc import parse_xml, text
from ferry.control import BucketDirectory

IAM_VERSION = "2010-05-08"
PAGE_SIZE = 50


class ConsoleError(Exception):
    """An action the API refused: its code and AWS's message, shown as they are."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketRow:
    name: str
    region: str
    created: str
    versioning: str = ""  # "", Enabled, Suspended; "?" when the user may not read it


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectRow:
    key: str
    size: int
    last_modified: str
    etag: str = ""
    version_id: str = ""
    is_latest: bool = True
    delete_marker: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Listing:
    folders: list[str]
    objects: list[ObjectRow]
    next_token: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionPage:
    versions: list[ObjectRow]
    next_key_marker: str = ""  # "": the last page
    next_version_marker: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectDetails:
    key: str
    headers: Mapping[str, str]
    tags: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    @property
    def metadata(self) -> list[tuple[str, str]]:
        return sorted(
            (n[len("x-amz-meta-") :], v)
            for n, v in self.headers.items()
            if n.startswith("x-amz-meta-")
        )


class UserGateway:
    """One session's calls; built per request from the session and the shared client."""

    def __init__(
        self,
        session: Session,
        client: RemoteS3,
        directory: BucketDirectory,
        endpoints: Mapping[str, str],
        home_region: str,
    ) -> None:
        self._session = session
        self._client = client
        self._directory = directory
        self._endpoints = endpoints
        self.home_region = home_region

    @property
    def regions(self) -> list[str]:
        return list(self._endpoints)

    async def region_of(self, bucket: str) -> str:
        entry = await self._directory.lookup(bucket)
        return entry.region if entry is not None else self.home_region

    def _credentials(self, region: str, service: str) -> Credentials:
        return Credentials(
            access_key=self._session.access_key,
            secret_key=self._session.secret_key,
            region=region,
            service=service,
        )

    async def call(
        self,
        method: str,
        path: str,
        *,
        region: str | None = None,
        bucket: str | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | AsyncIterator[bytes] | None = None,
        service: str = "s3",
    ) -> httpx.Response:
        if region is None:
            region = await self.region_of(bucket) if bucket else self.home_region
        credentials = self._credentials(region, service)
        try:
            return await self._client.request(
                credentials,
                method,
                self._endpoints[region] + path,
                params=params,
                headers=headers,
                content=content,
            )
        except RemoteS3Error as exc:
            raise ConsoleError(exc.code, exc.message or exc.code, exc.status) from exc
        except TransportFailure as exc:  # regions fail independently: say which is away
            raise ConsoleError(
                "ServiceUnavailable", f"Region {region} did not answer.", 503
            ) from exc

    async def download(
        self, bucket: str, key: str, version_id: str = ""
    ) -> tuple[dict[str, str], AsyncIterator[bytes]]:
        """GetObject's headers, and its body as it arrives from the bucket's region."""
        region = await self.region_of(bucket)
        params = {"versionId": version_id} if version_id else {}
        stack = contextlib.AsyncExitStack()
        try:
            response = await stack.enter_async_context(
                self._client.stream(
                    self._credentials(region, "s3"),
                    "GET",
                    self._endpoints[region] + object_path(bucket, key),
                    params=params,
                )
            )
        except RemoteS3Error as exc:
            await stack.aclose()
            raise ConsoleError(exc.code, exc.message or exc.code, exc.status) from exc
        except TransportFailure as exc:
            await stack.aclose()
            raise ConsoleError(
                "ServiceUnavailable", f"Region {region} did not answer.", 503
            ) from exc
        headers = {n.lower(): v for n, v in response.headers.items()}

        async def body() -> AsyncIterator[bytes]:
            async with stack:
                async for chunk in response.aiter_raw():
                    yield chunk

        return headers, body()

    async def xml(
        self,
        method: str,
        path: str,
        *,
        region: str | None = None,
        bucket: str | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        service: str = "s3",
    ) -> Element:
        """`call`, its answer's XML document parsed (namespaces dropped)."""
        response = await self.call(
            method,
            path,
            region=region,
            bucket=bucket,
            params=params,
            headers=headers,
            content=content,
            service=service,
        )
        return parse_xml(response.content) if response.content else Element("empty")

    # -- buckets ----------------------------------------------------------------------------

    async def list_buckets(self) -> list[BucketRow]:
        root = await self.xml("GET", "/")
        rows = []
        for b in root.iter("Bucket"):
            name = text(b, "Name")
            region = text(b, "BucketRegion") or await self.region_of(name)
            rows.append(BucketRow(name=name, region=region, created=text(b, "CreationDate")))
        return rows

    async def versioning(self, bucket: str) -> str:
        root = await self.xml("GET", f"/{bucket}", bucket=bucket, params={"versioning": ""})
        return text(root, "Status")

    async def create_bucket(self, bucket: str, region: str) -> None:
        body = b""
        if region != "us-east-1":
            body = (
                "<CreateBucketConfiguration><LocationConstraint>"
                f"{escape(region)}</LocationConstraint></CreateBucketConfiguration>"
            ).encode()
        await self.call("PUT", f"/{quote(bucket)}", region=region, content=body)

    async def put_versioning(self, bucket: str, status: str) -> None:
        body = (
            f"<VersioningConfiguration><Status>{escape(status)}</Status></VersioningConfiguration>"
        )
        await self.call(
            "PUT", f"/{bucket}", bucket=bucket, params={"versioning": ""}, content=body.encode()
        )

    async def delete_bucket(self, bucket: str) -> None:
        await self.call("DELETE", f"/{bucket}", bucket=bucket)

    # -- objects ----------------------------------------------------------------------------

    async def list_objects(self, bucket: str, prefix: str, token: str = "") -> Listing:
        params = {"list-type": "2", "prefix": prefix, "delimiter": "/", "max-keys": str(PAGE_SIZE)}
        if token:
            params["continuation-token"] = token
        root = await self.xml("GET", f"/{bucket}", bucket=bucket, params=params)
        folders = [text(p, "Prefix") for p in root.iter("CommonPrefixes")]
        objects = [
            ObjectRow(
                key=text(c, "Key"),
                size=int(text(c, "Size", "0")),
                last_modified=text(c, "LastModified"),
                etag=text(c, "ETag"),
            )
            for c in root.iter("Contents")
        ]
        return Listing(
            folders=folders, objects=objects, next_token=text(root, "NextContinuationToken")
        )

    async def list_versions(
        self, bucket: str, prefix: str, key_marker: str = "", version_marker: str = ""
    ) -> VersionPage:
        params = {"versions": "", "prefix": prefix, "max-keys": str(PAGE_SIZE)}
        if key_marker:
            params["key-marker"] = key_marker
            if version_marker:
                params["version-id-marker"] = version_marker
        root = await self.xml("GET", f"/{bucket}", bucket=bucket, params=params)
        rows = []
        for element in root:
            if element.tag not in ("Version", "DeleteMarker"):
                continue
            rows.append(
                ObjectRow(
                    key=text(element, "Key"),
                    size=int(text(element, "Size", "0")),
                    last_modified=text(element, "LastModified"),
                    etag=text(element, "ETag"),
                    version_id=text(element, "VersionId"),
                    is_latest=text(element, "IsLatest") == "true",
                    delete_marker=element.tag == "DeleteMarker",
                )
            )
        truncated = text(root, "IsTruncated") == "true"
        return VersionPage(
            versions=rows,
            next_key_marker=text(root, "NextKeyMarker") if truncated else "",
            next_version_marker=text(root, "NextVersionIdMarker") if truncated else "",
        )

    async def head_object(self, bucket: str, key: str, version_id: str = "") -> ObjectDetails:
        params = {"versionId": version_id} if version_id else {}
        response = await self.call("HEAD", object_path(bucket, key), bucket=bucket, params=params)
        headers = {n.lower(): v for n, v in response.headers.items()}
        tags: list[tuple[str, str]] = []
        try:
            root = await self.xml(
                "GET", object_path(bucket, key), bucket=bucket, params={"tagging": "", **params}
            )
            tags = [(text(t, "Key"), text(t, "Value")) for t in root.iter("Tag")]
        except ConsoleError:
            pass  # tags are optional reading: s3:GetObjectTagging may be denied
        return ObjectDetails(key=key, headers=headers, tags=tags)

    async def put_object_tags(
        self, bucket: str, key: str, version_id: str, tags: list[tuple[str, str]]
    ) -> None:
        """PutObjectTagging with `tags` (the whole set); DeleteObjectTagging when empty,
        as the AWS console does when the last tag is removed."""
        params = {"tagging": "", **({"versionId": version_id} if version_id else {})}
        if not tags:
            await self.call("DELETE", object_path(bucket, key), bucket=bucket, params=params)
            return
        document = (
            "<Tagging><TagSet>"
            + "".join(
                f"<Tag><Key>{escape(k)}</Key><Value>{escape(v)}</Value></Tag>" for k, v in tags
            )
            + "</TagSet></Tagging>"
        ).encode()
        await self.call(
            "PUT",
            object_path(bucket, key),
            bucket=bucket,
            params=params,
            content=document,
            headers={"content-type": "application/xml", "content-md5": _content_md5(document)},
        )

    async def object_acl(self, bucket: str, key: str, version_id: str = "") -> Element:
        """GetObjectAcl's AccessControlPolicy document."""
        params = {"acl": "", **({"versionId": version_id} if version_id else {})}
        return await self.xml("GET", object_path(bucket, key), bucket=bucket, params=params)

    async def put_canned_object_acl(
        self, bucket: str, key: str, version_id: str, canned: str
    ) -> None:
        """PutObjectAcl with a canned ACL (`x-amz-acl`), the AWS console's public-access box."""
        params = {"acl": "", **({"versionId": version_id} if version_id else {})}
        await self.call(
            "PUT",
            object_path(bucket, key),
            bucket=bucket,
            params=params,
            headers={"x-amz-acl": canned},
            content=b"",
        )

    async def delete_object(self, bucket: str, key: str, version_id: str = "") -> None:
        params = {"versionId": version_id} if version_id else {}
        await self.call("DELETE", object_path(bucket, key), bucket=bucket, params=params)

    # -- replication ------------------------------------------------------------------------

    async def replication(self, bucket: str) -> Element | None:
        try:
            return await self.xml("GET", f"/{bucket}", bucket=bucket, params={"replication": ""})
        except ConsoleError as exc:
            if exc.code == "ReplicationConfigurationNotFoundError":
                return None
            raise

    async def put_replication(self, bucket: str, document: bytes) -> None:
        await self.call(
            "PUT",
            f"/{bucket}",
            bucket=bucket,
            params={"replication": ""},
            content=document,
            headers={"content-type": "application/xml", "content-md5": _content_md5(document)},
        )

    async def delete_replication(self, bucket: str) -> None:
        await self.call("DELETE", f"/{bucket}", bucket=bucket, params={"replication": ""})

    async def query(self, service: str, action: str, version: str) -> Element:
        """One call of a query-protocol API on the region's endpoint (IAM, STS)."""
        return await self.xml(
            "POST",
            "/",
            service=service,
            content=f"Action={action}&Version={version}".encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

    async def list_roles(self) -> list[str]:
        """The account's IAM role ARNs ([] when the user may not list them)."""
        try:
            root = await self.query("iam", "ListRoles", IAM_VERSION)
        except ConsoleError:
            return []
        return [text(member, "Arn") for member in root.iter("member") if text(member, "Arn")]

    async def list_kms_keys(self) -> list[str]:
        """Every region's KMS key ARNs the user may list (for a rule's replica key)."""
        arns: list[str] = []
        for region in self._endpoints:
            try:
                response = await self.call(
                    "POST",
                    "/",
                    region=region,
                    service="kms",
                    content=b"{}",
                    headers={
                        "content-type": "application/x-amz-json-1.1",
                        "x-amz-target": "TrentService.ListKeys",
                    },
                )
                arns += [str(k["KeyArn"]) for k in json.loads(response.content).get("Keys", [])]
            except (ConsoleError, ValueError, KeyError, TypeError):
                continue  # this region's keys are not the user's to list
        return arns

    # -- the admin API (the deployment root's) ---------------------------------------------

    async def admin(
        self, path: str, *, bucket: str, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """GET of the admin API (`/_ferry/...`) in the bucket's region, signed with the user's
        key: the API itself refuses anyone but the deployment root (403 AccessDenied)."""
        try:
            response = await self.call(
                "GET", path, bucket=bucket, params={"bucket": bucket, **(params or {})}
            )
        except ConsoleError as exc:
            raise _admin_error(exc) from exc
        document = json.loads(response.content)
        if not isinstance(document, dict):
            raise ConsoleError("InternalError", "The admin API did not answer a JSON object.", 502)
        return document

    # -- batch jobs (S3 Control) ------------------------------------------------------------

    @property
    def account_id(self) -> str:
        return self._session.account_id

    async def control(
        self,
        method: str,
        path: str,
        *,
        region: str,
        body: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Element:
        headers = {"x-amz-account-id": self.account_id, "content-type": "application/xml"}
        return await self.xml(
            method,
            f"/v20180820/jobs{path}",
            region=region,
            headers=headers,
            content=body,
            params=params,
        )


def object_path(bucket: str, key: str) -> str:
    return f"/{bucket}/" + quote(key, safe="-_.~/")


def _admin_error(exc: ConsoleError) -> ConsoleError:
    """The admin API's errors are JSON (`{"error", "message"}`), which the S3 client, reading
    XML, leaves as the message's text."""
    try:
        document = json.loads(exc.message)
    except ValueError:
        return exc
    if not isinstance(document, dict) or "error" not in document:
        return exc
    return ConsoleError(str(document["error"]), str(document.get("message", "")), exc.status)


def _content_md5(document: bytes) -> str:
    return base64.b64encode(hashlib.md5(document, usedforsecurity=False).digest()).decode()
