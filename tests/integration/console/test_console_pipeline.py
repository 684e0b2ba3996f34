"""The console in process: one region whose console calls its own S3 app through the
outbound client (an ASGI transport), driven by an httpx client as a browser would post."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from ferry.config import DeploymentConfig, RegionConfig, RootCredentials, one_region_deployment
from ferry.core.secret import Secret
from ferry.region import Region, build_region
from tests.integration.conftest import lifespan
from tests.integration.s3 import ACCESS_KEY, S3, SECRET_KEY

ENDPOINT = "http://127.0.0.1:9000"
CONSOLE = f"{ENDPOINT}/_console"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class ToApp(httpx.AsyncBaseTransport):
    """The region's outbound client reaches the region itself (set once it is built)."""

    app: httpx.ASGITransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.app is not None
        return await self.app.handle_async_request(request)


def deployment_of(tmp_path: Path, *, console: bool = True) -> tuple[RegionConfig, DeploymentConfig]:
    root = RootCredentials(
        access_key=ACCESS_KEY,
        secret_key=Secret(SECRET_KEY),
        account_id="000000000001",
        defaulted=False,
    )
    config = RegionConfig(name="us-east-1", data_dir=tmp_path / "us-east-1")
    deployment = one_region_deployment(config, root)
    if not console:
        deployment = replace(deployment, console=replace(deployment.console, enabled=False))
    return config, deployment


async def started(tmp_path: Path, *, console: bool = True) -> AsyncIterator[Region]:
    config, deployment = deployment_of(tmp_path, console=console)
    loop = ToApp()
    region = build_region(config, deployment.root, deployment=deployment, remote_transport=loop)
    loop.app = httpx.ASGITransport(app=region.app)
    async with lifespan(region.app):
        yield region


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for region in started(tmp_path):
        transport = httpx.ASGITransport(app=region.served)
        async with httpx.AsyncClient(transport=transport, base_url=ENDPOINT) as client:
            yield client


async def sign_in(client: httpx.AsyncClient, secret: str = SECRET_KEY) -> httpx.Response:
    form = await client.get("/_console/signin")
    token = _CSRF.search(form.text)
    assert token is not None
    return await client.post(
        "/_console/signin",
        data={"csrf": token.group(1), "access_key": ACCESS_KEY, "secret_key": secret},
    )


async def csrf_of(client: httpx.AsyncClient, path: str = "/_console/") -> str:
    page = await client.get(path)
    found = _CSRF.search(page.text)
    assert page.status_code == 200 and found is not None, page.text
    return found.group(1)


async def test_pages_need_a_session_and_signing_in_opens_one(
    browser: httpx.AsyncClient,
) -> None:
    before = await browser.get("/_console/")
    assert (before.status_code, before.headers["location"]) == (303, "/_console/signin")
    refused = await sign_in(browser, "wrong")
    assert refused.status_code == 401 and "SignatureDoesNotMatch" in refused.text
    signed = await sign_in(browser)
    assert signed.status_code == 303
    cookie = signed.headers.get_list("set-cookie")[0]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and SECRET_KEY not in cookie
    page = await browser.get("/_console/")
    assert page.status_code == 200 and "arn:aws:iam::000000000001:root" in page.text
    assert SECRET_KEY not in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


async def test_two_sign_in_forms_of_one_browser_both_sign_in(
    browser: httpx.AsyncClient,
) -> None:
    first = _CSRF.search((await browser.get("/_console/signin")).text)
    second = _CSRF.search((await browser.get("/_console/signin")).text)  # another tab
    assert first is not None and second is not None
    assert first.group(1) == second.group(1)
    signed = await browser.post(
        "/_console/signin",
        data={"csrf": first.group(1), "access_key": ACCESS_KEY, "secret_key": SECRET_KEY},
    )
    assert signed.status_code == 303, signed.text
    browser.cookies.clear()
    forged = await browser.post(
        "/_console/signin",
        data={"csrf": first.group(1), "access_key": ACCESS_KEY, "secret_key": SECRET_KEY},
    )
    assert forged.status_code == 403 and "form expired" in forged.text


async def test_a_bucket_created_in_the_console_is_a_bucket_of_the_api(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser)
    token = await csrf_of(browser)
    created = await browser.post(
        "/_console/buckets",
        data={"csrf": token, "name": "from-console", "region": "us-east-1", "versioning": "on"},
    )
    assert created.status_code == 303
    listed = await browser.get("/_console/")
    assert "from-console" in listed.text and "Enabled" in listed.text
    again = await browser.post(
        "/_console/buckets", data={"csrf": token, "name": "from-console", "region": "us-east-1"}
    )
    assert again.status_code == 400 and "BucketAlreadyOwnedByYou" in again.text


async def test_a_state_change_without_the_session_token_is_refused(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser)
    for data in ({"name": "forged"}, {"name": "forged", "csrf": "not-the-token"}):
        refused = await browser.post("/_console/buckets", data=data)
        assert refused.status_code == 403 and "CSRF" in refused.text
    upload = await browser.put("/_console/buckets/any/upload?key=k", content=b"x")
    assert upload.status_code == 403
    listed = await browser.get("/_console/")
    assert "forged" not in listed.text


async def test_the_live_rule_check_answers_with_put_bucket_replication_messages(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser)
    token = await csrf_of(browser)
    await browser.post(
        "/_console/buckets",
        data={"csrf": token, "name": "checked", "region": "us-east-1", "versioning": "on"},
    )
    verdict = await browser.post(
        "/_console/buckets/checked/replication/validate",
        data={
            "csrf": token,
            "rule_id": "r",
            "priority": "1",
            "destination": "checked",
            "role": "arn:aws:iam::000000000001:role/r",
        },
        headers={"accept": "application/json"},
    )
    body = verdict.json()
    assert body["code"] in ("InvalidRequest", "InvalidArgument"), body


async def test_a_console_turned_off_leaves_the_path_to_s3(tmp_path: Path) -> None:
    async for region in started(tmp_path, console=False):
        assert region.console is None and region.served is region.app
        transport = httpx.ASGITransport(app=region.served)
        async with httpx.AsyncClient(transport=transport, base_url=ENDPOINT) as client:
            answer = await client.get("/_console/")
        assert answer.status_code != 303 and "<Error>" in answer.text


async def test_uploads_page_by_fifty_and_a_download_streams_the_object_back(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser)
    token = await csrf_of(browser)
    await browser.post(
        "/_console/buckets", data={"csrf": token, "name": "paged", "region": "us-east-1"}
    )
    for index in range(51):
        put = await browser.put(
            f"/_console/buckets/paged/upload?key=k{index:02}",
            content=f"body {index}".encode(),
            headers={"x-csrf-token": token, "content-type": "text/plain"},
        )
        assert put.status_code == 200, put.text
    first = await browser.get("/_console/buckets/paged")
    assert "k49" in first.text and "k50" not in first.text
    link = re.search(r'id="next-page" href="([^"]+)"', first.text)
    assert link is not None
    second = await browser.get(link.group(1).replace("&amp;", "&"))
    assert "k50" in second.text and "k00" not in second.text
    versions = await browser.get("/_console/buckets/paged?versions=1")
    more = re.search(r'id="next-versions" href="([^"]+)"', versions.text)
    assert more is not None and "k49" in versions.text and "k50" not in versions.text
    rest = await browser.get(more.group(1).replace("&amp;", "&"))
    assert "k50" in rest.text and "k49" not in rest.text
    download = await browser.get("/_console/buckets/paged/download?key=k07")
    assert download.status_code == 200 and download.content == b"body 7"
    assert download.headers["content-length"] == "6"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"k07\"; filename*=UTF-8''k07"
    )
    missing = await browser.get("/_console/buckets/paged/download?key=nope")
    assert missing.status_code == 404 and "NoSuchKey" in missing.text


async def test_notices_are_kept_server_side_so_a_link_cannot_forge_one(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser)
    forged = await browser.get("/_console/?notice=Your+account+is+locked")
    assert "Your account is locked" not in forged.text
    token = await csrf_of(browser)
    created = await browser.post(
        "/_console/buckets", data={"csrf": token, "name": "noticed", "region": "us-east-1"}
    )
    assert created.headers["location"] == "/_console/"
    shown = await browser.get("/_console/")
    assert "Created bucket noticed" in shown.text
    again = await browser.get("/_console/")
    assert "Created bucket noticed" not in again.text, "a notice is shown once"


async def test_signing_out_ends_the_session_for_good(browser: httpx.AsyncClient) -> None:
    signed = await sign_in(browser)
    cookie = signed.cookies["ferry_console"]
    token = await csrf_of(browser)
    out = await browser.post("/_console/signout", data={"csrf": token})
    assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]
    browser.cookies.set("ferry_console", cookie, path="/_console")  # replayed
    replayed = await browser.get("/_console/")
    assert replayed.status_code == 303
    assert replayed.headers["location"] == "/_console/signin?expired=1"


async def test_keys_with_spaces_plus_signs_and_unicode_survive_the_round_trip(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser)
    token = await csrf_of(browser)
    await browser.post(
        "/_console/buckets", data={"csrf": token, "name": "odd-keys", "region": "us-east-1"}
    )
    key = "photos/2026 trip/a+b ü 日本.txt"
    put = await browser.put(
        "/_console/buckets/odd-keys/upload",
        params={"key": key},
        content=b"odd",
        headers={"x-csrf-token": token},
    )
    assert put.status_code == 200, put.text
    listed = await browser.get("/_console/buckets/odd-keys", params={"prefix": "photos/2026 trip/"})
    assert "a+b ü 日本.txt" in listed.text
    shown = await browser.get("/_console/buckets/odd-keys/object", params={"key": key})
    assert shown.status_code == 200 and "photos/2026 trip/a+b ü 日本.txt" in shown.text
    got = await browser.get("/_console/buckets/odd-keys/download", params={"key": key})
    assert got.content == b"odd"
    assert got.headers["content-disposition"] == (
        'attachment; filename="a+b _ __.txt"; '
        "filename*=UTF-8''a%2Bb%20%C3%BC%20%E6%97%A5%E6%9C%AC.txt"
    )


async def test_tags_and_public_read_set_on_the_object_page_are_the_objects(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser)
    token = await csrf_of(browser)
    await browser.post(
        "/_console/buckets", data={"csrf": token, "name": "tagged", "region": "us-east-1"}
    )
    # new buckets have ACLs disabled and public access blocked, as on AWS: enable them first
    s3 = S3(browser)
    ownership = (
        b"<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule>"
        b"</OwnershipControls>"
    )
    response = await s3.put("/tagged", ownership, query={"ownershipControls": None})
    assert response.status_code == 200, response.text
    response = await s3.delete("/tagged", query={"publicAccessBlock": None})
    assert response.status_code == 204, response.text
    await browser.put(
        "/_console/buckets/tagged/upload",
        params={"key": "a/b.png"},
        content=b"png",
        headers={"x-csrf-token": token},
    )
    page = "/_console/buckets/tagged/object?key=a%2Fb.png"
    form = {"csrf": token, "key": "a/b.png"}
    forged = await browser.post(
        "/_console/buckets/tagged/object/tags", data={**form, "csrf": "x", "tag_key_0": "k"}
    )
    assert forged.status_code == 403
    saved = await browser.post(
        "/_console/buckets/tagged/object/tags",
        data={**form, "tag_key_0": "EmployeeID", "tag_value_0": "123456", "tag_key_1": ""},
    )
    assert saved.status_code == 303 and saved.headers["location"] == page
    shown = await browser.get(page)
    assert "<dt>EmployeeID</dt><dd>123456</dd>" in shown.text and "Saved 1 tag" in shown.text
    refused = await browser.post(
        "/_console/buckets/tagged/object/tags",
        data={**form, "tag_key_0": "", "tag_value_0": "no key"},
    )
    assert refused.status_code == 400 and 'id="tags-error"' in refused.text
    assert "InvalidTag" in refused.text
    removed = await browser.post("/_console/buckets/tagged/object/tags", data=form)
    assert removed.status_code == 303
    assert 'id="no-tags"' in (await browser.get(page)).text

    public = await browser.post(
        "/_console/buckets/tagged/object/acl", data={**form, "public_read": "on"}
    )
    assert public.status_code == 303
    shown = await browser.get(page)
    assert 'data-grantee="http://acs.amazonaws.com/groups/global/AllUsers"' in shown.text
    assert 'id="public-read" checked' in shown.text
    await browser.post("/_console/buckets/tagged/object/acl", data=form)
    shown = await browser.get(page)
    assert "AllUsers" not in shown.text and 'data-permission="FULL_CONTROL"' in shown.text
