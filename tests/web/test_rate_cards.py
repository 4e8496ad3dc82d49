"""Rate cards through HTTP: price-level views for sales and bid, draft editing for admins."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.models import AuditEvent, RateCard
from app.vocabulary import AccessRole, VersionStatus
from tests.web.conftest import Browser

Open = Callable[[AccessRole], Browser]
NOT_ADMIN = [AccessRole.PRESALES, AccessRole.SALES, AccessRole.BID]
PRICE_LEVEL = [AccessRole.SALES, AccessRole.BID]
COST_SEEING = [AccessRole.ADMIN, AccessRole.PRESALES]

# Ref: data/rate_cards/default_cny.yaml. PM's cost (1800) equals OPS's sell rate and BA's
# cost (1500) equals QA's sell rate, so only the cost figures that are nobody's sell rate
# can be checked for absence: ARCH 2300, UI 1200, FE 1300, OPS 1100, IMPL 850 (and QA 900).
COST_ONLY_FIGURES = ["2,300", "2300", "1,200", "1200", "1,300", "1300", "1,100", "1100", "850"]
# PM: (2800 - 1800) / 2800 = 35.7 %; ARCH: (3600 - 2300) / 3600 = 36.1 %.
MARGINS = ["35.7%", "36.1%"]
SELL_FIGURES = ["2,800.00", "3,600.00", "1,400.00"]


def _card(engine: Engine) -> RateCard:
    with Session(engine) as session:
        card = session.exec(
            select(RateCard).where(RateCard.code == "default-cny", RateCard.version == 1)
        ).one()
        assert card.status == VersionStatus.PUBLISHED
        return card


def _new_draft(browser: Browser, card_id: int) -> int:
    response = browser.post(f"/rate-cards/{card_id}/new-draft")
    assert response.status_code == 303
    return int(response.headers["location"].rsplit("/", 1)[1])


def _rates(engine: Engine, card_id: int) -> dict[str, tuple[Decimal, Decimal]]:
    with Session(engine) as session:
        card = session.get(RateCard, card_id)
        assert card is not None
        return {e.role.code: (e.cost_day_rate, e.sell_day_rate) for e in card.entries}


def _rate_form(engine: Engine, card_id: int, **overrides: str) -> dict[str, object]:
    with Session(engine) as session:
        card = session.get(RateCard, card_id)
        assert card is not None
        form: dict[str, object] = {"lock_version": card.lock_version}
        for entry in card.entries:
            form[f"cost_{entry.role.code}"] = str(entry.cost_day_rate)
            form[f"sell_{entry.role.code}"] = str(entry.sell_day_rate)
    form.update(overrides)
    return form


def test_every_role_sees_the_rate_card_list_and_its_fragment(open_as: Open) -> None:
    for role in AccessRole:
        browser = open_as(role)
        page = browser.get("/rate-cards")
        assert page.status_code == 200
        assert "标准人天费率（人民币）" in page.text
        fragment = browser.get("/rate-cards", headers={"HX-Request": "true"})
        assert fragment.text.lstrip().startswith('<table class="compact" id="cards">')


@pytest.mark.parametrize("role", COST_SEEING)
def test_admin_and_presales_see_cost_rates_and_margins(
    open_as: Open, seeded: Engine, role: AccessRole
) -> None:
    page = open_as(role).get(f"/rate-cards/{_card(seeded).id}")
    assert page.status_code == 200
    for figure in ["¥1,800.00", "¥2,300.00", "¥2,800.00", *MARGINS]:
        assert figure in page.text


@pytest.mark.parametrize("role", PRICE_LEVEL)
def test_sales_and_bid_see_sell_rates_and_never_a_cost_figure_or_margin(
    open_as: Open, seeded: Engine, role: AccessRole
) -> None:
    browser = open_as(role)
    card_id = _card(seeded).id
    responses = [
        browser.get(f"/rate-cards/{card_id}"),
        browser.get(f"/rate-cards/{card_id}", headers={"HX-Request": "true"}),
        browser.get("/rate-cards"),
    ]
    for response in responses[:2]:
        assert response.status_code == 200
        for figure in SELL_FIGURES:
            assert figure in response.text
    assert responses[1].text.lstrip().startswith('<section id="entries">')
    for response in responses:
        for secret in [*COST_ONLY_FIGURES, *MARGINS, "成本人天单价", "毛利率</th>"]:
            assert secret not in response.text, secret


@pytest.mark.parametrize("role", PRICE_LEVEL)
def test_refused_changes_reveal_no_cost_either(
    open_as: Open, seeded: Engine, role: AccessRole
) -> None:
    card_id = _card(seeded).id
    response = open_as(role).post(f"/rate-cards/{card_id}/entries", {"cost_PM": "1"})
    assert response.status_code == 403
    for secret in [*COST_ONLY_FIGURES, *MARGINS]:
        assert secret not in response.text


@pytest.mark.parametrize("role", NOT_ADMIN)
def test_only_admins_may_change_rate_cards(open_as: Open, seeded: Engine, role: AccessRole) -> None:
    card = _card(seeded)
    browser = open_as(role)
    refused = [
        browser.post(f"/rate-cards/{card.id}/new-draft"),
        browser.post(f"/rate-cards/{card.id}/publish", {"lock_version": card.lock_version}),
        browser.post(f"/rate-cards/{card.id}/entries", _rate_form(seeded, card.id or 0)),
    ]
    assert [response.status_code for response in refused] == [403, 403, 403]
    with Session(seeded) as session:
        assert len(session.exec(select(RateCard)).all()) == 1


def test_a_change_without_the_csrf_token_is_refused(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.ADMIN)
    response = browser.client.post(
        f"/rate-cards/{_card(seeded).id}/new-draft", data={}, follow_redirects=False
    )
    assert response.status_code == 403


def test_an_admin_edits_a_draft_card_with_exact_money(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _card(seeded).id or 0)
    page = browser.get(f"/rate-cards/{draft_id}")
    assert 'name="sell_PM"' in page.text
    response = browser.post(
        f"/rate-cards/{draft_id}/entries",
        _rate_form(seeded, draft_id, sell_PM="2,950.50", cost_PM="¥1900"),
        htmx=True,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="entries">')
    assert _rates(seeded, draft_id)["PM"] == (Decimal("1900.00"), Decimal("2950.50"))
    assert _rates(seeded, _card(seeded).id or 0)["PM"] == (Decimal("1800.00"), Decimal("2800.00"))
    plain = browser.post(f"/rate-cards/{draft_id}/entries", _rate_form(seeded, draft_id))
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/rate-cards/{draft_id}#entries"


@pytest.mark.parametrize("bad", ["abc", "nan", "-5", "inf", ""])
def test_an_invalid_amount_is_refused_naming_the_field_and_nothing_is_saved(
    open_as: Open, seeded: Engine, bad: str
) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _card(seeded).id or 0)
    form = _rate_form(seeded, draft_id, sell_BA=bad, cost_PM="1234.00")
    response = browser.post(f"/rate-cards/{draft_id}/entries", form, htmx=True)
    assert response.status_code == 422
    assert 'data-field="sell_BA"' in response.text
    assert 'value="1234.00"' in response.text  # what was typed is kept for fixing
    assert _rates(seeded, draft_id)["PM"][0] == Decimal("1800.00")


def test_the_second_of_two_rate_editors_gets_a_conflict_with_the_current_rates(
    open_as: Open, seeded: Engine
) -> None:
    first, second = open_as(AccessRole.ADMIN), open_as(AccessRole.ADMIN)
    draft_id = _new_draft(first, _card(seeded).id or 0)
    loaded = _rate_form(seeded, draft_id)
    saved = first.post(f"/rate-cards/{draft_id}/entries", {**loaded, "sell_QA": "1600"}, htmx=True)
    assert saved.status_code == 200
    response = second.post(
        f"/rate-cards/{draft_id}/entries", {**loaded, "sell_QA": "1700"}, htmx=True
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert 'value="1600.00"' in response.text
    assert _rates(seeded, draft_id)["QA"][1] == Decimal("1600.00")


def test_a_published_card_is_read_only(open_as: Open, seeded: Engine) -> None:
    card = _card(seeded)
    browser = open_as(AccessRole.ADMIN)
    page = browser.get(f"/rate-cards/{card.id}")
    assert 'name="sell_PM"' not in page.text
    response = browser.post(
        f"/rate-cards/{card.id}/entries", _rate_form(seeded, card.id or 0, sell_PM="1"), htmx=True
    )
    assert response.status_code == 409
    assert "is published and read-only" in response.text
    assert _rates(seeded, card.id or 0)["PM"][1] == Decimal("2800.00")


def test_publishing_a_draft_card_and_publishing_it_again(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _card(seeded).id or 0)
    with Session(seeded) as session:
        draft = session.get(RateCard, draft_id)
        assert draft is not None
        assert (draft.version, draft.status) == (2, VersionStatus.DRAFT)
        lock_version = draft.lock_version
    published = browser.post(
        f"/rate-cards/{draft_id}/publish", {"lock_version": lock_version}, htmx=True
    )
    assert published.status_code == 200
    assert published.text.lstrip().startswith('<section id="card">')
    assert "status-published" in published.text
    again = browser.post(f"/rate-cards/{draft_id}/publish", {"lock_version": lock_version})
    assert again.status_code == 409
    assert "is published and read-only" in again.text


def test_a_stale_publish_is_a_conflict(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _card(seeded).id or 0)
    loaded = _rate_form(seeded, draft_id)
    browser.post(f"/rate-cards/{draft_id}/entries", loaded, htmx=True)
    stale = browser.post(
        f"/rate-cards/{draft_id}/publish", {"lock_version": loaded["lock_version"]}, htmx=True
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text


def test_without_javascript_publishing_redirects_back_to_the_card(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _card(seeded).id or 0)
    lock_version = _rate_form(seeded, draft_id)["lock_version"]
    response = browser.post(f"/rate-cards/{draft_id}/publish", {"lock_version": lock_version})
    assert response.status_code == 303
    assert response.headers["location"] == f"/rate-cards/{draft_id}#card"


def test_rate_card_changes_are_recorded_in_the_audit_log(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _card(seeded).id or 0)
    browser.post(f"/rate-cards/{draft_id}/entries", _rate_form(seeded, draft_id), htmx=True)
    with Session(seeded) as session:
        actions = session.exec(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "rate_card", AuditEvent.entity_id == draft_id)
            .order_by(col(AuditEvent.id))
        ).all()
    assert actions == ["new_draft", "update_rates"]
