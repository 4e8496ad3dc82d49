"""A seeded app per test, and clients logged in as each role."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.db import write_session
from app.main import create_app
from app.models import EstimateRevision
from app.services import accounts
from app.vocabulary import AccessRole

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')


@dataclass
class Browser:
    """A TestClient with a logged-in user and the session's CSRF token."""

    client: TestClient
    csrf: str

    def get(self, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kwargs)

    def post(
        self,
        url: str,
        data: dict[str, object] | None = None,
        *,
        htmx: bool = False,
        **kwargs: object,
    ):  # type: ignore[no-untyped-def]
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(
            url,
            data={"csrf_token": self.csrf, **(data or {})},
            headers=headers,
            follow_redirects=False,
            **kwargs,
        )


def make_client(engine: Engine) -> TestClient:
    return TestClient(create_app(engine), base_url="http://testserver")


def log_in(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get("/login")
    token = _LOGIN_CSRF.search(page.text)
    assert token is not None
    return client.post(
        "/login",
        data={"username": username, "password": password, "login_csrf": token.group(1)},
        follow_redirects=False,
    )


def csrf_of(client: TestClient) -> str:
    match = _CSRF.search(client.get("/").text)
    assert match is not None
    return match.group(1)


@pytest.fixture
def seeded(seeded_engine: Engine) -> Engine:
    """The seeded database plus one user per role (username = role name)."""
    with write_session(seeded_engine) as session:
        for role in AccessRole:
            accounts.create_user(session, username=role.value, password=PASSWORD, role=role)
    return seeded_engine


@pytest.fixture
def open_as(seeded: Engine) -> Iterator[Callable[[AccessRole], Browser]]:
    clients: list[TestClient] = []

    def open_as(role: AccessRole) -> Browser:
        client = make_client(seeded)
        client.__enter__()
        clients.append(client)
        assert log_in(client, role.value).status_code == 303
        return Browser(client=client, csrf=csrf_of(client))

    yield open_as
    for client in clients:
        client.__exit__(None, None, None)


def run_first_revision(browser: Browser, engine: Engine) -> int:
    """Start a run of the seeded estimate's first revision; the new run's id."""
    with Session(engine) as session:
        revision = session.exec(select(EstimateRevision).order_by(col(EstimateRevision.id))).first()
        assert revision is not None
    response = browser.post(f"/revisions/{revision.id}/runs")
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/runs/(\d+)", response.headers["location"])
    assert match is not None
    return int(match.group(1))
