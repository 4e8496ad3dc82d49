"""Rate cards as each role may see them: cost and margin only for those allowed."""

from decimal import ROUND_HALF_UP, Decimal

from app.models import RateCard, RateCardEntryCostPublic, RateCardEntryPricePublic
from app.vocabulary import AccessRole, can_see_cost

_RATIO = Decimal("0.0001")


def rate_card_entries_for(card: RateCard, *, viewer: AccessRole) -> list[RateCardEntryPricePublic]:
    """The card's rates for ``viewer``; price-level objects carry no cost field at all."""
    if not can_see_cost(viewer):
        return [
            RateCardEntryPricePublic(role_code=entry.role.code, sell_day_rate=entry.sell_day_rate)
            for entry in card.entries
        ]
    return [
        RateCardEntryCostPublic(
            role_code=entry.role.code,
            sell_day_rate=entry.sell_day_rate,
            cost_day_rate=entry.cost_day_rate,
            margin_ratio=_margin(entry.sell_day_rate, entry.cost_day_rate),
        )
        for entry in card.entries
    ]


def _margin(sell: Decimal, cost: Decimal) -> Decimal | None:
    if sell == 0:
        return None
    return ((sell - cost) / sell).quantize(_RATIO, rounding=ROUND_HALF_UP)
