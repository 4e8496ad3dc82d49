"""Cost rates are confidential: sales-level views carry no cost or margin."""

import json
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.services.rates import rate_card_entries_for
from app.vocabulary import AccessRole
from tests import factories


@pytest.mark.parametrize("viewer", [AccessRole.SALES, AccessRole.BID])
def test_price_level_viewers_get_no_cost_or_margin_in_any_form(
    engine: Engine, viewer: AccessRole
) -> None:
    with Session(engine) as session:
        card = factories.make_rate_card(session, factories.make_roles(session))
        entries = rate_card_entries_for(card, viewer=viewer)
    dumped = json.dumps([entry.model_dump(mode="json") for entry in entries])
    assert "cost" not in dumped
    assert "margin" not in dumped
    assert "1000" not in dumped
    assert {entry.sell_day_rate for entry in entries} == {Decimal("1600.00")}


@pytest.mark.parametrize("viewer", [AccessRole.ADMIN, AccessRole.PRESALES])
def test_presales_and_admin_see_cost_and_margin(engine: Engine, viewer: AccessRole) -> None:
    with Session(engine) as session:
        card = factories.make_rate_card(session, factories.make_roles(session))
        entries = rate_card_entries_for(card, viewer=viewer)
    first = entries[0].model_dump()
    # Ref: factories.make_rate_card: cost 1000, sell 1600 -> margin (1600-1000)/1600 = 0.375
    assert first["cost_day_rate"] == Decimal("1000.00")
    assert first["margin_ratio"] == Decimal("0.3750")
