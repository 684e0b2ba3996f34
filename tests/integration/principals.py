"""Principals besides the deployment root for the integration tier: an IAM user of the root's
account (made through the IAM query API) and another account's root."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.integration.s3 import ACCESS_KEY, ENDPOINT, S3, SECRET_KEY

IAM_NS = "{https://iam.amazonaws.com/doc/2010-05-08/}"


def iam_request(params: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    body = urlencode({**params, "Version": "2010-05-08"}).encode()
    request = AWSRequest(
        method="POST",
        url=ENDPOINT + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "iam", "us-east-1").add_auth(request)
    return body, dict(request.headers.items())


async def iam(http: httpx.AsyncClient, **params: str) -> ET.Element:
    body, headers = iam_request(params)
    response = await http.post("/", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return ET.fromstring(response.content)


@pytest.fixture
async def alice(http: httpx.AsyncClient) -> S3:
    """An IAM user of the deployment root's account, with no policy yet."""
    await iam(http, Action="CreateUser", UserName="alice")
    created = await iam(http, Action="CreateAccessKey", UserName="alice")
    key = created.find(f".//{IAM_NS}AccessKey")
    assert key is not None
    return S3(
        http,
        access_key=key.findtext(f"{IAM_NS}AccessKeyId") or "",
        secret_key=key.findtext(f"{IAM_NS}SecretAccessKey") or "",
    )


@pytest.fixture
async def team(s3: S3, http: httpx.AsyncClient) -> tuple[S3, str]:
    """Another account's root user, and its account ID."""
    created = await s3.post("/_ferry/accounts", json.dumps({"name": "team"}).encode())
    assert created.status_code == 201, created.text
    account = created.json()
    client = S3(http, access_key=account["access_key_id"], secret_key=account["secret_access_key"])
    return client, account["account_id"]
