from __future__ import annotations

from ferry.console.sessions import Sessions, is_valid_csrf
from ferry.core.clock import FakeClock
from ferry.core.secret import Secret


def open_session(sessions: Sessions) -> str:
    session = sessions.open(
        access_key="AKIA",
        secret_key=Secret("s3cret"),
        arn="arn:aws:iam::000000000001:root",
        account_id="000000000001",
    )
    return sessions.cookie_value(session)


def test_a_signed_cookie_finds_its_session_until_it_expires() -> None:
    clock = FakeClock()
    sessions = Sessions(b"key", clock, ttl_s=60)
    cookie = open_session(sessions)
    found = sessions.find(cookie)
    assert found is not None and found.access_key == "AKIA"
    clock.advance(59)
    assert sessions.find(cookie) is not None
    clock.advance(1)
    assert sessions.find(cookie) is None


def test_a_tampered_or_foreign_cookie_finds_nothing() -> None:
    sessions = Sessions(b"key", FakeClock(), ttl_s=60)
    cookie = open_session(sessions)
    session_id, _, signature = cookie.rpartition(".")
    assert sessions.find(f"{session_id}x.{signature}") is None
    assert sessions.find(f"{session_id}.{'0' * len(signature)}") is None
    other = Sessions(b"other key", FakeClock(), ttl_s=60)
    assert other.find(cookie) is None
    assert sessions.find("") is None and sessions.find("no-dot") is None


def test_the_cookie_never_carries_the_secret_and_the_session_never_shows_it() -> None:
    sessions = Sessions(b"key", FakeClock(), ttl_s=60)
    cookie = open_session(sessions)
    assert "s3cret" not in cookie
    session = sessions.find(cookie)
    assert session is not None and "s3cret" not in repr(session)


def test_signing_out_ends_the_session_and_csrf_tokens_are_per_session() -> None:
    sessions = Sessions(b"key", FakeClock(), ttl_s=60)
    first = sessions.find(open_session(sessions))
    second_cookie = open_session(sessions)
    second = sessions.find(second_cookie)
    assert first is not None and second is not None
    assert is_valid_csrf(first, first.csrf_token)
    assert not is_valid_csrf(first, second.csrf_token)
    assert not is_valid_csrf(first, None)
    sessions.close(second)
    assert sessions.find(second_cookie) is None
