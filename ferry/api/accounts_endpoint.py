"""Ferry's admin API for accounts, under `/_ferry/accounts` (JSON), for the deployment root
only (SigV4-signed like S3 requests; anything else gets a 403 JSON error).

    GET  /_ferry/accounts                    {"accounts": [{account_id, name, canonical_id,
                                              created}, ...]}
    POST /_ferry/accounts {"name": "team-a"}  201 {account_id, name, canonical_id, created,
                                              access_key_id, secret_access_key}

The account's root secret is in that one response and nowhere else: Ferry keeps it sealed.
"""

from __future__ import annotations

import json
from typing import Any

from ferry.api.admin import AdminError, json_response
from ferry.api.auth import KeyLookup, PrincipalKind, authenticate
from ferry.api.context import Services
from ferry.api.http import Request, Response
from ferry.control.iam_errors import AccountAlreadyExists
from ferry.control.iam_records import Account
from ferry.protocol.errors import S3Error

ACCOUNTS_PATH = "/_ferry/accounts"
MAX_BODY_BYTES = 64 * 1024


def is_accounts_path(path: str) -> bool:
    return path in (ACCOUNTS_PATH, ACCOUNTS_PATH + "/")


async def accounts_endpoint(request: Request, services: Services, keys: KeyLookup) -> Response:
    try:
        _authorize(request, services, keys)
        if services.iam is None:
            raise AdminError(503, "ServiceUnavailable", "Accounts are not served here.")
        accounts = services.iam.accounts
        if request.method == "GET":
            listed = await accounts.list()
            return json_response({"accounts": [render_account(a) for a in listed]})
        if request.method == "POST":
            name = await _name(request)
            try:
                account, key = await accounts.create(name)
            except AccountAlreadyExists as exc:
                raise AdminError(409, "AccountAlreadyExists", exc.message) from exc
            except ValueError as exc:
                raise AdminError(400, "InvalidArgument", str(exc)) from exc
            document = render_account(account) | {
                "access_key_id": key.key.access_key_id,
                "secret_access_key": key.secret.reveal(),
            }
            return json_response(document, status=201)
        raise AdminError(405, "MethodNotAllowed", f"{request.method} is not allowed here.")
    except AdminError as exc:
        return json_response({"error": exc.code, "message": exc.message}, status=exc.status)


def _authorize(request: Request, services: Services, keys: KeyLookup) -> None:
    try:
        auth = authenticate(request, keys, services.clock, services.region.name)
    except S3Error as exc:
        raise AdminError(exc.status, exc.code.value, exc.message) from exc
    if auth.principal.kind is not PrincipalKind.DEPLOYMENT_ROOT:
        raise AdminError(403, "AccessDenied", "The accounts API needs the deployment root.")


async def _name(request: Request) -> str:
    try:
        document = json.loads(await request.read_body(MAX_BODY_BYTES))
    except (S3Error, ValueError) as exc:
        raise AdminError(400, "InvalidArgument", 'The body must be {"name": "..."}.') from exc
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str):
        raise AdminError(400, "InvalidArgument", 'The body must be {"name": "..."}.')
    return name


def render_account(account: Account) -> dict[str, Any]:
    return {
        "account_id": account.account_id,
        "name": account.name,
        "canonical_id": account.canonical_id,
        "created": account.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
