"""S3 request → the IAM actions and resources it needs, and its condition keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from ferry.api.auth import ANONYMOUS, Principal, PrincipalKind
from ferry.api.http import Message, Request
from ferry.api.permissions import (
    SERVICE_RESOURCE,
    Permission,
    condition_context,
    required_permissions,
)
from ferry.api.routing import match_route
from ferry.protocol.paths import BucketPath, ObjectPath, Root, S3Path

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
ALICE = Principal(
    access_key="AKIAALICE",
    account_id="111122223333",
    arn="arn:aws:iam::111122223333:user/alice",
    kind=PrincipalKind.USER,
)


async def _never_read() -> Message:
    raise AssertionError("authorisation must not read the body")


def make_request(
    method: str,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    scheme: str = "http",
) -> Request:
    pairs = list((query or {}).items())
    return Request(
        method=method,
        raw_path="/",
        path="/",
        query_string=b"",
        query=pairs,
        headers={"host": "127.0.0.1:9000", **(headers or {})},
        scheme=scheme,
        client_host="192.0.2.10",
        receive=_never_read,
        params=dict(pairs),
    )


def needed(
    method: str,
    path: S3Path,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    request = make_request(method, query, headers)
    route = match_route(request, path)
    bucket = path.bucket if isinstance(path, BucketPath | ObjectPath) else ""
    key = path.key if isinstance(path, ObjectPath) else ""
    return [(p.action, p.resource) for p in required_permissions(route, request, bucket, key)]


OBJ = ObjectPath("b", "dir/k.txt")
OBJ_ARN = "arn:aws:s3:::b/dir/k.txt"
BUCKET = BucketPath("b")


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "expected"),
    [
        ("GET", Root(), {}, {}, [("s3:ListAllMyBuckets", SERVICE_RESOURCE)]),
        ("PUT", BUCKET, {}, {}, [("s3:CreateBucket", "arn:aws:s3:::b")]),
        ("GET", BUCKET, {"list-type": "2"}, {}, [("s3:ListBucket", "arn:aws:s3:::b")]),
        ("GET", BUCKET, {"versions": ""}, {}, [("s3:ListBucketVersions", "arn:aws:s3:::b")]),
        ("PUT", BUCKET, {"policy": ""}, {}, [("s3:PutBucketPolicy", "arn:aws:s3:::b")]),
        ("POST", BUCKET, {"delete": ""}, {}, []),  # per key, in the handler
        ("GET", OBJ, {}, {}, [("s3:GetObject", OBJ_ARN)]),
        ("GET", OBJ, {"versionId": "v1"}, {}, [("s3:GetObjectVersion", OBJ_ARN)]),
        ("HEAD", OBJ, {}, {}, [("s3:GetObject", OBJ_ARN)]),
        ("HEAD", OBJ, {"versionId": "v1"}, {}, [("s3:GetObjectVersion", OBJ_ARN)]),
        ("DELETE", OBJ, {}, {}, [("s3:DeleteObject", OBJ_ARN)]),
        ("DELETE", OBJ, {"versionId": "v1"}, {}, [("s3:DeleteObjectVersion", OBJ_ARN)]),
        ("GET", OBJ, {"tagging": "", "versionId": "v"}, {},
         [("s3:GetObjectVersionTagging", OBJ_ARN)]),
        ("PUT", OBJ, {"tagging": "", "versionId": "v"}, {},
         [("s3:PutObjectVersionTagging", OBJ_ARN)]),
        ("DELETE", OBJ, {"tagging": "", "versionId": "v"}, {},
         [("s3:DeleteObjectVersionTagging", OBJ_ARN)]),
        ("GET", OBJ, {"acl": "", "versionId": "v"}, {}, [("s3:GetObjectVersionAcl", OBJ_ARN)]),
        ("PUT", OBJ, {}, {}, [("s3:PutObject", OBJ_ARN)]),
        ("PUT", OBJ, {}, {"x-amz-acl": "public-read"},
         [("s3:PutObject", OBJ_ARN), ("s3:PutObjectAcl", OBJ_ARN)]),
        ("PUT", OBJ, {}, {"x-amz-tagging": "a=b"},
         [("s3:PutObject", OBJ_ARN), ("s3:PutObjectTagging", OBJ_ARN)]),
        ("POST", OBJ, {"uploads": ""}, {"x-amz-grant-read": "id=x"},
         [("s3:PutObject", OBJ_ARN), ("s3:PutObjectAcl", OBJ_ARN)]),
        ("PUT", OBJ, {}, {"x-amz-copy-source": "/src/a%20b"},
         [("s3:PutObject", OBJ_ARN), ("s3:GetObject", "arn:aws:s3:::src/a b")]),
        ("PUT", OBJ, {}, {"x-amz-copy-source": "src/a?versionId=v9"},
         [("s3:PutObject", OBJ_ARN), ("s3:GetObjectVersion", "arn:aws:s3:::src/a")]),
        ("PUT", OBJ, {"uploadId": "u", "partNumber": "1"}, {"x-amz-copy-source": "/src/a"},
         [("s3:PutObject", OBJ_ARN), ("s3:GetObject", "arn:aws:s3:::src/a")]),
    ],
)  # fmt: skip
def test_required_permissions(
    method: str,
    path: S3Path,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    expected: list[tuple[str, str]],
) -> None:
    assert needed(method, path, query, headers) == expected


def test_permission_resources() -> None:
    assert Permission(action="s3:ListAllMyBuckets", bucket=None).resource == SERVICE_RESOURCE
    assert Permission(action="s3:ListBucket", bucket="b").resource == "arn:aws:s3:::b"
    assert Permission(action="s3:GetObject", bucket="b", key="k").resource == "arn:aws:s3:::b/k"


def test_condition_context_of_a_listing() -> None:
    request = make_request(
        "GET",
        {"list-type": "2", "prefix": "home/", "delimiter": "/", "max-keys": "10"},
        {"authorization": "AWS4-HMAC-SHA256 Credential=...", "user-agent": "tests"},
        scheme="https",
    )
    route = match_route(request, BUCKET)
    context = condition_context(ALICE, route, request, NOW)
    assert context["aws:sourceip"] == ("192.0.2.10",)
    assert context["aws:securetransport"] == ("true",)
    assert context["aws:principalarn"] == (ALICE.arn,)
    assert context["aws:principalaccount"] == ("111122223333",)
    assert context["aws:principaltype"] == ("User",)
    assert context["aws:username"] == ("alice",)
    assert context["aws:useragent"] == ("tests",)
    assert context["aws:currenttime"] == ("2026-01-01T12:00:00Z",)
    assert context["s3:prefix"] == ("home/",)
    assert context["s3:delimiter"] == ("/",)
    assert context["s3:max-keys"] == ("10",)
    assert context["s3:authtype"] == ("REST-HEADER",)
    assert context["s3:signatureversion"] == ("AWS4-HMAC-SHA256",)


def test_condition_context_of_an_anonymous_write() -> None:
    request = make_request(
        "PUT",
        {"versionId": "v1"},
        {"x-amz-acl": "public-read", "x-amz-server-side-encryption": "AES256"},
    )
    route = match_route(request, OBJ)
    context = condition_context(ANONYMOUS, route, request, NOW)
    assert context["aws:securetransport"] == ("false",)
    assert context["aws:principaltype"] == ("Anonymous",)
    assert "aws:principalarn" not in context and "aws:username" not in context
    assert context["s3:x-amz-acl"] == ("public-read",)
    assert context["s3:x-amz-server-side-encryption"] == ("AES256",)
    assert context["s3:versionid"] == ("v1",)
    assert "s3:prefix" not in context
