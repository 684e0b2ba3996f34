"""The accounts admin API (`/_ferry/accounts`): the deployment root creates and lists
accounts; an account's own root may not."""

from __future__ import annotations

import json

import httpx

from tests.integration.conftest import ACCOUNT_ID
from tests.integration.s3 import S3

PATH = "/_ferry/accounts"


async def test_the_deployment_root_creates_an_account(s3: S3, http: httpx.AsyncClient) -> None:
    created = await s3.post(PATH, json.dumps({"name": "team-b"}).encode())
    assert created.status_code == 201, created.text
    account = created.json()
    assert len(account["account_id"]) == 12 and account["account_id"].isdigit()
    assert len(account["secret_access_key"]) == 40
    listed = (await s3.get(PATH)).json()["accounts"]
    assert {a["account_id"] for a in listed} == {ACCOUNT_ID, account["account_id"]}
    assert "secret_access_key" not in json.dumps(listed)
    again = await s3.post(PATH, json.dumps({"name": "TEAM-B"}).encode())
    assert again.status_code == 409 and again.json()["error"] == "AccountAlreadyExists"

    team = S3(http, access_key=account["access_key_id"], secret_key=account["secret_access_key"])
    assert (await team.put("/team-b-bucket")).status_code == 200  # its key works for S3
    refused = await team.post(PATH, json.dumps({"name": "team-c"}).encode())
    assert refused.status_code == 403 and refused.json()["error"] == "AccessDenied"


async def test_a_malformed_body_is_refused(s3: S3) -> None:
    for body in (b"not json", b'{"nom": "x"}', b'{"name": ""}'):
        response = await s3.post(PATH, body)
        assert response.status_code == 400, body
