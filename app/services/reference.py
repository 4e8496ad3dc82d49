"""Reference data for forms: catalog versions and rate cards to choose from."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models import Catalog, CatalogVersion, RateCard
from app.vocabulary import VersionStatus


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class EstimateChoices:
    catalog_versions: list[Choice]
    rate_cards: list[Choice]


def estimate_choices(session: Session) -> EstimateChoices:
    """Published catalog versions and rate cards, newest first."""
    versions = session.exec(
        select(CatalogVersion, Catalog)
        .join(Catalog)
        .where(CatalogVersion.status == VersionStatus.PUBLISHED)
        .order_by(col(Catalog.code), col(CatalogVersion.number).desc())
    ).all()
    cards = session.exec(
        select(RateCard)
        .where(RateCard.status == VersionStatus.PUBLISHED)
        .order_by(col(RateCard.code), col(RateCard.version).desc())
    ).all()
    return EstimateChoices(
        catalog_versions=[
            Choice(version.id or 0, f"{catalog.name_zh} / {catalog.name_en} v{version.number}")
            for version, catalog in versions
        ],
        rate_cards=[
            Choice(
                card.id or 0, f"{card.name_zh} / {card.name_en} v{card.version} ({card.currency})"
            )
            for card in cards
        ],
    )
