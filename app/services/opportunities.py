"""Opportunities (bids) and their customers, shaped for the pages."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from app.errors import FieldError, NotFoundError
from app.models import (
    Customer,
    Estimate,
    EstimateRevision,
    Opportunity,
    SimulationRun,
    User,
)
from app.services.audit import record_event
from app.vocabulary import OpportunityStatus, RunStatus


@dataclass(frozen=True)
class OpportunityRow:
    id: int
    customer: str
    name: str
    bid_number: str
    bid_deadline: date | None
    status: OpportunityStatus
    estimate_count: int
    currency: str
    latest_p80_price: Decimal | None


def _latest_p80_prices(session: Session) -> dict[int, Decimal]:
    """Per opportunity, the P80 price of its most recent successful run.

    The latest run is found on small columns, and only those runs' summaries are read:
    reading every run's summary made the dashboard slower with each run ever made (on
    SQLite a summary lies behind the run's snapshot, ~115 pages of a 200-line estimate).
    """
    latest = (
        select(
            col(Estimate.opportunity_id).label("opportunity_id"),
            func.max(col(SimulationRun.id)).label("run_id"),
        )
        .join(EstimateRevision, col(EstimateRevision.estimate_id) == col(Estimate.id))
        .join(SimulationRun, col(SimulationRun.revision_id) == col(EstimateRevision.id))
        .where(SimulationRun.status == RunStatus.SUCCEEDED)
        .group_by(col(Estimate.opportunity_id))
        .subquery()
    )
    query = select(latest.c.opportunity_id, SimulationRun.summary).join(
        SimulationRun, col(SimulationRun.id) == latest.c.run_id
    )
    prices: dict[int, Decimal] = {}
    for opportunity_id, summary in session.exec(query):
        price = (summary or {}).get("price_p80")
        if price is not None:
            prices[opportunity_id] = Decimal(str(price))
    return prices


def list_opportunities(session: Session) -> list[OpportunityRow]:
    query = (
        select(Opportunity)
        .options(selectinload(Opportunity.customer), selectinload(Opportunity.estimates))  # type: ignore[arg-type]
        .order_by(col(Opportunity.bid_deadline).is_(None), col(Opportunity.bid_deadline))
    )
    prices = _latest_p80_prices(session)
    return [
        OpportunityRow(
            id=opportunity.id or 0,
            customer=opportunity.customer.name,
            name=opportunity.name,
            bid_number=opportunity.bid_number,
            bid_deadline=opportunity.bid_deadline,
            status=opportunity.status,
            estimate_count=len(opportunity.estimates),
            currency=opportunity.currency,
            latest_p80_price=prices.get(opportunity.id or 0),
        )
        for opportunity in session.exec(query)
    ]


def get_opportunity(session: Session, opportunity_id: int) -> Opportunity:
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        raise NotFoundError(f"opportunity {opportunity_id} does not exist")
    return opportunity


def create_opportunity(
    session: Session,
    *,
    user: User,
    customer_name: str,
    name: str,
    bid_number: str = "",
    bid_deadline: date | None = None,
    currency: str = "CNY",
    description: str = "",
) -> Opportunity:
    customer_name, name = customer_name.strip(), name.strip()
    if not customer_name:
        raise FieldError("customer_name", "customer is required")
    if not name:
        raise FieldError("name", "name is required")
    customer = session.exec(select(Customer).where(Customer.name == customer_name)).first()
    opportunity = Opportunity(
        customer=customer or Customer(name=customer_name),
        name=name,
        bid_number=bid_number.strip(),
        bid_deadline=bid_deadline,
        currency=currency,
        description=description,
        status=OpportunityStatus.BIDDING,
    )
    session.add(opportunity)
    session.flush()
    record_event(
        session,
        user=user,
        action="create",
        entity_type="opportunity",
        entity_id=opportunity.id,
        summary=f"{customer_name} / {name}",
    )
    return opportunity
