"""Estimate use-cases: lines copied from the catalog, edits guarded by optimistic locking."""

from dataclasses import dataclass

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from app.errors import ConcurrentEditError, NotFoundError
from app.models import (
    EstimateLine,
    EstimateLineRole,
    EstimateRevision,
    ThreePoint,
    WorkItem,
    utcnow,
    work_item_fields,
)


def add_line_from_item(
    session: Session,
    *,
    revision: EstimateRevision,
    item: WorkItem,
    quantity: float = 1.0,
    complexity_factor: float = 1.0,
) -> EstimateLine:
    """Copy a catalog item's values into a new line; later catalog edits never change it."""
    line = EstimateLine(
        revision_id=revision.id or 0,
        work_item_id=item.id,
        source_catalog_version_id=item.catalog_version_id,
        **work_item_fields(item),
        quantity=quantity,
        complexity_factor=complexity_factor,
        position=len(revision.lines),
    )
    line.roles = [
        EstimateLineRole(
            role_id=estimate.role_id,
            optimistic=estimate.optimistic,
            most_likely=estimate.most_likely,
            pessimistic=estimate.pessimistic,
        )
        for estimate in item.estimates
    ]
    session.add(line)
    session.flush()
    return line


@dataclass(frozen=True)
class LineChanges:
    """What an inline edit of a line may change; ``overrides`` are per role id."""

    quantity: float | None = None
    complexity_factor: float | None = None
    note: str | None = None
    overrides: dict[int, ThreePoint | None] | None = None


def update_line(
    session: Session, *, line_id: int, expected_lock_version: int, changes: LineChanges
) -> EstimateLine:
    """Apply ``changes`` if nobody saved the line since ``expected_lock_version`` was read.

    The check happens twice: here, for a clear message, and in the UPDATE itself
    (``version_id_col``), which closes the race between two simultaneous saves.
    """
    line = session.get(EstimateLine, line_id)
    if line is None:
        raise NotFoundError(f"estimate line {line_id} does not exist")
    if line.lock_version != expected_lock_version:
        raise _conflict(line)
    _apply(line, changes)
    line.updated_at = utcnow()  # bumps lock_version even when only role values changed
    session.add(line)
    try:
        session.flush()
    except StaleDataError as error:
        session.rollback()
        fresh = session.get(EstimateLine, line_id)
        raise _conflict(fresh or line) from error
    return line


def _apply(line: EstimateLine, changes: LineChanges) -> None:
    if changes.quantity is not None:
        line.quantity = changes.quantity
    if changes.complexity_factor is not None:
        line.complexity_factor = changes.complexity_factor
    if changes.note is not None:
        line.note = changes.note
    for role_id, triple in (changes.overrides or {}).items():
        role = next((r for r in line.roles if r.role_id == role_id), None)
        if role is None:
            raise NotFoundError(f"line {line.code!r} has no estimate for role id {role_id}")
        role.override_optimistic = triple.optimistic if triple else None
        role.override_most_likely = triple.most_likely if triple else None
        role.override_pessimistic = triple.pessimistic if triple else None


def _conflict(line: EstimateLine) -> ConcurrentEditError:
    return ConcurrentEditError(
        f"line {line.code!r} was changed by someone else while you were editing "
        f"(now at version {line.lock_version}, quantity {line.quantity:g}); "
        "your save was refused: reload to see the current values"
    )
