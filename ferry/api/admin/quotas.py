"""The admin API's bucket quotas (docs/quotas.md), JSON:

    GET    /_ferry/buckets/{bucket}/quota                          limits and current usage
    PUT    /_ferry/buckets/{bucket}/quota?max_bytes=N&max_objects=M   replace the limits
    DELETE /_ferry/buckets/{bucket}/quota                          remove the limits

Every answer is the bucket's quota document (`render_quota_status`). The limits travel in the
query string, which SigV4 signs, so the request has no body to verify. A bucket of another
region of the deployment gets a 301 `PermanentRedirect` naming its region and endpoint, as S3
answers for buckets; the CLI follows it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ferry.api.admin.encoding import json_response
from ferry.api.admin.errors import AdminError, method_not_allowed, no_such_resource
from ferry.api.context import Services
from ferry.api.http import Request, Response
from ferry.core.errors import FerryError
from ferry.store import BucketQuota, Quotas, QuotaStatus
from ferry.store.errors import InvalidArgument, NoSuchBucket

PREFIX = "/_ferry/buckets/"
_QUOTA_PATH = re.compile(r"^/_ferry/buckets/([^/]+)/quota/?$")


def is_quota_path(path: str) -> bool:
    return path.startswith(PREFIX)


async def serve_quota(request: Request, services: Services) -> Response:
    match = _QUOTA_PATH.match(request.path)
    if match is None:
        raise no_such_resource(request.path)
    if services.quotas is None:
        raise AdminError(501, "NotImplemented", "Quotas are not enabled in this region.")
    bucket = match.group(1)
    try:
        status = await _dispatch(request, services.quotas, bucket)
    except NoSuchBucket as exc:
        raise await _not_here(services, bucket) from exc
    except InvalidArgument as exc:
        raise AdminError(400, "InvalidArgument", exc.message) from exc
    return json_response(render_quota_status(status))


async def _dispatch(request: Request, quotas: Quotas, bucket: str) -> QuotaStatus:
    match request.method:
        case "GET":
            return await quotas.status(bucket)
        case "PUT":
            return await quotas.set(bucket, parse_quota(request.params))
        case "DELETE":
            return await quotas.clear(bucket)
    raise method_not_allowed(request.method)


async def _not_here(services: Services, bucket: str) -> AdminError:
    try:
        entry = await services.directory.lookup(bucket)
    except FerryError:
        entry = None
    if entry is None or entry.region == services.region.name:
        return AdminError(404, "NoSuchBucket", f"No bucket {bucket} in this deployment.")
    region = services.deployment.find_region(entry.region)
    return AdminError(
        301,
        "PermanentRedirect",
        f"Bucket {bucket} is in region {entry.region}.",
        fields={
            "region": entry.region,
            "endpoint": region.endpoint if region is not None else None,
        },
    )


def parse_quota(params: Mapping[str, str]) -> BucketQuota:
    return BucketQuota(
        max_bytes=_count(params, "max_bytes"), max_objects=_count(params, "max_objects")
    )


def _count(params: Mapping[str, str], name: str) -> int | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    if not text.isascii() or not text.isdigit():
        raise AdminError(400, "InvalidArgument", f"{name} must be a whole number of {name[4:]}.")
    return int(text)


def render_quota_status(status: QuotaStatus) -> dict[str, Any]:
    usage = status.usage
    return {
        "bucket": status.bucket,
        "quota": {"max_bytes": status.quota.max_bytes, "max_objects": status.quota.max_objects},
        "usage": {
            "bytes": usage.total_bytes,
            "stored_bytes": usage.stored_bytes,
            "upload_bytes": usage.upload_bytes,
            "objects": usage.objects,
        },
    }
