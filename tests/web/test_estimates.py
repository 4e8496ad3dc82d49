"""The estimate editor through HTTP, as page and as htmx fragment, for each role."""

import re
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.models import EstimateLine, EstimateRevision, Opportunity, Role, WorkItem
from app.vocabulary import AccessRole, RevisionStatus
from tests.web.conftest import Browser

Open = Callable[[AccessRole], Browser]


def _demo_revision(engine: Engine) -> EstimateRevision:
    with Session(engine) as session:
        return session.exec(select(EstimateRevision)).one()


def _first_line(engine: Engine, revision_id: int) -> EstimateLine:
    with Session(engine) as session:
        line = session.exec(
            select(EstimateLine)
            .where(EstimateLine.revision_id == revision_id)
            .order_by(col(EstimateLine.id))
        ).first()
        assert line is not None
        line.roles  # noqa: B018 - load before the session closes
        return line


def test_every_role_sees_the_dashboard_with_the_demo_bid(open_as: Open) -> None:
    for role in AccessRole:
        page = open_as(role).get("/")
        assert page.status_code == 200
        assert "DEMO-2026-001" in page.text
        assert ("/opportunities/new" in page.text) == (
            role in {AccessRole.ADMIN, AccessRole.PRESALES}
        )


def test_the_dashboard_fragment_is_only_the_table(open_as: Open) -> None:
    response = open_as(AccessRole.SALES).get("/", headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith("<table")
    assert "<html" not in response.text
    assert response.headers["vary"] == "HX-Request"


def test_history_restore_requests_get_the_full_page(open_as: Open) -> None:
    response = open_as(AccessRole.SALES).get(
        "/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.text


def test_presales_creates_an_opportunity_and_an_estimate(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.PRESALES)
    created = browser.post(
        "/opportunities",
        {
            "customer_name": "某某银行 & Co <HQ>",
            "name": "核心系统改造",
            "bid_deadline": "2027-01-15",
        },
    )
    assert created.status_code == 303
    page = browser.get(created.headers["location"])
    assert "某某银行 &amp; Co &lt;HQ&gt;" in page.text
    versions = re.search(r'name="catalog_version_id" required>\s*<option value="(\d+)"', page.text)
    cards = re.search(r'name="rate_card_id" required>\s*<option value="(\d+)"', page.text)
    assert versions
    assert cards
    estimate = browser.post(
        created.headers["location"] + "/estimates",
        {"name": "估算A", "catalog_version_id": versions.group(1), "rate_card_id": cards.group(1)},
    )
    assert estimate.status_code == 303
    assert "/revisions/" in estimate.headers["location"]


def test_a_missing_opportunity_name_is_refused_with_the_field_named(open_as: Open) -> None:
    response = open_as(AccessRole.PRESALES).post(
        "/opportunities", {"customer_name": "客户", "name": "  ", "bid_deadline": "2027-13-45"}
    )
    assert response.status_code == 422
    assert "aria-invalid" in response.text
    assert "is not a date" in response.text or "is required" in response.text


@pytest.mark.parametrize("role", [AccessRole.SALES, AccessRole.BID])
def test_price_level_roles_cannot_change_estimates(
    open_as: Open, seeded: Engine, role: AccessRole
) -> None:
    browser = open_as(role)
    revision = _demo_revision(seeded)
    assert browser.post("/opportunities", {"customer_name": "x", "name": "y"}).status_code == 403
    assert browser.post(f"/revisions/{revision.id}/lines", {"item_id": 1}).status_code == 403
    page = browser.get(f"/revisions/{revision.id}")
    assert page.status_code == 200
    assert "/new-revision" not in page.text
    line = _first_line(seeded, revision.id)
    row = browser.get(f"/lines/{line.id}/row", headers={"HX-Request": "true"})
    for html in (page.text, row.text):
        assert f"/lines/{line.id}/edit" not in html
        assert f"/lines/{line.id}/delete" not in html


def test_editors_get_the_edit_and_remove_actions_on_a_draft_row(
    open_as: Open, seeded: Engine
) -> None:
    revision = _demo_revision(seeded)
    line = _first_line(seeded, revision.id)
    browser = open_as(AccessRole.PRESALES)
    for html in (
        browser.get(f"/revisions/{revision.id}").text,
        browser.get(f"/lines/{line.id}/row", headers={"HX-Request": "true"}).text,
    ):
        assert f"/lines/{line.id}/edit" in html
        assert f"/lines/{line.id}/delete" in html


def test_catalog_search_matches_two_character_chinese_terms(open_as: Open, seeded: Engine) -> None:
    revision = _demo_revision(seeded)
    response = open_as(AccessRole.PRESALES).get(
        f"/revisions/{revision.id}/catalog-search",
        params={"q": "登录"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="search-results">')
    assert "DEV-003" in response.text
    assert "单点登录" in response.text


def test_adding_an_item_returns_the_refreshed_lines(open_as: Open, seeded: Engine) -> None:
    revision = _demo_revision(seeded)
    with Session(seeded) as session:
        item = session.exec(
            select(WorkItem).where(
                WorkItem.code == "DEV-031",
                WorkItem.catalog_version_id == revision.catalog_version_id,
            )
        ).one()
    browser = open_as(AccessRole.PRESALES)
    response = browser.post(
        f"/revisions/{revision.id}/lines", {"item_id": item.id, "quantity": "2"}, htmx=True
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="lines">')
    assert "DEV-031" in response.text
    bad = browser.post(
        f"/revisions/{revision.id}/lines", {"item_id": item.id, "quantity": "nan"}, htmx=True
    )
    assert bad.status_code == 422
    assert "quantity" in bad.text


def _line_form(line: EstimateLine, **overrides: str) -> dict[str, object]:
    form: dict[str, object] = {
        "lock_version": line.lock_version,
        "quantity": "3",
        "complexity_factor": "1.2",
        "note": "客户要求对接两套系统",
    }
    for role in line.roles:
        for part, value in zip(
            ("optimistic", "most_likely", "pessimistic"), role.effective, strict=True
        ):
            form[f"role_{role.role_id}_{part}"] = str(value)
    form.update(overrides)
    return form


def test_an_invalid_triple_is_refused_inline_naming_the_field_and_nothing_is_saved(
    open_as: Open, seeded: Engine
) -> None:
    revision = _demo_revision(seeded)
    line = _first_line(seeded, revision.id)
    role_id = line.roles[0].role_id
    browser = open_as(AccessRole.PRESALES)
    response = browser.post(
        f"/lines/{line.id}",
        _line_form(
            line, **{f"role_{role_id}_optimistic": "50", f"role_{role_id}_most_likely": "10"}
        ),
        htmx=True,
    )
    assert response.status_code == 422
    assert f'data-field="role_{role_id}_optimistic"' in response.text
    assert "optimistic=50 is above most_likely=10" in response.text
    assert response.text.lstrip().startswith(f'<tr id="line-{line.id}" class="editing">')
    assert _first_line(seeded, revision.id).quantity == line.quantity


def test_a_valid_edit_is_saved_and_the_row_comes_back(open_as: Open, seeded: Engine) -> None:
    revision = _demo_revision(seeded)
    line = _first_line(seeded, revision.id)
    role_id = line.roles[0].role_id
    response = open_as(AccessRole.PRESALES).post(
        f"/lines/{line.id}",
        _line_form(line, **{f"role_{role_id}_pessimistic": "99"}),
        htmx=True,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="line-{line.id}">')
    saved = _first_line(seeded, revision.id)
    assert saved.quantity == 3
    assert saved.complexity_factor == 1.2
    assert saved.roles[0].override_pessimistic == 99
    assert saved.lock_version == line.lock_version + 1


def test_the_second_of_two_editors_gets_a_conflict_with_the_current_values(
    open_as: Open, seeded: Engine
) -> None:
    revision = _demo_revision(seeded)
    line = _first_line(seeded, revision.id)
    alice, bob = open_as(AccessRole.PRESALES), open_as(AccessRole.ADMIN)
    assert (
        alice.post(f"/lines/{line.id}", _line_form(line, quantity="7"), htmx=True).status_code
        == 200
    )
    response = bob.post(f"/lines/{line.id}", _line_form(line, quantity="9"), htmx=True)
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert 'name="quantity" class="narrow" inputmode="decimal" value="7"' in response.text
    assert _first_line(seeded, revision.id).quantity == 7


def test_without_javascript_a_line_edit_redirects_back_to_the_page(
    open_as: Open, seeded: Engine
) -> None:
    revision = _demo_revision(seeded)
    line = _first_line(seeded, revision.id)
    browser = open_as(AccessRole.PRESALES)
    edit_page = browser.get(f"/lines/{line.id}/edit")
    assert "<html" in edit_page.text
    assert f'action="/lines/{line.id}"' in edit_page.text
    response = browser.post(f"/lines/{line.id}", _line_form(line))
    assert response.status_code == 303
    assert response.headers["location"] == f"/revisions/{revision.id}#line-{line.id}"


def test_risks_are_validated_and_added(open_as: Open, seeded: Engine) -> None:
    revision = _demo_revision(seeded)
    browser = open_as(AccessRole.PRESALES)
    bad = browser.post(
        f"/revisions/{revision.id}/risks",
        {"title": "需求变更", "probability": "1.5", "impact_days_most_likely": "5"},
        htmx=True,
    )
    assert bad.status_code == 422
    assert "probability" in bad.text
    good = browser.post(
        f"/revisions/{revision.id}/risks",
        {
            "title": "需求变更频繁",
            "probability": "30%",
            "impact_days_optimistic": "2",
            "impact_days_most_likely": "5",
            "impact_days_pessimistic": "15",
        },
        htmx=True,
    )
    assert good.status_code == 200
    assert "需求变更频繁" in good.text
    assert "30.0%" in good.text


def test_settings_refuse_out_of_range_iterations_and_save_valid_ones(
    open_as: Open, seeded: Engine
) -> None:
    revision = _demo_revision(seeded)
    browser = open_as(AccessRole.PRESALES)
    form = {
        "lock_version": revision.lock_version,
        "confidence_level": "0.9",
        "iterations": "500",
        "seed": "7",
        "sampling": "lhs",
        "ranges_are": "p10_p90",
        "pert_lambda": "4",
        "rho_within_phase": "0.3",
        "rho_within_role": "0",
    }
    bad = browser.post(f"/revisions/{revision.id}/settings", form, htmx=True)
    assert bad.status_code == 422
    assert "iterations" in bad.text
    good = browser.post(
        f"/revisions/{revision.id}/settings", {**form, "iterations": "20000"}, htmx=True
    )
    assert good.status_code == 200
    saved = _demo_revision(seeded)
    assert (saved.iterations, saved.sampling, saved.confidence_level) == (20000, "lhs", 0.9)
    assert saved.correlation_groups == [{"by": "phase", "key": "*", "rho": 0.3}]


def test_team_fte_are_saved_and_negative_values_refused(open_as: Open, seeded: Engine) -> None:
    revision = _demo_revision(seeded)
    with Session(seeded) as session:
        pm = session.exec(select(Role).where(Role.code == "PM")).one()
    browser = open_as(AccessRole.PRESALES)
    assert (
        browser.post(
            f"/revisions/{revision.id}/team", {f"fte_{pm.id}": "-1"}, htmx=True
        ).status_code
        == 422
    )
    assert (
        browser.post(
            f"/revisions/{revision.id}/team", {f"fte_{pm.id}": "1.5"}, htmx=True
        ).status_code
        == 200
    )


def test_a_new_revision_copies_everything_and_freezes_the_old_one(
    open_as: Open, seeded: Engine
) -> None:
    revision = _demo_revision(seeded)
    browser = open_as(AccessRole.PRESALES)
    response = browser.post(f"/revisions/{revision.id}/new-revision")
    assert response.status_code == 303
    with Session(seeded) as session:
        old = session.get(EstimateRevision, revision.id)
        new = session.exec(select(EstimateRevision).where(EstimateRevision.number == 2)).one()
        assert old is not None
        assert old.status == RevisionStatus.FROZEN
        assert len(new.lines) == len(old.lines)
        assert [r.title for r in new.risks] == [r.title for r in old.risks]
        assert len(new.staffing) == len(old.staffing)
        old_line_id = old.lines[0].id
    frozen_edit = browser.post(
        f"/lines/{old_line_id}", _line_form(_first_line(seeded, revision.id)), htmx=True
    )
    assert frozen_edit.status_code == 409
    assert "frozen" in frozen_edit.text


def test_opportunity_names_render_escaped(open_as: Open, seeded: Engine) -> None:
    with Session(seeded) as session:
        opportunity = session.exec(select(Opportunity)).one()
        opportunity.name = "<img src=x onerror=alert(1)>"
        session.add(opportunity)
        session.commit()
    page = open_as(AccessRole.SALES).get("/").text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
