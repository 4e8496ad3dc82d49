"""Every route of the app × every caller, against a table of who may do what.

The table below is the access policy. A route the app serves that the table does not name
fails the suite, so a new route cannot ship without a rule. Each caller works on its own
freshly seeded database; the requests go in the table's order with the GET pages first
and logging out last, so a destructive request never hides the answer to a later one.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.db import write_session
from app.main import create_app
from app.models import (
    CatalogVersion,
    EstimateLine,
    EstimateRevision,
    Opportunity,
    RateCard,
    User,
    WorkItem,
)
from app.services import accounts
from app.vocabulary import AccessRole
from tests.web.conftest import PASSWORD, csrf_of, log_in, make_client

PUBLIC = "public"  # anyone, logged in or not
API = "api"  # any role with an API token; editors only where the body says so
EVERYONE = frozenset(AccessRole)
EDITORS = frozenset({AccessRole.ADMIN, AccessRole.PRESALES})
INTAKE = frozenset({AccessRole.ADMIN, AccessRole.PRESALES, AccessRole.BID})
ADMIN = frozenset({AccessRole.ADMIN})
Rule = str | frozenset[AccessRole]

RULES: dict[str, Rule] = {
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /login": PUBLIC,
    "POST /login": PUBLIC,
    # Anonymous: refused by the CSRF check (no session), although the login page offers it.
    "POST /language": EVERYONE,
    "GET /account/password": EVERYONE,
    "POST /account/password": EVERYONE,
    "GET /": EVERYONE,
    "GET /opportunities/new": EDITORS,
    "POST /opportunities": EDITORS,
    "GET /opportunities/{opportunity_id}": EVERYONE,
    "POST /opportunities/{opportunity_id}/estimates": EDITORS,
    "GET /revisions/{revision_id}": EVERYONE,
    "GET /revisions/{revision_id}/catalog-search": EDITORS,
    "POST /revisions/{revision_id}/lines": EDITORS,
    "GET /lines/{line_id}/edit": EDITORS,
    "GET /lines/{line_id}/row": EVERYONE,
    "POST /lines/{line_id}": EDITORS,
    "POST /lines/{line_id}/delete": EDITORS,
    "POST /revisions/{revision_id}/new-revision": EDITORS,
    "POST /revisions/{revision_id}/settings": EDITORS,
    "POST /revisions/{revision_id}/risks": EDITORS,
    "POST /risks/{risk_id}/delete": EDITORS,
    "POST /revisions/{revision_id}/statements": EDITORS,
    "POST /statements/{statement_id}/delete": EDITORS,
    "POST /revisions/{revision_id}/team": EDITORS,
    "POST /revisions/{revision_id}/runs": EDITORS,
    "GET /runs/{run_id}": EVERYONE,
    "GET /runs/{run_id}/charts/{name}.svg": EVERYONE,
    "GET /compare": EVERYONE,
    "GET /runs/{run_id}/proposal.docx": EVERYONE,
    "GET /runs/{run_id}/quote.xlsx": EVERYONE,
    "GET /proposal-templates": EDITORS,
    "POST /proposal-templates": EDITORS,
    "GET /api/v1/estimates": API,
    "POST /api/v1/estimates": EDITORS,
    "GET /api/v1/revisions/{revision_id}": API,
    "POST /api/v1/revisions/{revision_id}/lines": EDITORS,
    "PATCH /api/v1/lines/{line_id}": EDITORS,
    "POST /api/v1/revisions/{revision_id}/runs": EDITORS,
    "GET /api/v1/runs/{run_id}": API,
    "GET /catalogs": EVERYONE,
    "POST /catalogs/import": ADMIN,
    "GET /catalog-versions/{version_id}": EVERYONE,
    "GET /catalog-versions/{version_id}/export.xlsx": EVERYONE,
    "POST /catalog-versions/{version_id}/new-draft": ADMIN,
    "POST /catalog-versions/{version_id}/publish": ADMIN,
    "POST /catalog-versions/{version_id}/items": ADMIN,
    "GET /work-items/{item_id}/edit": ADMIN,
    "GET /work-items/{item_id}/row": EVERYONE,
    "POST /work-items/{item_id}": ADMIN,
    "POST /work-items/{item_id}/delete": ADMIN,
    "GET /rate-cards": EVERYONE,
    "GET /rate-cards/{card_id}": EVERYONE,
    "POST /rate-cards/{card_id}/new-draft": ADMIN,
    "POST /rate-cards/{card_id}/publish": ADMIN,
    "POST /rate-cards/{card_id}/entries": ADMIN,
    "GET /admin/users": ADMIN,
    "POST /admin/users": ADMIN,
    "POST /admin/users/{user_id}/deactivate": ADMIN,
    "POST /admin/users/{user_id}/reactivate": ADMIN,
    "POST /admin/users/{user_id}/reset-password": ADMIN,
    "GET /account/tokens": EVERYONE,
    "POST /account/tokens": EVERYONE,
    "POST /account/tokens/{token_id}/revoke": EVERYONE,
    "GET /admin/tokens": ADMIN,
    "POST /admin/tokens/{token_id}/revoke": ADMIN,
    "GET /admin/audit": ADMIN,
    "GET /opportunities/{opportunity_id}/requirement-lists": EVERYONE,
    "POST /opportunities/{opportunity_id}/requirement-lists": INTAKE,
    "GET /requirement-lists/{list_id}": EVERYONE,
    "POST /requirement-lists/{list_id}/delete": INTAKE,
    "GET /requirement-lists/{list_id}/mapping": EVERYONE,
    "POST /requirement-lists/{list_id}/mapping/columns": INTAKE,
    "POST /requirement-lists/{list_id}/mapping/sheets": INTAKE,
    "POST /requirement-lists/{list_id}/mapping/blocks/{block_index}": INTAKE,
    "POST /requirement-lists/{list_id}/confirm": INTAKE,
    "GET /requirement-lists/{list_id}/matches": EVERYONE,
    "GET /requirements/{requirement_id}/match-row": EVERYONE,
    "POST /requirements/{requirement_id}/accept": INTAKE,
    "POST /requirements/{requirement_id}/reject": INTAKE,
    "POST /requirements/{requirement_id}/manual": INTAKE,
    "POST /requirement-matches/{match_id}/delete": INTAKE,
    "POST /requirement-lists/{list_id}/flag-unmatched": INTAKE,
    "GET /requirement-lists/{list_id}/answers": EVERYONE,
    "GET /requirements/{requirement_id}/answer": EVERYONE,
    "GET /requirements/{requirement_id}/answer/edit": INTAKE,
    "POST /requirements/{requirement_id}/answer": INTAKE,
    "POST /requirements/{requirement_id}/to-library": INTAKE,
    "GET /requirement-lists/{list_id}/export": EVERYONE,
    "GET /requirement-lists/{list_id}/compliance-matrix.xlsx": EVERYONE,
    "GET /answer-library": EVERYONE,
    "POST /answer-library": INTAKE,
    "GET /answer-library/{entry_id}/row": EVERYONE,
    "GET /answer-library/{entry_id}/edit": INTAKE,
    "POST /answer-library/{entry_id}": INTAKE,
    "POST /answer-library/{entry_id}/reviewed": INTAKE,
    "POST /answer-library/{entry_id}/delete": INTAKE,
    "GET /revisions/{revision_id}/requirements": EVERYONE,
    "GET /calibration": EVERYONE,
    "GET /calibration/charts/{name}.svg": EVERYONE,
    "GET /calibration/history": EVERYONE,
    "POST /calibration/imports/{import_id}/delete": EDITORS,
    "GET /calibration/import": EDITORS,
    "POST /calibration/import": EDITORS,
    "POST /calibration/import/{token}/preview": EDITORS,
    "POST /calibration/import/{token}/confirm": EDITORS,
    "GET /opportunities/{opportunity_id}/outcome": EVERYONE,
    "POST /opportunities/{opportunity_id}/outcome": EDITORS,
    "POST /opportunities/{opportunity_id}/actuals": EDITORS,
    "POST /logout": EVERYONE,
}
# Valid bodies, so an API write is refused for who asks, not for what was sent.
API_BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/estimates": {
        "opportunity_id": 1,
        "name": "matrix",
        "catalog_version_id": 1,
        "rate_card_id": 1,
    },
    "POST /api/v1/revisions/{revision_id}/lines": {"item_id": 1},
    "PATCH /api/v1/lines/{line_id}": {"lock_version": 1},
}
CALLERS: list[AccessRole | None] = [None, *AccessRole]
# Anonymous callers: the API says 401; pages send them to log in (303); a write without a
# session fails its CSRF check first (403).
REFUSED_ANONYMOUS = {True: {401}, False: {303, 401, 403}}


def app_routes(engine: Engine) -> Iterator[APIRoute]:
    """Every endpoint route of the app, through the routers it includes."""

    def walk(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            else:
                yield route

    yield from (route for route in walk(create_app(engine).routes) if isinstance(route, APIRoute))


def route_keys(engine: Engine) -> set[str]:
    return {
        f"{method} {route.path}"
        for route in app_routes(engine)
        for method in route.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_of_the_app_has_an_access_rule(seeded: Engine) -> None:
    served = route_keys(seeded)
    assert sorted(served - RULES.keys()) == [], "routes without an access rule"
    assert sorted(RULES.keys() - served) == [], "rules for routes that no longer exist"


def _first(session: Session, model: Any) -> int:
    row = session.exec(select(model).order_by(col(model.id))).first()
    return row.id if row is not None else 1


def _path_values(engine: Engine) -> dict[str, Any]:
    """Real ids of the seeded records; a victim user and token for the admin actions."""
    with write_session(engine) as session:
        victim = accounts.create_user(
            session, username="victim", password=PASSWORD, role=AccessRole.SALES
        )
        _, token = accounts.issue_api_token(session, user=victim, name="victim")
        values = {
            "user_id": victim.id,
            "token_id": token.id,
            "opportunity_id": _first(session, Opportunity),
            "revision_id": _first(session, EstimateRevision),
            "line_id": _first(session, EstimateLine),
            "version_id": _first(session, CatalogVersion),
            "item_id": _first(session, WorkItem),
            "card_id": _first(session, RateCard),
        }
    # Records the seed does not make: an id that names nothing still passes the role check
    # first, so an allowed caller gets 404 and a refused one 403.
    defaults = dict.fromkeys(
        (
            "run_id",
            "risk_id",
            "statement_id",
            "list_id",
            "block_index",
            "requirement_id",
            "match_id",
            "entry_id",
            "import_id",
        ),
        1,
    )
    return {**defaults, **values, "name": "histogram", "token": "0" * 32}


def _ordered(keys: set[str]) -> list[str]:
    """Reads first, then writes, logging out last."""
    return sorted(keys, key=lambda key: (key == "POST /logout", not key.startswith("GET"), key))


def _request(
    client: TestClient, key: str, values: dict[str, Any], csrf: str, token: str | None
) -> int:
    method, path = key.split(" ", 1)
    url = path.format(**values)
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = API_BODIES.get(key)
        return client.request(method, url, json=body, headers=headers).status_code
    data = {"csrf_token": csrf} if method != "GET" else None
    return client.request(method, url, data=data, follow_redirects=False).status_code


def _expected_ok(rule: Rule, caller: AccessRole | None) -> bool:
    if rule == PUBLIC:
        return True
    if rule == API:
        return caller is not None
    assert isinstance(rule, frozenset)
    return caller in rule


@pytest.mark.parametrize("caller", CALLERS, ids=lambda role: role.value if role else "anonymous")
def test_every_route_answers_each_caller_as_the_access_table_says(
    seeded: Engine, caller: AccessRole | None
) -> None:
    values = _path_values(seeded)
    token = None
    if caller is not None:
        with write_session(seeded) as session:
            user = session.exec(select(User).where(User.username == caller.value)).one()
            token, _ = accounts.issue_api_token(session, user=user, name="matrix")
    wrong: list[str] = []
    with make_client(seeded) as client:
        csrf = ""
        if caller is not None:
            assert log_in(client, caller.value).status_code == 303
            csrf = csrf_of(client)
        for key in _ordered(route_keys(seeded)):
            status = _request(client, key, values, csrf, token)
            api = key.split(" ", 1)[1].startswith("/api/")
            allowed = _expected_ok(RULES[key], caller)
            # Readiness says 503 when the database is not at the latest migration: by design.
            if status >= 500 and not (key == "GET /readyz" and status == 503):
                wrong.append(f"{key}: {status}")
            elif allowed and status in {401, 403}:
                wrong.append(f"{key}: {status}, expected to be let through")
            elif not allowed and caller is None and status not in REFUSED_ANONYMOUS[api]:
                wrong.append(f"{key}: {status}, expected to be refused")
            elif not allowed and caller is not None and status != 403:
                wrong.append(f"{key}: {status}, expected 403")
    assert wrong == []
