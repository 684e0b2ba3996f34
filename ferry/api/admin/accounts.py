"""The admin API's accounts, under `/_ferry/accounts` (JSON):

    GET  /_ferry/accounts                    {"accounts": [{account_id, name, canonical_id,
                                              created}, ...]}
    POST /_ferry/accounts {"name": "team-a"[, "email": "a@example.com"]}
                                             201 {account_id, name, canonical_id, created,
                                              access_key_id, secret_access_key}

The account's root secret is in that one response and nowhere else: Ferry keeps it sealed.
"""

from __future__ import annotations

import json
from typing import Any

from ferry.api.admin.encoding import json_response
from ferry.api.admin.errors import AdminError, method_not_allowed
from ferry.api.context import Services
from ferry.api.http import Request, Response
from ferry.control.iam_errors import AccountAlreadyExists
from ferry.control.iam_records import Account
from ferry.protocol.errors import S3Error

ACCOUNTS_PATH = "/_ferry/accounts"
MAX_BODY_BYTES = 64 * 1024


def is_accounts_path(path: str) -> bool:
    return path in (ACCOUNTS_PATH, ACCOUNTS_PATH + "/")


async def serve_accounts(request: Request, services: Services) -> Response:
    if services.iam is None:
        raise AdminError(503, "ServiceUnavailable", "Accounts are not served here.")
    accounts = services.iam.accounts
    if request.method == "GET":
        listed = await accounts.list()
        return json_response({"accounts": [render_account(a) for a in listed]})
    if request.method == "POST":
        name, email = await _name_and_email(request)
        try:
            account, key = await accounts.create(name, email=email)
        except AccountAlreadyExists as exc:
            raise AdminError(409, "AccountAlreadyExists", exc.message) from exc
        except ValueError as exc:
            raise AdminError(400, "InvalidArgument", str(exc)) from exc
        document = render_account(account) | {
            "access_key_id": key.key.access_key_id,
            "secret_access_key": key.secret.reveal(),
        }
        return json_response(document, status=201)
    raise method_not_allowed(request.method)


async def _name_and_email(request: Request) -> tuple[str, str | None]:
    try:
        document = json.loads(await request.read_body(MAX_BODY_BYTES))
    except (S3Error, ValueError) as exc:
        raise AdminError(400, "InvalidArgument", 'The body must be {"name": "..."}.') from exc
    name = document.get("name") if isinstance(document, dict) else None
    email = document.get("email") if isinstance(document, dict) else None
    if not isinstance(name, str) or not isinstance(email, str | None):
        raise AdminError(
            400, "InvalidArgument", 'The body must be {"name": "...", "email": "..." (optional)}.'
        )
    return name, email


def render_account(account: Account) -> dict[str, Any]:
    return {
        "account_id": account.account_id,
        "name": account.name,
        "canonical_id": account.canonical_id,
        "created": account.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "email": account.email,
    }
