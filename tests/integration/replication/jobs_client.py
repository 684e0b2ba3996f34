"""S3 Control requests for the integration tier: bodies and query strings serialised by
botocore's own s3control serializer, sent through the signing test client."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from botocore.parsers import RestXMLParser
from botocore.serialize import create_serializer
from botocore.session import get_session

from tests.integration.s3 import S3

ACCOUNT_ID = "000000000042"
_MODEL = get_session().get_service_model("s3control")


async def call(
    s3: S3, operation: str, *, account_id: str = ACCOUNT_ID, **params: Any
) -> tuple[httpx.Response, dict[str, Any]]:
    """Send `operation` as boto3 would (minus the host prefix); parse the answer as it would."""
    model = _MODEL.operation_model(operation)
    request = create_serializer("rest-xml").serialize_to_request(
        {"AccountId": account_id, **params}, model
    )
    split = urlsplit(request["url_path"])
    query: dict[str, str | None] = dict(parse_qsl(split.query))
    for name, value in request["query_string"].items():
        query[name] = (
            value
            if isinstance(value, str | int) and not isinstance(value, list)
            else ",".join(value)
        )
        query[name] = str(query[name])
    headers = {k: v for k, v in request["headers"].items() if isinstance(v, str)}
    body = request["body"] if isinstance(request["body"], bytes) else request["body"].encode()
    response = await s3.request(
        request["method"], split.path, query=query or None, body=body, headers=headers
    )
    shape = model.output_shape
    parsed: dict[str, Any] = RestXMLParser().parse(
        {"body": response.content, "headers": dict(response.headers),
         "status_code": response.status_code},
        shape,
    )  # fmt: skip
    parsed.pop("ResponseMetadata", None)
    return response, parsed
