"""The admin API family (`api/admin/`) as a whole: one authorisation step in front of every
resource, and every error, whichever resource or step raised it, as the same JSON document."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.s3 import S3

# One request per resource and method the admin API serves.
ADMIN_REQUESTS = [
    ("GET", "/_ferry/failures"),
    ("GET", "/_ferry/failures/summary"),
    ("DELETE", "/_ferry/failures"),
    ("GET", "/_ferry/accounts"),
    ("POST", "/_ferry/accounts"),
    ("GET", "/_ferry/buckets/some-bucket/quota"),
    ("PUT", "/_ferry/buckets/some-bucket/quota"),
    ("GET", "/_ferry/buckets/some-bucket/elsewhere"),
    ("GET", "/_ferry/events/outbox"),
    ("PUT", "/_ferry/events/outbox"),
    ("GET", "/_ferry/replication/configuration"),
    ("GET", "/_ferry/replication/versions"),
    ("GET", "/_ferry/replication/explain"),
    ("GET", "/_ferry/replication/doctor/source"),
    ("GET", "/_ferry/replication/doctor/destination"),
    ("POST", "/_ferry/replication/repairs"),
]
NOT_ROOT = {"error": "AccessDenied", "message": "The admin API needs the root credentials."}


def json_error(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize(("method", "path"), ADMIN_REQUESTS)
async def test_anonymous_callers_are_refused_in_json(s3: S3, method: str, path: str) -> None:
    assert json_error(await s3.request(method, path, signed=False), 403) == NOT_ROOT


@pytest.mark.parametrize(("method", "path"), ADMIN_REQUESTS)
async def test_an_account_root_is_refused_in_json(
    team: tuple[S3, str], method: str, path: str
) -> None:
    account_root, _ = team
    assert json_error(await account_root.request(method, path), 403) == NOT_ROOT


@pytest.mark.parametrize(("method", "path"), ADMIN_REQUESTS)
async def test_a_bad_signature_keeps_its_s3_code_in_json(
    http: httpx.AsyncClient, method: str, path: str
) -> None:
    forged = S3(http, secret_key="not-the-secret")
    assert json_error(await forged.request(method, path), 403)["error"] == "SignatureDoesNotMatch"


async def test_outbox_errors_are_the_admin_apis_json(s3: S3) -> None:
    bad_limit = await s3.get("/_ferry/events/outbox", query={"limit": "many"})
    assert json_error(bad_limit, 400) == {
        "error": "InvalidArgument",
        "message": "limit must be an integer.",
    }
    assert json_error(await s3.put("/_ferry/events/outbox"), 501)["error"] == "NotImplemented"


async def test_unknown_admin_paths_are_json_not_found(s3: S3) -> None:
    unknown = await s3.get("/_ferry/buckets/some-bucket/elsewhere")
    assert json_error(unknown, 404) == {
        "error": "NotFound",
        "message": "No admin resource /_ferry/buckets/some-bucket/elsewhere.",
    }


async def test_replication_errors_are_the_admin_apis_json(s3: S3) -> None:
    assert json_error(await s3.get("/_ferry/replication/versions"), 400) == {
        "error": "InvalidArgument",
        "message": "bucket is required.",
    }
    nowhere = await s3.get("/_ferry/replication/configuration", query={"bucket": "nowhere"})
    assert json_error(nowhere, 404) == {
        "error": "NoSuchBucket",
        "message": "No bucket nowhere in this deployment.",
    }
    unknown = await s3.get("/_ferry/replication/nothing", query={"bucket": "nowhere"})
    assert json_error(unknown, 404) == {
        "error": "NotFound",
        "message": "No admin resource GET /_ferry/replication/nothing.",
    }
