"""Users, API tokens and the audit log through HTTP."""

import re
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.models import ApiToken, AuditEvent, User
from app.vocabulary import AccessRole
from tests.web.conftest import PASSWORD, Browser, log_in, make_client

Open = Callable[[AccessRole], Browser]
NOT_ADMIN = [AccessRole.PRESALES, AccessRole.SALES, AccessRole.BID]
_ONE_TIME = re.compile(r'<code id="one-time-password">([^<]+)</code>')
_NEW_TOKEN = re.compile(r'<code id="new-token">([^<]+)</code>')


def _user(engine: Engine, username: str) -> User:
    with Session(engine) as session:
        return session.exec(select(User).where(User.username == username)).one()


def _password_in(response) -> str:  # type: ignore[no-untyped-def]
    match = _ONE_TIME.search(response.text)
    assert match, "no one-time password in the response"
    return match.group(1)


def _token_in(response) -> str:  # type: ignore[no-untyped-def]
    match = _NEW_TOKEN.search(response.text)
    assert match, "no new token in the response"
    return match.group(1)


def _audit_actions(engine: Engine, entity_type: str) -> list[tuple[str, str]]:
    with Session(engine) as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.action != "login")
            .order_by(col(AuditEvent.id))
        ).all()
        return [(event.action, event.summary) for event in events]


# --- Permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_ADMIN)
def test_admin_pages_and_actions_are_refused_to_other_roles(
    open_as: Open, seeded: Engine, role: AccessRole
) -> None:
    browser = open_as(role)
    target = _user(seeded, "sales")
    responses = [
        browser.get("/admin/users"),
        browser.get("/admin/tokens"),
        browser.get("/admin/audit"),
        browser.get("/admin/audit", headers={"HX-Request": "true"}),
        browser.post("/admin/users", {"username": "mallory", "role": "admin"}),
        browser.post(f"/admin/users/{target.id}/deactivate", {"lock_version": 1}),
        browser.post(f"/admin/users/{target.id}/reactivate", {"lock_version": 1}),
        browser.post(f"/admin/users/{target.id}/reset-password", {"lock_version": 1}),
        browser.post("/admin/tokens/1/revoke"),
    ]
    assert [response.status_code for response in responses] == [403] * len(responses)
    with Session(seeded) as session:
        assert session.exec(select(User).where(User.username == "mallory")).first() is None
    assert _user(seeded, "sales").is_active


def test_the_users_page_and_its_fragment(open_as: Open) -> None:
    browser = open_as(AccessRole.ADMIN)
    page = browser.get("/admin/users")
    assert page.status_code == 200
    assert "<html" in page.text
    for role in AccessRole:
        assert f"<td>{role.value}</td>" in page.text
    fragment = browser.get("/admin/users", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="users">')


def test_creating_users_needs_the_csrf_token(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.ADMIN)
    response = browser.client.post(
        "/admin/users", data={"username": "nobody", "role": "sales"}, follow_redirects=False
    )
    assert response.status_code == 403
    with Session(seeded) as session:
        assert session.exec(select(User).where(User.username == "nobody")).first() is None


# --- Users ------------------------------------------------------------------------------------


def test_a_new_user_gets_a_one_time_password_shown_once(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.ADMIN)
    response = browser.post(
        "/admin/users",
        {"username": "wang.wei", "display_name": "王伟", "role": "presales", "language": "en"},
        htmx=True,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="users">')
    assert response.headers["cache-control"] == "no-store"
    password = _password_in(response)
    created = _user(seeded, "wang.wei")
    assert (created.display_name, created.role, created.language) == ("王伟", "presales", "en")
    assert created.must_change_password
    assert password not in browser.get("/admin/users").text
    assert all(password not in summary for _, summary in _audit_actions(seeded, "user"))
    with make_client(seeded) as client:
        login = log_in(client, "wang.wei", password)
        assert login.status_code == 303
        assert login.headers["location"] == "/account/password"


def test_without_javascript_creating_a_user_still_shows_the_password(open_as: Open) -> None:
    response = open_as(AccessRole.ADMIN).post(
        "/admin/users", {"username": "li.na", "role": "sales", "language": "zh"}
    )
    assert response.status_code == 200
    assert "<html" in response.text
    assert _password_in(response)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"username": "has space", "role": "sales"}, "username", "must not contain spaces"),
        ({"username": "sales", "role": "sales"}, "username", "is taken"),
        ({"username": "  ", "role": "sales"}, "username", "is required"),
        ({"username": "ok", "role": "boss"}, "role", "is not one of"),
    ],
)
def test_an_invalid_new_user_is_refused_naming_the_field(
    open_as: Open, form: dict[str, str], field: str, message: str
) -> None:
    response = open_as(AccessRole.ADMIN).post("/admin/users", form, htmx=True)
    assert response.status_code == 422
    assert message in response.text
    assert f'name="{field}"' in response.text
    assert "one-time-password" not in response.text


def test_a_deactivated_user_is_logged_out_and_cannot_log_in(open_as: Open, seeded: Engine) -> None:
    sales = open_as(AccessRole.SALES)
    assert sales.get("/").status_code == 200
    admin = open_as(AccessRole.ADMIN)
    target = _user(seeded, "sales")
    response = admin.post(
        f"/admin/users/{target.id}/deactivate", {"lock_version": target.lock_version}, htmx=True
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="users">')
    assert not _user(seeded, "sales").is_active
    kicked_out = sales.get("/", follow_redirects=False)
    assert kicked_out.status_code == 303
    assert kicked_out.headers["location"].startswith("/login")
    with make_client(seeded) as client:
        assert log_in(client, "sales").status_code == 401


def test_a_reactivated_user_logs_in_again_but_old_sessions_stay_ended(
    open_as: Open, seeded: Engine
) -> None:
    sales = open_as(AccessRole.SALES)
    admin = open_as(AccessRole.ADMIN)
    target = _user(seeded, "sales")
    admin.post(f"/admin/users/{target.id}/deactivate", {"lock_version": target.lock_version})
    again = _user(seeded, "sales")
    response = admin.post(
        f"/admin/users/{target.id}/reactivate", {"lock_version": again.lock_version}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users"
    assert _user(seeded, "sales").is_active
    assert sales.get("/", follow_redirects=False).status_code == 303
    with make_client(seeded) as client:
        assert log_in(client, "sales").status_code == 303


def test_an_admin_cannot_deactivate_their_own_account(open_as: Open, seeded: Engine) -> None:
    admin = open_as(AccessRole.ADMIN)
    me = _user(seeded, "admin")
    response = admin.post(
        f"/admin/users/{me.id}/deactivate", {"lock_version": me.lock_version}, htmx=True
    )
    assert response.status_code == 409
    assert "cannot deactivate your own account" in response.text
    assert _user(seeded, "admin").is_active


def test_a_user_change_from_a_stale_list_is_a_conflict(open_as: Open, seeded: Engine) -> None:
    admin = open_as(AccessRole.ADMIN)
    target = _user(seeded, "bid")
    with make_client(seeded) as client:
        log_in(client, "bid")  # logging in updates the account, so the list is stale now
    response = admin.post(
        f"/admin/users/{target.id}/deactivate", {"lock_version": target.lock_version}, htmx=True
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert _user(seeded, "bid").is_active


def test_a_password_reset_gives_a_new_one_time_password_and_ends_sessions(
    open_as: Open, seeded: Engine
) -> None:
    bid = open_as(AccessRole.BID)
    admin = open_as(AccessRole.ADMIN)
    target = _user(seeded, "bid")
    response = admin.post(
        f"/admin/users/{target.id}/reset-password", {"lock_version": target.lock_version}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    password = _password_in(response)
    assert _user(seeded, "bid").must_change_password
    assert bid.get("/", follow_redirects=False).status_code == 303
    with make_client(seeded) as client:
        assert log_in(client, "bid", PASSWORD).status_code == 401
        assert log_in(client, "bid", password).headers["location"] == "/account/password"
    assert ("reset_password", "bid") in _audit_actions(seeded, "user")


# --- API tokens -------------------------------------------------------------------------------


def test_every_role_manages_its_own_api_tokens(open_as: Open) -> None:
    for role in AccessRole:
        browser = open_as(role)
        page = browser.get("/account/tokens")
        assert page.status_code == 200
        assert "new-token-form" in page.text
        fragment = browser.get("/account/tokens", headers={"HX-Request": "true"})
        assert fragment.text.lstrip().startswith('<section id="tokens">')


def test_a_new_token_is_shown_once_works_and_stops_when_revoked(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.SALES)
    created = browser.post("/account/tokens", {"name": "报表脚本"}, htmx=True)
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    token = _token_in(created)
    listed = browser.get("/account/tokens").text
    assert token not in listed
    assert f"<code>{token[:10]}…</code>" in listed
    with make_client(seeded) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/rate-cards", headers=bearer).status_code == 200
        with Session(seeded) as session:
            record = session.exec(select(ApiToken)).one()
        revoked = browser.post(f"/account/tokens/{record.id}/revoke", htmx=True)
        assert revoked.status_code == 200
        assert "已吊销" in revoked.text or "Revoked" in revoked.text
        refused = client.get("/rate-cards", headers=bearer, follow_redirects=False)
        assert refused.status_code == 303
    assert [action for action, _ in _audit_actions(seeded, "api_token")] == [
        "issue_token",
        "revoke_token",
    ]


def test_a_token_needs_a_name(open_as: Open) -> None:
    response = open_as(AccessRole.BID).post("/account/tokens", {"name": " "}, htmx=True)
    assert response.status_code == 422
    assert "name: is required" in response.text
    assert "new-token" not in response.text.replace("new-token-form", "")


def test_a_user_cannot_see_or_revoke_someone_elses_token(open_as: Open, seeded: Engine) -> None:
    owner, other = open_as(AccessRole.PRESALES), open_as(AccessRole.BID)
    owner.post("/account/tokens", {"name": "集成"})
    with Session(seeded) as session:
        record = session.exec(select(ApiToken)).one()
    assert "集成" not in other.get("/account/tokens").text
    assert other.post(f"/account/tokens/{record.id}/revoke").status_code == 404
    with Session(seeded) as session:
        assert session.exec(select(ApiToken)).one().revoked_at is None


def test_an_admin_sees_and_revokes_anyones_token(open_as: Open, seeded: Engine) -> None:
    open_as(AccessRole.PRESALES).post("/account/tokens", {"name": "CI"})
    open_as(AccessRole.SALES).post("/account/tokens", {"name": "报表"})
    admin = open_as(AccessRole.ADMIN)
    page = admin.get("/admin/tokens")
    assert "<td>presales</td>" in page.text
    assert "<td>sales</td>" in page.text
    with Session(seeded) as session:
        record = session.exec(select(ApiToken).where(ApiToken.name == "CI")).one()
    response = admin.post(f"/admin/tokens/{record.id}/revoke")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/tokens"
    fragment = admin.get("/admin/tokens", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="tokens">')
    with Session(seeded) as session:
        assert session.get(ApiToken, record.id).revoked_at is not None  # type: ignore[union-attr]


# --- Audit log --------------------------------------------------------------------------------


def test_the_audit_log_shows_who_did_what_newest_first(open_as: Open) -> None:
    admin = open_as(AccessRole.ADMIN)
    admin.post("/admin/users", {"username": "zhao", "role": "bid", "language": "zh"})
    admin.post("/account/tokens", {"name": "审计测试"})
    page = admin.get("/admin/audit")
    assert page.status_code == 200
    rows = re.findall(r"<td>(admin)</td>\s*<td>(\w+)</td>", page.text)
    assert rows[:2] == [("admin", "issue_token"), ("admin", "create_user")]
    assert "zhao (bid)" in page.text
    fragment = admin.get("/admin/audit", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<table class="compact" id="events">')
