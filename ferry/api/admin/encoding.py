"""Every admin API answer, success or error, is one compact JSON document."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ferry.api.http import Response

Json = dict[str, Any]


def json_response(document: Mapping[str, Any], status: int = 200) -> Response:
    body = json.dumps(document, separators=(",", ":")).encode()
    return Response(status=status, headers=[("content-type", "application/json")], body=body)
