"""Signing in with an access key and secret (root or IAM user), and signing out.

The key is checked by the API itself (STS GetCallerIdentity, signed with it), which also says
who it belongs to. The sign-in form has its own CSRF token (a double-submitted cookie), since
there is no session yet to hold one."""

from __future__ import annotations

import hmac
import re
import secrets

from ferry.console.deps import ConsoleDeps
from ferry.console.gateway import ConsoleError, UserGateway
from ferry.console.http import ConsoleRequest, ConsoleResponse, html, redirect
from ferry.console.pages import Pages
from ferry.console.sessions import (
    CSRF_FIELD,
    Session,
    clear_cookie_header,
    set_cookie_header,
)
from ferry.console.xmldoc import text
from ferry.core.secret import Secret

SIGNIN_CSRF_COOKIE = "ferry_console_signin"
STS_VERSION = "2011-06-15"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")  # what token_urlsafe(24) makes
MOUNT = "/_console"


async def signin(request: ConsoleRequest, deps: ConsoleDeps, pages: Pages) -> ConsoleResponse:
    if request.method == "POST":
        form = await request.form()
        expected = request.cookies.get(SIGNIN_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(expected, form.get(CSRF_FIELD, "")):
            return _form(pages, "The sign-in form expired: try again.", status=403, token=expected)
        try:
            session = await _open_session(
                deps, form.get("access_key", "").strip(), form.get("secret_key", "")
            )
        except ConsoleError as exc:
            return _form(pages, f"Sign-in failed: {exc.code}: {exc.message}", status=401)
        response = redirect(f"{MOUNT}/")
        cookie = deps.sessions.cookie_value(session)
        response.headers.append(set_cookie_header(cookie, MOUNT, deps.sessions.ttl_s))
        response.headers.append(
            (
                "set-cookie",
                f"{SIGNIN_CSRF_COOKIE}=; Path={MOUNT}; HttpOnly; SameSite=Strict; Max-Age=0",
            )
        )
        return response
    notice = "Your session has expired: sign in again." if "expired" in request.query else ""
    return _form(pages, notice, status=200, token=request.cookies.get(SIGNIN_CSRF_COOKIE, ""))


def _form(pages: Pages, notice: str, status: int, token: str = "") -> ConsoleResponse:
    # A browser's token stays the same across forms, so two sign-in tabs both work.
    if not _TOKEN.fullmatch(token):
        token = secrets.token_urlsafe(24)
    response = html(pages.render("signin.html", notice=notice, csrf=token), status=status)
    response.headers.append(
        (
            "set-cookie",
            f"{SIGNIN_CSRF_COOKIE}={token}; Path={MOUNT}; HttpOnly; SameSite=Strict; Max-Age=3600",
        )
    )
    return response


async def _open_session(deps: ConsoleDeps, access_key: str, secret_key: str) -> Session:
    if not access_key or not secret_key:
        raise ConsoleError("MissingCredentials", "enter an access key and its secret key.")
    probe = Session(
        session_id="",
        access_key=access_key,
        secret_key=Secret(secret_key),
        arn="",
        account_id="",
        csrf_token="",
        expires=deps.sessions.epoch,
    )
    gateway = UserGateway(probe, deps.client, deps.directory, deps.endpoints, deps.region)
    root = await gateway.query("sts", "GetCallerIdentity", STS_VERSION)
    return deps.sessions.open(
        access_key=access_key,
        secret_key=Secret(secret_key),
        arn=text(root, ".//Arn"),
        account_id=text(root, ".//Account"),
    )


def signout(session: Session, deps: ConsoleDeps) -> ConsoleResponse:
    deps.sessions.close(session)
    response = redirect(f"{MOUNT}/signin")
    response.headers.append(clear_cookie_header(MOUNT))
    return response
