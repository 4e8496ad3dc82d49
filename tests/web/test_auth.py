"""Log-in, sessions, CSRF, security headers and limits."""

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import get_settings
from app.db import write_session
from app.models import UserSession, utcnow
from app.vocabulary import AccessRole
from tests.web.conftest import PASSWORD, Browser, log_in, make_client


def test_pages_need_a_login(seeded: Engine) -> None:
    with make_client(seeded) as client:
        response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"


def test_htmx_requests_without_a_session_are_sent_to_the_login_page(seeded: Engine) -> None:
    with make_client(seeded) as client:
        response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(seeded: Engine) -> None:
    with make_client(seeded) as client:
        wrong_password = log_in(client, "presales", "not the password")
        unknown_user = log_in(client, "nobody", "not the password")
    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert "用户名或密码错误" in response.text or "Wrong username or password" in response.text
        assert "not the password" not in response.text


def test_failed_logins_are_rate_limited_per_account(seeded: Engine) -> None:
    with make_client(seeded) as client:
        statuses = [log_in(client, "sales", "wrong password!").status_code for _ in range(21)]
        right_password_now = log_in(client, "sales", PASSWORD)
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429
    assert right_password_now.status_code == 429


def test_login_sets_a_strict_session_cookie_and_logout_revokes_it(seeded: Engine) -> None:
    with make_client(seeded) as client:
        response = log_in(client, "presales")
        cookie = response.headers["set-cookie"]
        assert "bw_session=" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        stolen = client.cookies.get("bw_session")
        page = client.get("/")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        assert (
            client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code
            == 303
        )
    with make_client(seeded) as replay:
        replay.cookies.set("bw_session", stolen)
        assert replay.get("/", follow_redirects=False).status_code == 303


def test_each_login_gets_a_new_session_id(seeded: Engine) -> None:
    with make_client(seeded) as client:
        log_in(client, "presales")
        first = client.cookies.get("bw_session")
        client.cookies.clear()
        log_in(client, "presales")
        second = client.cookies.get("bw_session")
    assert first != second


def test_state_changes_without_the_csrf_token_are_refused(
    open_as: Callable[[AccessRole], Browser],
) -> None:
    browser = open_as(AccessRole.PRESALES)
    response = browser.client.post(
        "/opportunities", data={"customer_name": "x", "name": "y"}, follow_redirects=False
    )
    assert response.status_code == 403
    forged = browser.client.post(
        "/opportunities",
        data={"customer_name": "x", "name": "y", "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403


def test_every_response_carries_the_security_headers(seeded: Engine) -> None:
    with make_client(seeded) as client:
        response = client.get("/login")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_oversized_bodies_are_refused_with_413(seeded: Engine) -> None:
    with make_client(seeded) as client:
        response = client.post("/login", content=b"x" * (56 * 1024 * 1024))
    assert response.status_code == 413


def test_validation_errors_never_echo_the_submitted_values(seeded: Engine) -> None:
    with make_client(seeded) as client:
        response = client.post("/login", data={"password": "hunter2-secret"})
    assert response.status_code == 422
    assert "hunter2-secret" not in response.text


def test_the_language_switch_is_remembered_for_the_user(
    open_as: Callable[[AccessRole], Browser],
) -> None:
    browser = open_as(AccessRole.PRESALES)
    assert "商机" in browser.get("/").text
    browser.post("/language", {"language": "en", "next": "/"})
    page = browser.get("/").text
    assert "Opportunities" in page
    assert "Latest P80 price" in page


def test_the_language_can_be_switched_on_the_log_in_page(seeded: Engine) -> None:
    with make_client(seeded) as client:
        page = client.get("/login").text
        token = page.split('name="login_csrf" value="')[1].split('"')[0]
        assert f'name="csrf_token" value="{token}"' in page  # the switch carries it
        switched = client.post(
            "/language",
            data={"csrf_token": token, "language": "en", "next": "/login"},
            follow_redirects=False,
        )
        assert switched.status_code == 303
        assert 'lang="en"' in client.get("/login").text
        forged = client.post("/language", data={"csrf_token": "x", "language": "zh"})
        assert forged.status_code == 403


def test_an_idle_session_expires(seeded: Engine) -> None:
    with make_client(seeded) as client:
        log_in(client, "presales")
        assert client.get("/", follow_redirects=False).status_code == 200
        with write_session(seeded) as session:
            for record in session.exec(select(UserSession)).all():
                record.last_seen_at = utcnow() - timedelta(hours=3)
        assert client.get("/", follow_redirects=False).status_code == 303


def test_a_session_ends_at_its_absolute_timeout_however_active(seeded: Engine) -> None:
    with make_client(seeded) as client:
        log_in(client, "presales")
        with write_session(seeded) as session:
            for record in session.exec(select(UserSession)).all():
                record.expires_at = utcnow() - timedelta(seconds=1)
        assert client.get("/", follow_redirects=False).status_code == 303


def test_recent_activity_keeps_the_session_alive_and_is_recorded(seeded: Engine) -> None:
    with make_client(seeded) as client:
        log_in(client, "presales")
        with write_session(seeded) as session:
            for record in session.exec(select(UserSession)).all():
                record.last_seen_at = utcnow() - timedelta(minutes=90)
        assert client.get("/", follow_redirects=False).status_code == 200
        with Session(seeded) as session:
            record = session.exec(select(UserSession)).one()
            seen = record.last_seen_at.replace(tzinfo=None)
            assert utcnow().replace(tzinfo=None) - seen < timedelta(minutes=1)


def test_a_write_request_refreshing_the_idle_clock_does_not_wait_for_its_own_lock(
    seeded: Engine,
) -> None:
    """The refresh joins the request's write transaction instead of queueing behind it."""
    with make_client(seeded) as client:
        log_in(client, "presales")
        page = client.get("/").text
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        with write_session(seeded) as session:
            for record in session.exec(select(UserSession)).all():
                record.last_seen_at = utcnow() - timedelta(minutes=5)
        started = time.monotonic()
        response = client.post(
            "/language", data={"csrf_token": csrf, "language": "en"}, follow_redirects=False
        )
        assert response.status_code == 303
        assert time.monotonic() - started < 3


def test_failed_logins_are_rate_limited_per_address_across_accounts(
    seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIDWRIGHT_LOGIN_FAILURES_PER_ADDRESS_PER_HOUR", "5")
    get_settings.cache_clear()
    try:
        with make_client(seeded) as client:
            statuses = [
                log_in(client, f"guess{number}", "wrong password!").status_code
                for number in range(5)
            ]
            sixth = log_in(client, "presales", PASSWORD)
    finally:
        get_settings.cache_clear()
    assert statuses == [401] * 5
    assert sixth.status_code == 429
