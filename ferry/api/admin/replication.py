"""The admin API's replication resource, for seeing and proving replication (`ferry verify`,
`ferry doctor`, `ferry explain`), under `/_ferry/replication/` (JSON):

    GET  /_ferry/replication/configuration?bucket=B         versioning and replication XML
    GET  /_ferry/replication/versions?bucket=B&prefix=&key_marker=&limit=
                                                            versions in key order, with what
                                                            verify compares (no bytes)
    GET  /_ferry/replication/explain?bucket=B&key=K&tags=k%3Dv&storage_class=&sse_kms=
    GET  /_ferry/replication/status?bucket=B                 exact metrics per rule and
                                                            destination (`ferry replication
                                                            status`, replication_status.py)
    GET  /_ferry/replication/doctor/source?bucket=B[&batch_role=ARN]
                                                            source findings + destinations
                                                            (+ the re-drive role's findings)
    GET  /_ferry/replication/doctor/destination?bucket=D&needs=JSON
                                                            destination findings + next hops
    POST /_ferry/replication/repairs?bucket=B&sha256=HEX    body {"repairs": [{key,
                                                            version_id, destination_bucket}]}

Each answers for a bucket of its own region; a bucket of another region gets a 301
`PermanentRedirect` naming that region and its endpoint (the CLI follows it), a bucket nowhere
a 404. The repair body's SHA-256 travels in the signed query string (the client signs bodies
as UNSIGNED-PAYLOAD), so the body is verified against it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from ferry.api.admin.doctor_facts import destination_report, source_report
from ferry.api.admin.encoding import json_response
from ferry.api.admin.errors import AdminError, no_such_resource
from ferry.api.admin.replication_status import replication_status
from ferry.api.context import Services
from ferry.api.http import Request, Response
from ferry.core.errors import FerryError
from ferry.protocol.xml.replication import parse_replication_configuration
from ferry.replication.explain import Explanation, explain
from ferry.replication.repairs import MAX_REPAIRS_PER_REQUEST, RepairOutcome, RepairRequest
from ferry.replication.version_facts import render_version_facts, version_facts
from ferry.store.errors import NoSuchBucket

PREFIX = "/_ferry/replication/"
MAX_LISTED_VERSIONS = 1000
MAX_REPAIR_BODY_BYTES = 1024 * 1024


def is_replication_admin_path(path: str) -> bool:
    return path.startswith(PREFIX)


async def serve_replication(request: Request, services: Services) -> Response:
    """One request of a caller the pipeline authorised as the deployment root."""
    bucket = request.params.get("bucket", "")
    if not bucket:
        raise AdminError(400, "InvalidArgument", "bucket is required.")
    body = await _verified_body(request)
    try:
        return json_response(await _dispatch(request, services, bucket, body))
    except NoSuchBucket as exc:
        raise await _not_here(services, bucket) from exc
    except FerryError as exc:  # a configuration or argument the checks cannot use
        raise AdminError(400, type(exc).__name__, str(exc)) from exc


async def _verified_body(request: Request) -> bytes:
    """A POST's body, checked against the SHA-256 its signed query string names."""
    if request.method != "POST":
        return b""
    body = await request.read_body(MAX_REPAIR_BODY_BYTES)
    if hashlib.sha256(body).hexdigest() != request.params.get("sha256"):
        raise AdminError(400, "XAmzContentSHA256Mismatch", "The body does not match sha256.")
    return body


async def _dispatch(
    request: Request, services: Services, bucket: str, body: bytes
) -> Mapping[str, Any]:
    match request.method, request.path[len(PREFIX) :].strip("/"):
        case "GET", "configuration":
            return await _configuration(services, bucket)
        case "GET", "versions":
            return await _versions(services, bucket, request.params)
        case "GET", "explain":
            return await _explain(services, bucket, request.params)
        case "GET", "status":
            return await replication_status(services, bucket)
        case "GET", "doctor/source":
            return await source_report(services, bucket, request.params.get("batch_role"))
        case "GET", "doctor/destination":
            return await destination_report(services, bucket, request.params.get("needs", ""))
        case "POST", "repairs":
            return await _repairs(services, bucket, body)
    raise no_such_resource(f"{request.method} {request.path}")


async def _configuration(services: Services, bucket: str) -> dict[str, Any]:
    found = await services.buckets.get(bucket)
    return {
        "bucket": bucket,
        "region": services.region.name,
        "versioning": found.versioning.value,
        "replication": found.replication,
    }


async def _versions(services: Services, bucket: str, params: Mapping[str, str]) -> dict[str, Any]:
    limit = params.get("limit", str(MAX_LISTED_VERSIONS))
    if not limit.isdigit() or int(limit) < 1:
        raise AdminError(400, "InvalidArgument", "limit must be a positive integer.")
    listing = await services.listings.versions(
        bucket, prefix=params.get("prefix", ""), key_marker=params.get("key_marker", ""),
        version_id_marker=params.get("version_id_marker", ""),
        max_keys=min(int(limit), MAX_LISTED_VERSIONS),
    )  # fmt: skip
    return {
        "bucket": bucket,
        "versions": [render_version_facts(version_facts(v)) for v in listing.versions],
        "truncated": listing.is_truncated,
        "next_key_marker": listing.next_marker if listing.is_truncated else None,
        "next_version_id_marker": listing.next_version_id_marker if listing.is_truncated else None,
    }


async def _explain(services: Services, bucket: str, params: Mapping[str, str]) -> dict[str, Any]:
    key = params.get("key", "")
    if not key:
        raise AdminError(400, "InvalidArgument", "key is required.")
    found = await services.buckets.get(bucket)
    if not found.replication:
        raise AdminError(
            404,
            "ReplicationConfigurationNotFoundError",
            f"Bucket {bucket} has no replication configuration.",
        )
    configuration = parse_replication_configuration(found.replication.encode())
    answer = explain(
        bucket, configuration, key=key, tags=dict(parse_qsl(params.get("tags", ""))),
        storage_class=params.get("storage_class") or "STANDARD",
        sse_kms=params.get("sse_kms") == "true",
    )  # fmt: skip
    return render_explanation(answer)


def render_explanation(answer: Explanation) -> dict[str, Any]:
    return {
        "bucket": answer.bucket,
        "key": answer.key,
        "tags": dict(answer.tags),
        "rules": [
            {"rule_id": r.rule_id, "destination_bucket": r.destination_bucket,
             "priority": r.priority, "selects": r.selects, "reason": r.reason}
            for r in answer.rules
        ],
        "destinations": [
            {"bucket": d.bucket, "rule_id": d.rule_id, "reached": d.reached, "reason": d.reason,
             "delete_markers": d.delete_markers, "delete_marker_reason": d.delete_marker_reason}
            for d in answer.destinations
        ],
    }  # fmt: skip


async def _repairs(services: Services, bucket: str, body: bytes) -> dict[str, Any]:
    if services.repairs is None:
        raise AdminError(501, "NotImplemented", "Repairs are not served in this region.")
    await services.buckets.get(bucket)  # NoSuchBucket: redirect to its region
    try:
        items = json.loads(body)["repairs"]
        requests = [
            RepairRequest(key=str(i["key"]), version_id=str(i["version_id"]),
                          destination_bucket=str(i["destination_bucket"]))
            for i in items
        ]  # fmt: skip
    except (ValueError, KeyError, TypeError) as exc:
        raise AdminError(400, "MalformedJSON", "The body is not a list of repairs.") from exc
    if len(requests) > MAX_REPAIRS_PER_REQUEST:
        raise AdminError(400, "InvalidArgument", f"At most {MAX_REPAIRS_PER_REQUEST} repairs.")
    outcomes = await services.repairs.enqueue(bucket, requests)
    return {"bucket": bucket, "repairs": [_render_outcome(o) for o in outcomes]}


def _render_outcome(outcome: RepairOutcome) -> dict[str, Any]:
    return {
        "key": outcome.request.key,
        "version_id": outcome.request.version_id,
        "destination_bucket": outcome.request.destination_bucket,
        "queued": outcome.queued,
        "rule_id": outcome.rule_id,
        "operation": outcome.operation.value if outcome.operation else None,
        "reason": outcome.reason or None,
    }


async def _not_here(services: Services, bucket: str) -> AdminError:
    entry = await services.directory.lookup(bucket)
    if entry is None or entry.region == services.region.name:
        return AdminError(404, "NoSuchBucket", f"No bucket {bucket} in this deployment.")
    region = services.deployment.find_region(entry.region)
    return AdminError(
        301, "PermanentRedirect", f"Bucket {bucket} is in region {entry.region}.",
        fields={"region": entry.region, "endpoint": region.endpoint if region else None},
    )  # fmt: skip
