"""Opportunity queries shaped for the pages."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from app.models import Opportunity
from app.vocabulary import OpportunityStatus


@dataclass(frozen=True)
class OpportunityRow:
    id: int
    customer: str
    name: str
    bid_number: str
    bid_deadline: date | None
    status: OpportunityStatus
    estimate_count: int


def list_opportunities(session: Session) -> list[OpportunityRow]:
    query = (
        select(Opportunity)
        .options(selectinload(Opportunity.customer), selectinload(Opportunity.estimates))  # type: ignore[arg-type]
        .order_by(col(Opportunity.bid_deadline).is_(None), col(Opportunity.bid_deadline))
    )
    return [
        OpportunityRow(
            id=opportunity.id or 0,
            customer=opportunity.customer.name,
            name=opportunity.name,
            bid_number=opportunity.bid_number,
            bid_deadline=opportunity.bid_deadline,
            status=opportunity.status,
            estimate_count=len(opportunity.estimates),
        )
        for opportunity in session.exec(query)
    ]
