"""The admin API's event outbox, `GET /_ferry/events/outbox?limit=N` (JSON): undelivered
events, counted per target, and the oldest of them."""

from __future__ import annotations

import json

from ferry.api.admin.encoding import json_response
from ferry.api.admin.errors import AdminError
from ferry.api.context import Services
from ferry.api.http import Request, Response

OUTBOX_PATH = "/_ferry/events/outbox"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def is_outbox_path(path: str) -> bool:
    return path == OUTBOX_PATH


async def serve_outbox(request: Request, services: Services) -> Response:
    if request.method != "GET":
        raise AdminError(501, "NotImplemented", "Unknown Ferry endpoint.")
    try:
        limit = min(int(request.params.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
    except ValueError as exc:
        raise AdminError(400, "InvalidArgument", "limit must be an integer.") from exc
    if services.outbox is None:
        raise AdminError(501, "NotImplemented", "Notifications are not enabled.")
    counts, events = await services.outbox.pending(limit)
    return json_response(
        {
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
        }
    )  # fmt: skip
