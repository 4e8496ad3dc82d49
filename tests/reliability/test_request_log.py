"""Structured request logs with a request id, and the readiness probe."""

import json
import logging
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.db import make_engine
from app.main import create_app
from app.migrate import downgrade
from app.request_log import LOGGER_NAME, loggable_path, request_id_from
from app.vocabulary import AccessRole
from tests.web.conftest import Browser


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture
def request_lines() -> Iterator[list[dict[str, object]]]:
    handler = _Lines()
    logging.getLogger(LOGGER_NAME).addHandler(handler)
    yield handler.lines
    logging.getLogger(LOGGER_NAME).removeHandler(handler)


def test_every_request_is_logged_as_one_json_line_with_who_asked(
    open_as: Callable[[AccessRole], Browser], request_lines: list[dict[str, object]]
) -> None:
    browser = open_as(AccessRole.PRESALES)
    request_lines.clear()
    response = browser.get("/?q=acme")
    assert len(request_lines) == 1
    line = request_lines[0]
    assert set(line) == {"request_id", "method", "path", "status", "duration_ms", "user_id"}
    assert line["method"] == "GET"
    assert line["path"] == "/?q=acme"
    assert response.status_code == 200
    assert line["status"] == response.status_code
    assert isinstance(line["duration_ms"], float)
    assert isinstance(line["user_id"], int)
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_anonymous_requests_are_logged_without_a_user(
    seeded: Engine, request_lines: list[dict[str, object]]
) -> None:
    with TestClient(create_app(seeded)) as client:
        client.get("/login")
    assert [line["user_id"] for line in request_lines] == [None]


def test_a_sane_incoming_request_id_is_kept_and_a_hostile_one_replaced(seeded: Engine) -> None:
    with TestClient(create_app(seeded)) as client:
        kept = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a.42:1"})
        replaced = client.get("/healthz", headers={"X-Request-ID": 'x"}\n{"forged": 1'})
        fresh = client.get("/healthz")
    assert kept.headers["X-Request-ID"] == "edge-7f3a.42:1"
    assert replaced.headers["X-Request-ID"] != 'x"}\n{"forged": 1'
    assert len(replaced.headers["X-Request-ID"]) == 32
    assert fresh.headers["X-Request-ID"] != replaced.headers["X-Request-ID"]


def test_ids_longer_than_128_characters_are_replaced() -> None:
    assert request_id_from([(b"x-request-id", b"a" * 128)]) == "a" * 128
    assert request_id_from([(b"x-request-id", b"a" * 129)]) != "a" * 129


def test_secret_query_values_never_reach_the_log() -> None:
    logged = loggable_path("/api/v1/x", b"access_token=s3cr3t&q=acme&csrf_token=abc&password=pw")
    assert "s3cr3t" not in logged
    assert "abc" not in logged
    assert "pw" not in logged.replace("password", "")
    assert "q=acme" in logged
    assert loggable_path("/a", b"") == "/a"


def test_failed_requests_are_logged_with_their_status(
    seeded: Engine, request_lines: list[dict[str, object]]
) -> None:
    with TestClient(create_app(seeded)) as client:
        client.get("/no-such-page")
        client.post("/opportunities", data={"name": "x"}, follow_redirects=False)
    statuses = [line["status"] for line in request_lines]
    assert statuses[0] == 404
    assert statuses[1] in (303, 401, 403)


def test_readyz_is_ok_when_the_database_is_at_the_migration_head(configured: str) -> None:
    with TestClient(create_app()) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_is_503_with_a_retry_hint_while_migrations_are_behind(configured: str) -> None:
    downgrade(configured, "0003")
    with TestClient(create_app()) as client:
        response = client.get("/readyz")
        health = client.get("/healthz")
    assert response.status_code == 503
    assert "0003" in response.json()["detail"]
    assert response.headers["Retry-After"] == "5"
    assert health.status_code == 200  # alive, just not ready


def test_readyz_is_503_when_the_database_cannot_be_reached() -> None:
    unreachable = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    # No lifespan: its start-up work needs the database this test takes away.
    response = TestClient(create_app(unreachable)).get("/readyz")
    unreachable.dispose()
    assert response.status_code == 503
    assert "unreachable" in response.json()["detail"]
