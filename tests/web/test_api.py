"""The JSON API: token authentication, role rules, validation and price-level results."""

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.db import write_session
from app.models import ApiToken, EstimateLine, EstimateRevision, User, WorkItem
from app.services import accounts
from app.vocabulary import AccessRole
from tests.web.conftest import make_client


@pytest.fixture
def tokens(seeded: Engine) -> dict[AccessRole, str]:
    issued = {}
    with write_session(seeded) as session:
        for role in AccessRole:
            user = session.exec(select(User).where(User.username == role.value)).one()
            issued[role], _ = accounts.issue_api_token(session, user=user, name="test")
    return issued


@pytest.fixture
def api(seeded: Engine) -> Iterator[TestClient]:
    with make_client(seeded) as client:
        yield client


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _revision_id(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(EstimateRevision)).one().id or 0


def test_the_api_needs_a_token_and_ignores_the_browser_cookie(api: TestClient) -> None:
    assert api.get("/api/v1/estimates").status_code == 401
    assert api.get("/api/v1/estimates", headers=_auth("bw_forged")).status_code == 401


def test_every_role_lists_estimates(api: TestClient, tokens: dict[AccessRole, str]) -> None:
    for token in tokens.values():
        response = api.get("/api/v1/estimates", headers=_auth(token))
        assert response.status_code == 200
        assert response.json()[0]["opportunity_name"] == "新一代协同办公与流程审批平台建设项目"


def test_revoked_tokens_stop_working(
    api: TestClient, seeded: Engine, tokens: dict[AccessRole, str]
) -> None:
    with write_session(seeded) as session:
        for token in session.exec(select(ApiToken)).all():
            accounts.revoke_api_token(session, token_id=token.id or 0)
    assert api.get("/api/v1/estimates", headers=_auth(tokens[AccessRole.ADMIN])).status_code == 401


def test_tokens_are_stored_only_as_hashes(seeded: Engine, tokens: dict[AccessRole, str]) -> None:
    with Session(seeded) as session:
        stored = {token.token_hash for token in session.exec(select(ApiToken)).all()}
    assert not set(tokens.values()) & stored


def test_sales_cannot_change_estimates_through_the_api(
    api: TestClient, seeded: Engine, tokens: dict[AccessRole, str]
) -> None:
    revision_id = _revision_id(seeded)
    response = api.post(
        f"/api/v1/revisions/{revision_id}/lines",
        json={"item_id": 1},
        headers=_auth(tokens[AccessRole.SALES]),
    )
    assert response.status_code == 403


def test_nan_and_infinity_are_refused(
    api: TestClient, seeded: Engine, tokens: dict[AccessRole, str]
) -> None:
    revision_id = _revision_id(seeded)
    for bad in ("NaN", "Infinity"):
        response = api.post(
            f"/api/v1/revisions/{revision_id}/lines",
            content=f'{{"item_id": 1, "quantity": {bad}}}',
            headers={**_auth(tokens[AccessRole.PRESALES]), "Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert bad not in response.text


def test_line_updates_use_optimistic_locking(
    api: TestClient, seeded: Engine, tokens: dict[AccessRole, str]
) -> None:
    with Session(seeded) as session:
        line = session.exec(select(EstimateLine).order_by(col(EstimateLine.id))).first()
        assert line is not None
        line_id, version = line.id, line.lock_version
    headers = _auth(tokens[AccessRole.PRESALES])
    first = api.patch(
        f"/api/v1/lines/{line_id}", json={"lock_version": version, "quantity": 4}, headers=headers
    )
    assert first.status_code == 200
    assert first.json()["lock_version"] == version + 1
    stale = api.patch(
        f"/api/v1/lines/{line_id}", json={"lock_version": version, "quantity": 5}, headers=headers
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]
    bad_triple = api.patch(
        f"/api/v1/lines/{line_id}",
        json={
            "lock_version": version + 1,
            "overrides": {"BE": {"optimistic": 9, "most_likely": 2, "pessimistic": 3}},
        },
        headers=headers,
    )
    assert bad_triple.status_code == 422


def test_sales_read_run_results_without_cost_or_margin_anywhere(
    api: TestClient, seeded: Engine, tokens: dict[AccessRole, str]
) -> None:
    started = api.post(
        f"/api/v1/revisions/{_revision_id(seeded)}/runs", headers=_auth(tokens[AccessRole.PRESALES])
    )
    assert started.status_code == 201
    run = started.json()
    assert run["status"] == "succeeded"
    assert "cost_p80" in run["summary"]
    for role in (AccessRole.SALES, AccessRole.BID):
        seen = api.get(f"/api/v1/runs/{run['id']}", headers=_auth(tokens[role]))
        assert seen.status_code == 200
        text = json.dumps(seen.json())
        assert "cost" not in text
        assert "margin" not in text
        assert seen.json()["summary"]["price_p80"] == run["summary"]["price_p80"]
        assert run["summary"]["cost_p80"] not in text


def test_run_timestamps_carry_their_utc_offset(
    api: TestClient, seeded: Engine, tokens: dict[AccessRole, str]
) -> None:
    headers = _auth(tokens[AccessRole.PRESALES])
    started = api.post(f"/api/v1/revisions/{_revision_id(seeded)}/runs", headers=headers)
    stored = api.get(f"/api/v1/runs/{started.json()['id']}", headers=headers)  # read back
    for body in (started.json(), stored.json()):
        moment = datetime.fromisoformat(body["created_at"])
        assert moment.utcoffset() == timedelta(0)


def test_the_openapi_schema_documents_every_operation(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    paths = schema["paths"]
    assert "/api/v1/runs/{run_id}" in paths
    assert "409" in paths["/api/v1/lines/{line_id}"]["patch"]["responses"]


def test_adding_a_line_through_the_api(
    api: TestClient, seeded: Engine, tokens: dict[AccessRole, str]
) -> None:
    revision_id = _revision_id(seeded)
    with Session(seeded) as session:
        revision = session.get(EstimateRevision, revision_id)
        assert revision is not None
        item = session.exec(
            select(WorkItem).where(
                WorkItem.catalog_version_id == revision.catalog_version_id,
                WorkItem.code == "DEV-031",
            )
        ).one()
    response = api.post(
        f"/api/v1/revisions/{revision_id}/lines",
        json={"item_id": item.id, "quantity": 2},
        headers=_auth(tokens[AccessRole.PRESALES]),
    )
    assert response.status_code == 201
    assert response.json()["code"] == "DEV-031"
