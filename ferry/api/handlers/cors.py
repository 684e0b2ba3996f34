"""CORS: Put/Get/DeleteBucketCors, the preflight (OPTIONS, answered without authentication,
as S3 answers it) and the `Access-Control-*` headers of actual responses to a request that
carries an `Origin` a rule allows (protocol/cors.py picks the rule)."""

from __future__ import annotations

from functools import lru_cache

from ferry.api.context import RequestContext, Services
from ferry.api.http import Request, Response, xml_response
from ferry.protocol.cors import matching_rule, requested_headers, response_headers
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.cors import (
    CorsConfiguration,
    parse_cors_configuration,
    render_cors_configuration,
)
from ferry.store.errors import NoSuchBucket, NoSuchCORSConfiguration

MAX_CORS_BYTES = 64 * 1024  # S3's limit on a CORS configuration


async def put_bucket_cors(ctx: RequestContext) -> Response:
    body = await ctx.request.read_body(MAX_CORS_BYTES)
    parse_cors_configuration(body)  # refuses what S3 refuses, before anything is stored
    try:
        document = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise S3Error(S3ErrorCode.MalformedXML) from exc
    await ctx.services.buckets.set_cors(ctx.bucket, document)
    return Response(status=200)


async def get_bucket_cors(ctx: RequestContext) -> Response:
    document = (await ctx.services.buckets.get_access(ctx.bucket)).cors
    if document is None:
        raise NoSuchCORSConfiguration(bucket=ctx.bucket)
    return xml_response(render_cors_configuration(parsed_cors(document)))


async def delete_bucket_cors(ctx: RequestContext) -> Response:
    await ctx.services.buckets.set_cors(ctx.bucket, None)
    return Response(status=204)


@lru_cache(maxsize=1024)
def parsed_cors(document: str) -> CorsConfiguration:
    """Stored documents were validated by PutBucketCors; parsing each once is enough."""
    return parse_cors_configuration(document.encode("utf-8"))


async def preflight(request: Request, services: Services, bucket: str) -> Response:
    """An OPTIONS request on a bucket or an object."""
    origin = request.headers.get("origin")
    if not origin:
        raise S3Error(
            S3ErrorCode.BadRequest, "Insufficient information. Origin request header needed."
        )
    method = request.headers.get("access-control-request-method")
    if not method:
        raise S3Error(
            S3ErrorCode.BadRequest,
            "Invalid Access-Control-Request-Method: null",
        )
    try:
        document = (await services.buckets.get_access(bucket)).cors if bucket else None
    except NoSuchBucket:
        document = None
    if document is None:
        raise S3Error(
            S3ErrorCode.AccessForbidden, "CORSResponse: CORS is not enabled for this bucket."
        )
    headers = requested_headers(request.headers.get("access-control-request-headers"))
    rule = matching_rule(parsed_cors(document), origin, method, headers)
    if rule is None:
        raise S3Error(S3ErrorCode.AccessForbidden)
    return Response(status=200, headers=response_headers(rule, origin, preflight_headers=headers))


async def add_cors_headers(
    request: Request, services: Services, bucket: str, response: Response
) -> Response:
    """An actual request from a browser: the matching rule's headers, if any."""
    origin = request.headers.get("origin")
    if not origin or not bucket:
        return response
    try:
        document = (await services.buckets.get_access(bucket)).cors
    except NoSuchBucket:
        return response
    if document is None:
        return response
    rule = matching_rule(parsed_cors(document), origin, request.method)
    if rule is not None:
        response.headers.extend(response_headers(rule, origin))
    return response
