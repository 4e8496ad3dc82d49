"""Rate-card pages and draft editing.

What a viewer sees comes from :func:`app.services.rates.rate_card_entries_for`, so a
price-level view object has no cost or margin to leak, whatever the template does.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from app.errors import ConcurrentEditError, FieldError, ImmutableRecordError, NotFoundError
from app.models import RateCard, RateCardEntry, RateCardEntryCostPublic, User, utcnow
from app.services.audit import record_event
from app.services.catalog import roles_by_code
from app.services.rates import rate_card_entries_for
from app.vocabulary import AccessRole, Language, VersionStatus, can_see_cost


@dataclass(frozen=True)
class RateCardRow:
    id: int
    code: str
    version: int
    name: str
    currency: str
    status: str
    entry_count: int
    created_at: datetime
    published_at: datetime | None


@dataclass(frozen=True)
class RateRow:
    role_code: str
    role_name: str
    sell_day_rate: Decimal
    cost_day_rate: Decimal | None
    margin_ratio: Decimal | None


@dataclass(frozen=True)
class RateCardView:
    id: int
    code: str
    version: int
    name: str
    currency: str
    status: str
    editable: bool
    lock_version: int
    published_at: datetime | None
    sees_cost: bool
    rates: list[RateRow]


@dataclass(frozen=True)
class DayRates:
    cost: Decimal
    sell: Decimal


def _name(card: RateCard, language: Language) -> str:
    return card.name_zh if language == Language.ZH else card.name_en


def list_rate_cards(session: Session, language: Language) -> list[RateCardRow]:
    """Every rate card, by code, newest version first."""
    card_id = col(RateCardEntry.rate_card_id)
    counts = dict(session.exec(select(card_id, func.count()).group_by(card_id)).all())
    cards = session.exec(
        select(RateCard).order_by(col(RateCard.code), col(RateCard.version).desc())
    ).all()
    return [
        RateCardRow(
            id=card.id or 0,
            code=card.code,
            version=card.version,
            name=_name(card, language),
            currency=card.currency,
            status=card.status.value,
            entry_count=int(counts.get(card.id, 0)),
            created_at=card.created_at,
            published_at=card.published_at,
        )
        for card in cards
    ]


def get_rate_card(session: Session, card_id: int) -> RateCard:
    card = session.exec(
        select(RateCard)
        .where(RateCard.id == card_id)
        .options(selectinload(RateCard.entries).selectinload(RateCardEntry.role))  # type: ignore[arg-type]
    ).first()
    if card is None:
        raise NotFoundError(f"rate card {card_id} does not exist")
    return card


def rate_card_view(
    session: Session, card_id: int, *, viewer: AccessRole, language: Language
) -> RateCardView:
    """The card as ``viewer`` may see it: cost and margin only for cost-seeing roles."""
    card = get_rate_card(session, card_id)
    rates = _rate_rows(session, card, viewer=viewer, language=language)
    return RateCardView(
        id=card.id or 0,
        code=card.code,
        version=card.version,
        name=_name(card, language),
        currency=card.currency,
        status=card.status.value,
        editable=card.status == VersionStatus.DRAFT,
        lock_version=card.lock_version,
        published_at=card.published_at,
        sees_cost=can_see_cost(viewer),
        rates=rates,
    )


def _rate_rows(
    session: Session, card: RateCard, *, viewer: AccessRole, language: Language
) -> list[RateRow]:
    names = {
        role.code: role.name_zh if language == Language.ZH else role.name_en
        for role in roles_by_code(session).values()
    }
    rows = []
    for entry in rate_card_entries_for(card, viewer=viewer):
        with_cost = entry if isinstance(entry, RateCardEntryCostPublic) else None
        rows.append(
            RateRow(
                role_code=entry.role_code,
                role_name=names.get(entry.role_code, entry.role_code),
                sell_day_rate=entry.sell_day_rate,
                cost_day_rate=with_cost.cost_day_rate if with_cost else None,
                margin_ratio=with_cost.margin_ratio if with_cost else None,
            )
        )
    return rows


def role_codes_of(session: Session, card_id: int) -> list[str]:
    return [entry.role.code for entry in get_rate_card(session, card_id).entries]


# --- Changes ---------------------------------------------------------------------------------


def _draft(session: Session, card_id: int, expected_lock_version: int) -> RateCard:
    card = get_rate_card(session, card_id)
    if card.status != VersionStatus.DRAFT:
        raise ImmutableRecordError(
            f"rate card {card.code!r} version {card.version} is published and read-only; "
            "start a new draft from it to change rates"
        )
    if card.lock_version != expected_lock_version:
        raise _conflict(card)
    return card


def _conflict(card: RateCard) -> ConcurrentEditError:
    return ConcurrentEditError(
        f"rate card {card.code!r} version {card.version} was changed by someone else "
        f"(now at version {card.lock_version}); your changes were refused: the current "
        "rates are shown"
    )


def update_rates(
    session: Session,
    *,
    user: User,
    card_id: int,
    expected_lock_version: int,
    rates: dict[str, DayRates],
) -> RateCard:
    """Set the day rates of a draft card's roles (by role code)."""
    card = _draft(session, card_id, expected_lock_version)
    for entry in card.entries:
        new = rates.get(entry.role.code)
        if new is None:
            raise FieldError(f"sell_{entry.role.code}", "is required")
        entry.cost_day_rate, entry.sell_day_rate = new.cost, new.sell
    card.updated_at = utcnow()  # bumps the card's lock_version: one lock for the whole card
    session.add(card)
    try:
        session.flush()
    except StaleDataError as error:
        session.rollback()
        raise _conflict(get_rate_card(session, card_id)) from error
    _record(session, user, "update_rates", card, ", ".join(sorted(rates)))
    return card


def publish(session: Session, *, user: User, card_id: int, expected_lock_version: int) -> RateCard:
    card = _draft(session, card_id, expected_lock_version)
    card.status = VersionStatus.PUBLISHED
    card.published_at = utcnow()
    session.add(card)
    session.flush()
    _record(session, user, "publish", card, f"{card.code} version {card.version}")
    return card


def new_draft(session: Session, *, user: User, card_id: int) -> RateCard:
    """A new draft version of the card's code, holding a copy of its rates."""
    source = get_rate_card(session, card_id)
    latest = session.exec(
        select(func.max(RateCard.version)).where(RateCard.code == source.code)
    ).one()
    draft = RateCard(
        code=source.code,
        version=(latest or 0) + 1,
        name_zh=source.name_zh,
        name_en=source.name_en,
        currency=source.currency,
    )
    draft.entries = [
        RateCardEntry(
            role_id=entry.role_id,
            cost_day_rate=entry.cost_day_rate,
            sell_day_rate=entry.sell_day_rate,
        )
        for entry in source.entries
    ]
    session.add(draft)
    session.flush()
    _record(session, user, "new_draft", draft, f"based on version {source.version}")
    return draft


def _record(session: Session, user: User, action: str, card: RateCard, summary: str) -> None:
    record_event(
        session,
        user=user,
        action=action,
        entity_type="rate_card",
        entity_id=card.id,
        summary=summary,
    )
