"""Console sessions: who is signed in, kept server-side; the browser holds only a signed id.

The cookie is `<session id>.<HMAC-SHA256 of the id>` (HttpOnly, SameSite=Strict, Path=the
console), so a forged or tampered cookie is refused before any lookup. The session keeps the
user's secret key in memory (a `Secret`, never rendered, never logged) because every action is
sent to the S3 API signed as the user (docs/console.md); it ends at its expiry or at sign-out,
and with the process. Each session has its own CSRF token, which every form and script call
must echo.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from ferry.core.clock import Clock
from ferry.core.secret import Secret

COOKIE_NAME = "ferry_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
MAX_SESSIONS = 10_000  # oldest sessions go first beyond this (a flood of sign-ins)


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    session_id: str
    access_key: str
    secret_key: Secret
    arn: str  # who signed in, as IAM names it (shown in the header)
    account_id: str
    csrf_token: str
    expires: datetime


class Sessions:
    def __init__(self, signing_key: bytes, clock: Clock, ttl_s: float) -> None:
        self._signing_key = signing_key
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_s)
        self._sessions: dict[str, Session] = {}
        self._notices: dict[str, str] = {}  # session id → what the next page says (done, …)

    @property
    def epoch(self) -> datetime:
        """An expiry in the past (for a probe that is never stored)."""
        return self._clock.now()

    @property
    def ttl_s(self) -> int:
        return int(self._ttl.total_seconds())

    def open(self, *, access_key: str, secret_key: Secret, arn: str, account_id: str) -> Session:
        self._drop_expired()
        while len(self._sessions) >= MAX_SESSIONS:
            del self._sessions[next(iter(self._sessions))]
        session = Session(
            session_id=secrets.token_urlsafe(32),
            access_key=access_key,
            secret_key=secret_key,
            arn=arn,
            account_id=account_id,
            csrf_token=secrets.token_urlsafe(32),
            expires=self._clock.now() + self._ttl,
        )
        self._sessions[session.session_id] = session
        return session

    def close(self, session: Session) -> None:
        self._sessions.pop(session.session_id, None)
        self._notices.pop(session.session_id, None)

    def set_notice(self, session: Session, notice: str) -> None:
        """What the next page tells the user (kept server-side: a link cannot forge it)."""
        self._notices[session.session_id] = notice

    def take_notice(self, session: Session) -> str:
        return self._notices.pop(session.session_id, "")

    def cookie_value(self, session: Session) -> str:
        return f"{session.session_id}.{self._sign(session.session_id)}"

    def find(self, cookie: str | None) -> Session | None:
        """The live session the cookie names; None: absent, forged or expired."""
        if not cookie or "." not in cookie:
            return None
        session_id, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(session_id)):
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        if session.expires <= self._clock.now():
            self.close(session)
            return None
        return session

    def _sign(self, session_id: str) -> str:
        return hmac.new(self._signing_key, session_id.encode(), hashlib.sha256).hexdigest()

    def _drop_expired(self) -> None:
        now = self._clock.now()
        for session in [s for s in self._sessions.values() if s.expires <= now]:
            self.close(session)


def is_valid_csrf(session: Session, token: str | None) -> bool:
    return token is not None and hmac.compare_digest(token, session.csrf_token)


def set_cookie_header(value: str, mount: str, max_age_s: int) -> tuple[str, str]:
    return (
        "set-cookie",
        f"{COOKIE_NAME}={value}; Path={mount}; HttpOnly; SameSite=Strict; Max-Age={max_age_s}",
    )


def clear_cookie_header(mount: str) -> tuple[str, str]:
    return ("set-cookie", f"{COOKIE_NAME}=; Path={mount}; HttpOnly; SameSite=Strict; Max-Age=0")
