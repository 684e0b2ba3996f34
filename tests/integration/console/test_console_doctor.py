"""The Doctor tab in process: `ferry doctor`'s findings for a bucket, from the region's admin
API signed with the signed-in root's key."""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import create_replication_roles
from tests.integration.console.test_console_pipeline import (
    _CSRF,
    ENDPOINT,
    csrf_of,
    sign_in,
    started,
)
from tests.integration.principals import IAM_NS, iam

ACCOUNT = "000000000001"  # the deployment root's account (test_console_pipeline.deployment_of)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"
S3_EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for region in started(tmp_path):
        await create_replication_roles(region, account_id=ACCOUNT, names=("r",))
        transport = httpx.ASGITransport(app=region.served)
        async with httpx.AsyncClient(transport=transport, base_url=ENDPOINT) as client:
            yield client


async def replicated_pair(client: httpx.AsyncClient, token: str, source: str, dest: str) -> None:
    for name in (source, dest):
        created = await client.post(
            "/_console/buckets",
            data={"csrf": token, "name": name, "region": "us-east-1", "versioning": "on"},
        )
        assert created.status_code == 303, created.text
    saved = await client.post(
        f"/_console/buckets/{source}/replication",
        data={"csrf": token, "rule_id": "all", "priority": "1", "destination": dest,
              "role": ROLE, "delete_markers": "on"},
    )  # fmt: skip
    assert saved.status_code == 303, saved.text


async def test_the_doctor_tab_shows_a_suspended_destination_with_its_fix_and_a_healthy_pair(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser)
    token = await csrf_of(browser)
    await replicated_pair(browser, token, "healthy-src", "healthy-dst")
    healthy = await browser.get("/_console/buckets/healthy-src/doctor")
    assert healthy.status_code == 200, healthy.text
    assert 'id="tab-doctor"' in healthy.text and "healthy-src: no problems found" in healthy.text

    await replicated_pair(browser, token, "broken-src", "broken-dst")
    suspended = await browser.post(
        "/_console/buckets/broken-dst/versioning", data={"csrf": token, "status": "Suspended"}
    )
    assert suspended.status_code == 303, suspended.text
    broken = await browser.get("/_console/buckets/broken-src/doctor")
    page = html.unescape(broken.text)
    assert broken.status_code == 200 and 'id="doctor-findings"' in page, page
    assert "ERROR" in page and "broken-dst" in page
    assert "put-bucket-versioning --bucket broken-dst" in page  # the fix, as the CLI prints it
    assert "no problems found" not in page


async def test_anyone_but_the_deployment_root_is_told_the_doctor_needs_its_credentials(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser)
    token = await csrf_of(browser)
    await replicated_pair(browser, token, "mine-src", "mine-dst")
    await iam(browser, Action="CreateUser", UserName="carol")
    await iam(browser, Action="PutUserPolicy", UserName="carol", PolicyName="s3",
              PolicyDocument=json.dumps(S3_EVERYTHING))  # fmt: skip
    created = await iam(browser, Action="CreateAccessKey", UserName="carol")
    key = created.find(f".//{IAM_NS}AccessKey")
    assert key is not None
    async with httpx.AsyncClient(transport=browser._transport, base_url=ENDPOINT) as carol:
        form = await carol.get("/_console/signin")
        signin_token = _CSRF.search(form.text)
        assert signin_token is not None
        signed = await carol.post(
            "/_console/signin",
            data={"csrf": signin_token.group(1),
                  "access_key": key.findtext(f"{IAM_NS}AccessKeyId") or "",
                  "secret_key": key.findtext(f"{IAM_NS}SecretAccessKey") or ""},
        )  # fmt: skip
        assert signed.status_code == 303, signed.text
        refused = await carol.get("/_console/buckets/mine-src/doctor")
    page = html.unescape(refused.text)
    assert refused.status_code == 200 and 'id="doctor-needs-root"' in page
    assert "The doctor needs the deployment root's credentials" in page
    assert "AccessDenied" in page and 'id="doctor-findings"' not in page
