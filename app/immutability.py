"""Refuse, at flush time, any change to what must never change.

Published catalog and rate-card versions, frozen estimate revisions and finished simulation
runs are records that documents and bids point at. Services check these rules too, to give
a friendly message early; this listener is the guarantee that no code path gets round them.
"""

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.errors import ImmutableRecordError
from app.models import (
    FINISHED_RUN_STATUSES,
    CatalogVersion,
    EstimateLine,
    EstimateLineRole,
    EstimateRevision,
    RateCard,
    RateCardEntry,
    Risk,
    SimulationRun,
    Staffing,
    Statement,
    WorkItem,
    WorkItemEstimate,
)
from app.vocabulary import RevisionStatus, VersionStatus


def _persisted_value(session: Session, obj: Any, attribute: str) -> Any:
    """The value as stored in the database (before this flush), or None for a new object."""
    state = inspect(obj)
    if state.pending or state.transient:
        return None
    history = state.attrs[attribute].history
    if history.deleted:
        return history.deleted[0]
    if not history.added:
        return getattr(obj, attribute)
    # Set while expired (e.g. after a commit): the old value was never loaded, so ask.
    model = type(obj)
    with session.no_autoflush:
        return session.execute(
            select(getattr(model, attribute)).where(model.id == obj.id)
        ).scalar_one_or_none()


def _parent(session: Session, obj: Any, relationship: str, key: str, model: type) -> Any | None:
    """The parent object: in memory when just attached, else loaded by its key."""
    parent = obj.__dict__.get(relationship)
    if parent is not None:
        return parent
    parent_id = getattr(obj, key)
    return session.get(model, parent_id) if parent_id is not None else None


def _owner_of(session: Session, obj: Any) -> Any | None:
    """The versioned parent whose status decides whether ``obj`` may change."""
    if isinstance(obj, WorkItem):
        return _parent(session, obj, "catalog_version", "catalog_version_id", CatalogVersion)
    if isinstance(obj, WorkItemEstimate):
        item = _parent(session, obj, "work_item", "work_item_id", WorkItem)
        return _owner_of(session, item) if item is not None else None
    if isinstance(obj, RateCardEntry):
        return _parent(session, obj, "rate_card", "rate_card_id", RateCard)
    if isinstance(obj, EstimateLine | Risk | Statement | Staffing):
        return _parent(session, obj, "revision", "revision_id", EstimateRevision)
    if isinstance(obj, EstimateLineRole):
        line = _parent(session, obj, "line", "line_id", EstimateLine)
        return _owner_of(session, line) if line is not None else None
    return None


def _is_locked(session: Session, record: Any) -> bool:
    if isinstance(record, CatalogVersion | RateCard):
        return bool(_persisted_value(session, record, "status") == VersionStatus.PUBLISHED)
    if isinstance(record, EstimateRevision):
        return bool(_persisted_value(session, record, "status") == RevisionStatus.FROZEN)
    if isinstance(record, SimulationRun):
        return _persisted_value(session, record, "status") in FINISHED_RUN_STATUSES
    return False


def _describe(record: Any) -> str:
    if isinstance(record, CatalogVersion):
        return f"catalog version {record.number} is published"
    if isinstance(record, RateCard):
        return f"rate card {record.code!r} version {record.version} is published"
    if isinstance(record, EstimateRevision):
        return f"estimate revision {record.number} is frozen"
    if isinstance(record, SimulationRun):
        return f"simulation run {record.id} is finished"
    return f"{type(record).__name__} is read-only"


def check_flush(session: Session) -> None:
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in [*session.new, *changed, *session.deleted]:
        if _is_locked(session, obj):
            raise ImmutableRecordError(f"{_describe(obj)} and cannot be changed")
        owner = _owner_of(session, obj)
        if owner is not None and _is_locked(session, owner):
            raise ImmutableRecordError(
                f"{_describe(owner)}: its {type(obj).__name__} records cannot be changed"
            )


@event.listens_for(OrmSession, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    check_flush(session)
