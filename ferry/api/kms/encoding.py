"""Every KMS answer, success or error, is one compact JSON document of the JSON 1.1 protocol."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ferry.api.http import Response

CONTENT_TYPE = "application/x-amz-json-1.1"


def json_response(status: int, body: Mapping[str, Any], request_id: str) -> Response:
    return Response(
        status=status,
        headers=[("content-type", CONTENT_TYPE), ("x-amzn-requestid", request_id)],
        body=json.dumps(body, separators=(",", ":")).encode(),
    )
