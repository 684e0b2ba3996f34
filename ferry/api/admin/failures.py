"""The admin API's replication failure store, under `/_ferry/failures` (JSON).

    GET    /_ferry/failures?rule=&bucket=&destination=&reason=&state=&since=&until=&limit=&cursor=
    GET    /_ferry/failures/summary
    GET    /_ferry/failures/{id}
    DELETE /_ferry/failures?<same filters>       (purge; at least one filter, or all=true)

Times are ISO 8601 UTC (`since` inclusive, `until` exclusive, on the last failure time).
Pages are newest first; `next_cursor` is null on the last page.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ferry.api.admin.encoding import json_response
from ferry.api.admin.errors import AdminError, method_not_allowed, no_such_resource
from ferry.api.context import Services
from ferry.api.http import Request, Response
from ferry.core.clock import epoch_ms
from ferry.replication import (
    Failure,
    FailureCounts,
    FailureCursor,
    FailureFilter,
    FailureState,
)
from ferry.replication.failures import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

PREFIX = "/_ferry/failures"
FILTER_PARAMS = ("rule", "bucket", "destination", "reason", "state", "since", "until")


def is_failures_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


async def serve_failures(request: Request, services: Services) -> Response:
    rest = request.path[len(PREFIX) :].strip("/")
    store = services.failures
    match request.method, rest:
        case "GET", "":
            where = parse_filter(request.params)
            limit = _limit(request.params.get("limit"))
            cursor = _cursor(request.params.get("cursor"))
            page = await store.query(where, limit=limit, after=cursor)
            return json_response(
                {
                    "failures": [render_failure(f) for f in page.failures],
                    "next_cursor": page.next_cursor.render() if page.next_cursor else None,
                }
            )
        case "GET", "summary":
            return json_response(render_summary(await store.counts()))
        case "GET", _ if rest.isdigit():
            failure = await store.get(int(rest))
            if failure is None:
                raise AdminError(404, "NoSuchFailure", f"No failure with id {rest}.")
            return json_response(render_failure(failure))
        case "DELETE", "":
            where = parse_filter(request.params)
            if where.is_empty and request.params.get("all") != "true":
                raise AdminError(
                    400, "InvalidArgument", "Purge needs a filter, or all=true to purge all."
                )
            return json_response({"purged": await store.purge(where)})
        case (("GET" | "DELETE"), _):
            raise no_such_resource(request.path)
    raise method_not_allowed(request.method)


def parse_filter(params: Mapping[str, str]) -> FailureFilter:
    state = params.get("state")
    if state is not None:
        try:
            parsed_state: FailureState | None = FailureState(state.upper())
        except ValueError as exc:
            states = ", ".join(FailureState)
            raise AdminError(400, "InvalidArgument", f"state must be one of {states}.") from exc
    else:
        parsed_state = None
    return FailureFilter(
        rule_id=params.get("rule") or None,
        bucket=params.get("bucket") or None,
        destination_bucket=params.get("destination") or None,
        reason=params.get("reason") or None,
        state=parsed_state,
        since_ms=_time(params, "since"),
        until_ms=_time(params, "until"),
    )


def _time(params: Mapping[str, str], name: str) -> int | None:
    text = params.get(name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise AdminError(400, "InvalidArgument", f"{name} must be an ISO 8601 time.") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return epoch_ms(moment)


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_PAGE_SIZE
    if not text.isdigit() or int(text) < 1:
        raise AdminError(400, "InvalidArgument", "limit must be a positive integer.")
    return min(int(text), MAX_PAGE_SIZE)


def _cursor(text: str | None) -> FailureCursor | None:
    if not text:
        return None
    try:
        return FailureCursor.parse(text)
    except ValueError as exc:
        raise AdminError(400, "InvalidArgument", "cursor is not one this API returned.") from exc


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03}Z"


def render_failure(failure: Failure) -> dict[str, Any]:
    return {
        "id": failure.failure_id,
        "state": failure.state.value,
        "bucket": failure.bucket,
        "key": failure.key,
        "version_id": failure.version_id,
        "operation": failure.operation,
        "rule_id": failure.rule_id,
        "destination_bucket": failure.destination_bucket,
        "destination_region": failure.destination_region,
        "reason": failure.reason,
        "message": failure.message,
        "attempts": failure.attempts,
        "first_failure": _iso(failure.first_failure_ms),
        "last_failure": _iso(failure.last_failure_ms),
        "next_attempt": _iso(failure.next_attempt_ms),
        "resolved": _iso(failure.resolved_ms),
    }


def render_summary(counts: FailureCounts) -> dict[str, Any]:
    """Counts per state overall, and per rule and per reason, each broken down by state."""
    total = {state.value: 0 for state in FailureState}
    for by_state in counts.by_rule.values():
        for state, count in by_state.items():
            total[state.value] += count

    def rows(field: str, group: dict[str, dict[FailureState, int]]) -> list[dict[str, Any]]:
        return [
            {field: name, **{s.value: by_state.get(s, 0) for s in FailureState}}
            for name, by_state in group.items()
        ]

    return {
        "total": total,
        "rules": rows("rule_id", counts.by_rule),
        "reasons": rows("reason", counts.by_reason),
    }
