"""Session, CSRF and token rules checked over the whole route table, not route by route."""

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.db import write_session
from app.models import ApiToken, User
from app.services import accounts
from app.vocabulary import AccessRole
from tests.security.test_access_matrix import _path_values, route_keys
from tests.web.conftest import PASSWORD, log_in, make_client

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# Filled in, so the log-in form is refused for its missing token rather than its fields.
FORM_WITHOUT_TOKEN = {"username": "admin", "password": PASSWORD, "language": "en"}


def test_every_state_changing_browser_route_refuses_a_request_without_the_csrf_token(
    seeded: Engine,
) -> None:
    values = _path_values(seeded)
    admitted: list[str] = []
    with make_client(seeded) as client:
        assert log_in(client, AccessRole.ADMIN.value).status_code == 303
        for key in sorted(route_keys(seeded)):
            method, path = key.split(" ", 1)
            if method not in UNSAFE or path.startswith("/api/"):
                continue
            response = client.request(
                method, path.format(**values), data=FORM_WITHOUT_TOKEN, follow_redirects=False
            )
            # The log-in form's token is a required field: without it, 422 before any check.
            refused = {403, 422} if key == "POST /login" else {403}
            if response.status_code not in refused:
                admitted.append(f"{key}: {response.status_code}")
    assert admitted == []


def test_the_api_ignores_the_browser_session_so_a_forged_cross_site_write_cannot_use_it(
    seeded: Engine,
) -> None:
    with make_client(seeded) as client:
        assert log_in(client, AccessRole.ADMIN.value).status_code == 303
        response = client.post("/api/v1/revisions/1/lines", json={"item_id": 1})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "/revisions/99999999999999999999999",
        "/opportunities/-99999999999999999999999",
        "/runs/18446744073709551616",
        "/api/v1/runs/18446744073709551616",
        "/api/v1/runs/4294967296",  # beyond PostgreSQL's INTEGER ids
    ],
)
def test_an_id_beyond_64_bits_is_refused_as_bad_input_not_a_server_error(
    seeded: Engine, url: str
) -> None:
    with make_client(seeded) as client:
        assert log_in(client, AccessRole.ADMIN.value).status_code == 303
        with write_session(seeded) as session:
            admin = session.exec(select(User).where(User.username == "admin")).one()
            token, _ = accounts.issue_api_token(session, user=admin, name="overflow")
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in {400, 422}


def test_two_hundred_wrong_passwords_get_at_most_a_hundred_checked_per_account_per_hour(
    seeded: Engine,
) -> None:
    with make_client(seeded) as client:
        statuses = [log_in(client, "sales", "wrong password").status_code for _ in range(200)]
        refused_unchecked = statuses.count(429)
        assert log_in(client, "sales", PASSWORD).status_code == 429
    # Every attempt answered; those beyond the limit refused without checking the password.
    assert 200 - refused_unchecked <= 100
    assert set(statuses) <= {401, 429}


def test_an_old_session_cookie_replayed_after_logout_is_refused(seeded: Engine) -> None:
    with make_client(seeded) as client:
        assert log_in(client, "presales").status_code == 303
        old_cookie = client.cookies.get("bw_session")
        page = client.get("/")
        assert page.status_code == 200
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        assert client.post("/logout", data={"csrf_token": token}).status_code in {200, 303}
    with make_client(seeded) as replay:
        replay.cookies.set("bw_session", old_cookie or "")
        assert replay.get("/", follow_redirects=False).status_code == 303


def test_a_revoked_token_is_refused_and_no_token_is_stored_in_clear(seeded: Engine) -> None:
    with write_session(seeded) as session:
        user = session.exec(select(User).where(User.username == "bid")).one()
        token, record = accounts.issue_api_token(session, user=user, name="revocable")
        token_id = record.id or 0
    with make_client(seeded) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/estimates", headers=headers).status_code == 200
        with write_session(seeded) as session:
            accounts.revoke_api_token(session, token_id=token_id)
        assert client.get("/api/v1/estimates", headers=headers).status_code == 401
    with Session(seeded) as session:
        stored = [row.model_dump() for row in session.exec(select(ApiToken)).all()]
    assert not any(token in str(value) for row in stored for value in row.values())
