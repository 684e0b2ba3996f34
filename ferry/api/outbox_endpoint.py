"""`GET /_ferry/events/outbox`: undelivered events (counts per target and the oldest ones),
as JSON, for the deployment's root only."""

from __future__ import annotations

import json

from ferry.api.auth import KeyLookup, authenticate
from ferry.api.context import Services
from ferry.api.http import Request, Response
from ferry.protocol.errors import S3Error, S3ErrorCode

OUTBOX_PATH = "/_ferry/events/outbox"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


async def outbox_endpoint(request: Request, services: Services, keys: KeyLookup) -> Response:
    if request.path != OUTBOX_PATH or request.method != "GET":
        raise S3Error(S3ErrorCode.NotImplemented, "Unknown Ferry endpoint.")
    auth = authenticate(request, keys, services.clock, services.region.name)
    if not auth.principal.is_root:
        raise S3Error(S3ErrorCode.AccessDenied)
    try:
        limit = min(int(request.params.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
    except ValueError as exc:
        raise S3Error(S3ErrorCode.InvalidArgument, "limit must be an integer.") from exc
    if services.outbox is None:
        raise S3Error(S3ErrorCode.NotImplemented, "Notifications are not enabled.")
    counts, events = await services.outbox.pending(limit)
    body = {
        "pending": sum(counts.values()),
        "by_target": counts,
        "events": [
            {
                "event_id": e.event_id, "target_arn": e.target_arn, "bucket": e.bucket,
                "event_name": e.event_name, "created_ms": e.created_ms,
                "attempts": e.attempts, "last_error": e.last_error,
                "message": json.loads(e.payload),
            }
            for e in events
        ],
    }  # fmt: skip
    return Response(
        status=200, headers=[("content-type", "application/json")], body=json.dumps(body).encode()
    )
