"""Plain functions that build valid records for tests."""

from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.models import (
    Catalog,
    CatalogVersion,
    Customer,
    Estimate,
    EstimateRevision,
    Opportunity,
    RateCard,
    RateCardEntry,
    Role,
    ThreePoint,
    WorkItemCreate,
)
from app.services import catalog as catalog_service
from app.vocabulary import Phase

ROLE_CODES = ("PM", "BA", "BE", "FE", "QA")


def make_roles(session: Session, codes: tuple[str, ...] = ROLE_CODES) -> dict[str, Role]:
    for order, code in enumerate(codes):
        session.add(
            Role(code=code, name_zh=f"角色{code}", name_en=f"Role {code}", sort_order=order)
        )
    session.flush()
    return catalog_service.roles_by_code(session)


def item(code: str = "DEV-001", **overrides: Any) -> WorkItemCreate:
    values: dict[str, Any] = {
        "code": code,
        "name_zh": f"工作项{code}",
        "name_en": f"Work item {code}",
        "phase": Phase.BUILD,
        "estimates": {"BE": ThreePoint(optimistic=2, most_likely=3, pessimistic=6)},
    }
    values.update(overrides)
    return WorkItemCreate(**values)


def make_catalog_version(
    session: Session, items: list[WorkItemCreate] | None = None, *, code: str = "test"
) -> CatalogVersion:
    catalog = Catalog(code=code, name_zh="测试目录", name_en="Test catalog")
    session.add(catalog)
    session.flush()
    return catalog_service.create_catalog_version(
        session, catalog=catalog, items=items if items is not None else [item()]
    )


def make_rate_card(session: Session, roles: dict[str, Role]) -> RateCard:
    card = RateCard(code="test-cny", name_zh="费率", name_en="Rates")
    card.entries = [
        RateCardEntry(
            role_id=role.id, cost_day_rate=Decimal("1000.00"), sell_day_rate=Decimal("1600.00")
        )
        for role in roles.values()
    ]
    session.add(card)
    session.flush()
    return card


def make_revision(session: Session, *, version: CatalogVersion, card: RateCard) -> EstimateRevision:
    customer = Customer(name="测试客户 & Co <HQ>")
    opportunity = Opportunity(customer=customer, name="测试项目", bid_number="T-001")
    estimate = Estimate(opportunity=opportunity, name="估算")
    revision = EstimateRevision(
        estimate=estimate, number=1, catalog_version_id=version.id, rate_card_id=card.id
    )
    session.add(revision)
    session.flush()
    return revision
