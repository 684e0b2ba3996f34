"""CORS against a real server: Put/Get/DeleteBucketCors through boto3 and the aws CLI, and
what a browser sees: preflights (OPTIONS, unsigned, raw HTTP) and the headers of actual
responses."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.live.server import FerryServer
from tests.live.test_access_control import code_of
from tests.live.test_aws_cli import run_aws

RULES = [
    {
        "ID": "app",
        "AllowedOrigins": ["https://app.example.com", "https://*.example.org"],
        "AllowedMethods": ["GET", "PUT"],
        "AllowedHeaders": ["content-type", "x-amz-*"],
        "ExposeHeaders": ["ETag", "x-amz-version-id"],
        "MaxAgeSeconds": 600,
    },
    {"AllowedOrigins": ["*"], "AllowedMethods": ["HEAD"]},
]


def preflight(server: FerryServer, path: str, origin: str | None, method: str | None,
              headers: str | None = None) -> httpx.Response:  # fmt: skip
    sent = {}
    if origin is not None:
        sent["Origin"] = origin
    if method is not None:
        sent["Access-Control-Request-Method"] = method
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return httpx.options(f"{server.endpoint}{path}", headers=sent)


def error_code(response: httpx.Response) -> str:
    return response.text.split("<Code>", 1)[1].split("</Code>", 1)[0]


def test_cors_configuration_round_trip_and_validation(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as none:
        s3.get_bucket_cors(Bucket=bucket)
    assert code_of(none) == (404, "NoSuchCORSConfiguration")
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES
    bad_method = [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]
    with pytest.raises(ClientError) as method:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": bad_method})
    assert code_of(method) == (400, "InvalidRequest")
    assert "Unsupported method is PATCH" in method.value.response["Error"]["Message"]
    two_stars = [{"AllowedOrigins": ["https://*.*.example.com"], "AllowedMethods": ["GET"]}]
    with pytest.raises(ClientError) as origin:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": two_stars})
    assert code_of(origin) == (400, "InvalidRequest")
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES  # refusals changed nothing
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError) as deleted:
        s3.get_bucket_cors(Bucket=bucket)
    assert code_of(deleted) == (404, "NoSuchCORSConfiguration")


def test_preflight_is_answered_by_the_first_matching_rule(
    server: FerryServer, s3: Any, bucket: str
) -> None:
    assert error_code(preflight(server, f"/{bucket}/k", "https://app.example.com", "GET")) == (
        "AccessForbidden"
    )  # no CORS configuration yet
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    ok = preflight(
        server, f"/{bucket}/k", "https://app.example.com", "PUT", "Content-Type, X-Amz-Meta-A"
    )
    assert ok.status_code == 200, ok.text
    assert ok.headers["access-control-allow-origin"] == "https://app.example.com"
    assert ok.headers["access-control-allow-methods"] == "GET, PUT"
    assert ok.headers["access-control-allow-headers"] == "Content-Type, X-Amz-Meta-A"
    assert ok.headers["access-control-expose-headers"] == "ETag, x-amz-version-id"
    assert ok.headers["access-control-max-age"] == "600"
    assert ok.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in ok.headers["vary"]
    wildcard = preflight(server, f"/{bucket}", "https://cdn.example.org", "GET")
    assert wildcard.headers["access-control-allow-origin"] == "https://cdn.example.org"
    anyone = preflight(server, f"/{bucket}/k", "https://elsewhere.test", "HEAD")
    assert anyone.status_code == 200 and anyone.headers["access-control-allow-origin"] == "*"
    for refused in (
        preflight(server, f"/{bucket}/k", "https://evil.test", "GET"),  # origin
        preflight(server, f"/{bucket}/k", "https://app.example.com", "DELETE"),  # method
        preflight(server, f"/{bucket}/k", "https://app.example.com", "PUT", "authorization"),
    ):
        assert refused.status_code == 403
        assert error_code(refused) == "AccessForbidden"
        assert "CORSResponse: This CORS request is not allowed" in refused.text
    missing_origin = preflight(server, f"/{bucket}/k", None, "GET")
    assert missing_origin.status_code == 400 and error_code(missing_origin) == "BadRequest"


def test_actual_responses_carry_cors_headers_when_the_origin_matches(
    s3: Any, bucket: str, server: FerryServer
) -> None:
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    presigned = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    matched = httpx.get(presigned, headers={"Origin": "https://app.example.com"})
    assert matched.status_code == 200 and matched.content == b"v"
    assert matched.headers["access-control-allow-origin"] == "https://app.example.com"
    assert matched.headers["access-control-expose-headers"] == "ETag, x-amz-version-id"
    other = httpx.get(presigned, headers={"Origin": "https://evil.test"})
    assert other.status_code == 200 and "access-control-allow-origin" not in other.headers
    plain = httpx.get(presigned)
    assert "access-control-allow-origin" not in plain.headers


def test_aws_cli_put_get_delete_bucket_cors(server: FerryServer) -> None:
    name = "cli-cors"
    run_aws(server, "s3api", "create-bucket", "--bucket", name)
    config = json.dumps({"CORSRules": RULES[:1]})
    run_aws(server, "s3api", "put-bucket-cors", "--bucket", name, "--cors-configuration", config)
    got = json.loads(run_aws(server, "s3api", "get-bucket-cors", "--bucket", name))
    assert got["CORSRules"] == RULES[:1]
    run_aws(server, "s3api", "delete-bucket-cors", "--bucket", name)
    answer = preflight(server, f"/{name}/k", "https://app.example.com", "GET")
    assert answer.status_code == 403
