"""The audit log: who changed what, and when."""

from typing import Any

from sqlmodel import Session, col, select

from app.models import AuditEvent, User


def record_event(
    session: Session,
    *,
    user: User | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    summary: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the caller's transaction: it commits or rolls back with the change."""
    event = AuditEvent(
        user_id=user.id if user else None,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        summary=summary[:2000],
        details=details or {},
    )
    session.add(event)
    return event


def recent_events(session: Session, *, limit: int = 200) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(
        col(AuditEvent.occurred_at).desc(), col(AuditEvent.id).desc()
    )
    return list(session.exec(query.limit(limit)))
