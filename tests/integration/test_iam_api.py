"""The IAM/STS query API in-process, signed as the SDKs sign it (botocore's SigV4Auth: the
form body is hashed into the signature, no x-amz-content-sha256 header)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.integration.conftest import ACCOUNT_ID
from tests.integration.s3 import ACCESS_KEY, ENDPOINT, SECRET_KEY

IAM_NS = "{https://iam.amazonaws.com/doc/2010-05-08/}"
STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


def signed(
    params: dict[str, str],
    *,
    service: str = "iam",
    region: str = "us-east-1",
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
) -> tuple[bytes, dict[str, str]]:
    version = "2011-06-15" if service == "sts" else "2010-05-08"
    body = urlencode({**params, "Version": version}).encode()
    request = AWSRequest(
        method="POST",
        url=ENDPOINT + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(access_key, secret_key), service, region).add_auth(request)
    return body, dict(request.headers.items())


async def call(http: httpx.AsyncClient, params: dict[str, str], **kwargs: str) -> httpx.Response:
    body, headers = signed(params, **kwargs)
    return await http.post("/", content=body, headers=headers)


def error_of(response: httpx.Response, ns: str = IAM_NS) -> tuple[str, str, str]:
    root = ET.fromstring(response.content)
    assert root.tag == f"{ns}ErrorResponse"
    assert root.findtext(f"{ns}RequestId")
    error = root.find(f"{ns}Error")
    assert error is not None
    return (
        error.findtext(f"{ns}Type") or "",
        error.findtext(f"{ns}Code") or "",
        error.findtext(f"{ns}Message") or "",
    )


async def test_create_then_get_a_user(http: httpx.AsyncClient) -> None:
    created = await call(http, {"Action": "CreateUser", "UserName": "alice"})
    assert created.status_code == 200, created.text
    root = ET.fromstring(created.content)
    assert root.tag == f"{IAM_NS}CreateUserResponse"
    arn = root.findtext(f"{IAM_NS}CreateUserResult/{IAM_NS}User/{IAM_NS}Arn")
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:user/alice"
    got = await call(http, {"Action": "GetUser", "UserName": "alice"})
    assert got.status_code == 200 and b"<UserName>alice</UserName>" in got.content


async def test_a_missing_user_is_no_such_entity(http: httpx.AsyncClient) -> None:
    response = await call(http, {"Action": "GetUser", "UserName": "ghost"})
    assert response.status_code == 404
    assert error_of(response) == (
        "Sender",
        "NoSuchEntity",
        "The user with name ghost cannot be found.",
    )


async def test_a_missing_parameter_is_a_validation_error(http: httpx.AsyncClient) -> None:
    response = await call(http, {"Action": "CreateUser"})
    assert response.status_code == 400
    _, code, message = error_of(response)
    assert code == "ValidationError" and "Value null at 'userName'" in message


async def test_an_unknown_action_is_invalid(http: httpx.AsyncClient) -> None:
    response = await call(http, {"Action": "CreateGroup", "GroupName": "g"})
    assert response.status_code == 400
    assert error_of(response)[1] == "InvalidAction"


async def test_an_unknown_key_is_an_invalid_client_token(http: httpx.AsyncClient) -> None:
    response = await call(http, {"Action": "ListUsers"}, access_key="AKIANOSUCHKEY0000000")
    assert response.status_code == 403
    assert error_of(response)[1] == "InvalidClientTokenId"


async def test_a_wrong_secret_does_not_match(http: httpx.AsyncClient) -> None:
    response = await call(http, {"Action": "ListUsers"}, secret_key="not-the-secret")
    assert response.status_code == 403
    _, code, message = error_of(response)
    assert code == "SignatureDoesNotMatch" and "not-the-secret" not in message


async def test_the_body_is_covered_by_the_signature(http: httpx.AsyncClient) -> None:
    body, headers = signed({"Action": "CreateUser", "UserName": "alice"})
    tampered = body.replace(b"alice", b"admin")
    response = await http.post("/", content=tampered, headers=headers)
    assert response.status_code == 403
    assert error_of(response)[1] == "SignatureDoesNotMatch"


async def test_sts_answers_in_any_scope_region(http: httpx.AsyncClient) -> None:
    response = await call(http, {"Action": "GetCallerIdentity"}, service="sts", region="eu-west-1")
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.content)
    result = f"{STS_NS}GetCallerIdentityResult/{STS_NS}"
    assert root.findtext(f"{result}Account") == ACCOUNT_ID
    assert root.findtext(f"{result}Arn") == f"arn:aws:iam::{ACCOUNT_ID}:root"


async def test_sts_serves_only_get_caller_identity(http: httpx.AsyncClient) -> None:
    response = await call(http, {"Action": "AssumeRole"}, service="sts")
    assert response.status_code == 400
    assert error_of(response, STS_NS)[1] == "InvalidAction"
