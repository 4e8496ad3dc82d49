"""The pages and the health check, through the real app factory."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.db import make_engine, write_session
from app.deps import get_session
from app.main import create_app
from app.models import Customer, Opportunity
from app.services.seed import seed_all
from tests.conftest import DATA_DIR


def _client_on(engine: Engine) -> TestClient:
    app = create_app()

    def session_override() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    return TestClient(app)


@pytest.fixture
def client(file_engine: Engine) -> Iterator[TestClient]:
    with _client_on(file_engine) as client:
        yield client


def test_the_home_page_lists_the_demo_opportunity(client: TestClient, file_engine: Engine) -> None:
    with write_session(file_engine) as session:
        seed_all(session, DATA_DIR)
    response = client.get("/")
    assert response.status_code == 200
    assert "新一代协同办公与流程审批平台建设项目" in response.text
    assert "DEMO-2026-001" in response.text
    assert "2026-12-18" in response.text
    assert "bidding" in response.text


def test_the_home_page_says_so_when_there_is_nothing_yet(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "No opportunities yet" in response.text


def test_customer_names_are_escaped_in_html(client: TestClient, file_engine: Engine) -> None:
    with write_session(file_engine) as session:
        session.add(Opportunity(customer=Customer(name="<script>alert(1)</script>"), name="x"))
    response = client.get("/")
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_healthz_reports_ok_when_the_database_answers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path}/missing-dir/x.db")
    (tmp_path / "missing-dir").rmdir()
    with _client_on(broken) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
