"""Estimate use-cases: lines copied from the catalog, edits guarded by optimistic locking."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel, col, select

from app.errors import ConcurrentEditError, FieldError, ImmutableRecordError, NotFoundError
from app.models import (
    CatalogVersion,
    Estimate,
    EstimateLine,
    EstimateLineRole,
    EstimateRevision,
    RateCard,
    Risk,
    Staffing,
    Statement,
    ThreePoint,
    User,
    WorkItem,
    utcnow,
    work_item_fields,
)
from app.services.audit import record_event
from app.vocabulary import RevisionStatus, StatementKind


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
    line = _line(session, line_id)
    editable_revision(session, line.revision_id or 0)
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


# --- Estimates and revisions -------------------------------------------------------------


def get_revision(session: Session, revision_id: int) -> EstimateRevision:
    revision = session.get(EstimateRevision, revision_id)
    if revision is None:
        raise NotFoundError(f"estimate revision {revision_id} does not exist")
    return revision


def editable_revision(session: Session, revision_id: int) -> EstimateRevision:
    revision = get_revision(session, revision_id)
    if revision.status == RevisionStatus.FROZEN:
        raise ImmutableRecordError(
            f"revision {revision.number} is frozen; start a new revision to change it"
        )
    return revision


def create_estimate(
    session: Session,
    *,
    user: User,
    opportunity_id: int,
    name: str,
    catalog_version_id: int,
    rate_card_id: int,
) -> Estimate:
    if session.get(CatalogVersion, catalog_version_id) is None:
        raise FieldError("catalog_version_id", "choose a catalog version")
    card = session.get(RateCard, rate_card_id)
    if card is None:
        raise FieldError("rate_card_id", "choose a rate card")
    estimate = Estimate(opportunity_id=opportunity_id, name=name.strip() or "估算 Estimate")
    session.add(estimate)
    session.flush()
    session.add(
        EstimateRevision(
            estimate_id=estimate.id or 0,
            number=1,
            catalog_version_id=catalog_version_id,
            rate_card_id=rate_card_id,
        )
    )
    session.flush()
    record_event(
        session,
        user=user,
        action="create",
        entity_type="estimate",
        entity_id=estimate.id,
        summary=estimate.name,
    )
    return estimate


_REVISION_SETTINGS = (
    "catalog_version_id",
    "rate_card_id",
    "confidence_level",
    "iterations",
    "seed",
    "sampling",
    "ranges_are",
    "pert_lambda",
    "start_date",
    "target_effort_days",
    "target_budget",
    "target_date",
    "correlation_groups",
    "notes",
)


def new_revision(session: Session, *, user: User, revision_id: int) -> EstimateRevision:
    """Copy a revision into the next number and freeze the source for good."""
    source = get_revision(session, revision_id)
    estimate = source.estimate
    copy = EstimateRevision(
        estimate_id=estimate.id or 0,
        number=max(r.number for r in estimate.revisions) + 1,
        based_on_id=source.id,
        **{name: getattr(source, name) for name in _REVISION_SETTINGS},
    )
    copy.lines = [_copy_line(line) for line in source.lines]
    copy.risks = [Risk(**_columns(risk, exclude={"revision_id"})) for risk in source.risks]
    copy.statements = [
        Statement(**_columns(statement, exclude={"revision_id"})) for statement in source.statements
    ]
    copy.staffing = [
        Staffing(**_columns(staffing, exclude={"revision_id"})) for staffing in source.staffing
    ]
    session.add(copy)
    if source.status != RevisionStatus.FROZEN:
        source.status = RevisionStatus.FROZEN
        source.frozen_at = utcnow()
        session.add(source)
    session.flush()
    record_event(
        session,
        user=user,
        action="new_revision",
        entity_type="estimate",
        entity_id=estimate.id,
        summary=f"revision {copy.number} from revision {source.number}",
    )
    return copy


_NOT_COPIED = frozenset({"id", "created_at", "updated_at", "lock_version"})


def _columns(
    record: SQLModel, *, exclude: set[str] | frozenset[str] = frozenset()
) -> dict[str, Any]:
    names = set(type(record).model_fields) - _NOT_COPIED - set(exclude)
    return {name: getattr(record, name) for name in names if name in record.__table__.columns}  # type: ignore[attr-defined]


def _copy_line(line: EstimateLine) -> EstimateLine:
    copy = EstimateLine(**_columns(line, exclude={"revision_id"}))
    copy.roles = [EstimateLineRole(**_columns(role, exclude={"line_id"})) for role in line.roles]
    return copy


def add_items(
    session: Session, *, user: User, revision_id: int, item_ids: list[int], quantity: float = 1.0
) -> list[EstimateLine]:
    revision = editable_revision(session, revision_id)
    lines = []
    for item_id in item_ids:
        item = session.get(WorkItem, item_id)
        if item is None or item.catalog_version_id != revision.catalog_version_id:
            raise FieldError("item_id", f"work item {item_id} is not in this estimate's catalog")
        lines.append(add_line_from_item(session, revision=revision, item=item, quantity=quantity))
    record_event(
        session,
        user=user,
        action="add_lines",
        entity_type="estimate",
        entity_id=revision.estimate_id,
        summary=", ".join(line.code for line in lines),
    )
    return lines


def remove_line(session: Session, *, user: User, line_id: int, expected_lock_version: int) -> None:
    line = _line(session, line_id)
    editable_revision(session, line.revision_id or 0)
    if line.lock_version != expected_lock_version:
        raise _conflict(line)
    record_event(
        session,
        user=user,
        action="remove_line",
        entity_type="estimate",
        entity_id=line.revision.estimate_id,
        summary=line.code,
    )
    session.delete(line)
    session.flush()


def _line(session: Session, line_id: int) -> EstimateLine:
    line = session.get(EstimateLine, line_id)
    if line is None:
        raise NotFoundError(f"estimate line {line_id} does not exist")
    return line


# --- Settings, risks, statements, team ---------------------------------------------------


def _check_version(revision: EstimateRevision, expected_lock_version: int) -> None:
    if revision.lock_version != expected_lock_version:
        raise ConcurrentEditError(
            f"revision {revision.number} was changed by someone else; reload to see the "
            "current settings (your changes were not saved)"
        )


def update_settings(
    session: Session,
    *,
    user: User,
    revision_id: int,
    expected_lock_version: int,
    values: dict[str, Any],
) -> EstimateRevision:
    """Apply checked settings (see ``app.routes.estimates`` for the parsing)."""
    revision = editable_revision(session, revision_id)
    _check_version(revision, expected_lock_version)
    rho_phase = values.pop("rho_within_phase", 0.0)
    rho_role = values.pop("rho_within_role", 0.0)
    for name, value in values.items():
        setattr(revision, name, value)
    revision.correlation_groups = [
        {"by": by, "key": "*", "rho": rho}
        for by, rho in (("phase", rho_phase), ("role", rho_role))
        if rho
    ]
    session.add(revision)
    record_event(
        session,
        user=user,
        action="update_settings",
        entity_type="estimate",
        entity_id=revision.estimate_id,
        summary=f"revision {revision.number}",
    )
    session.flush()
    return revision


def add_risk(session: Session, *, user: User, revision_id: int, risk: Risk) -> Risk:
    revision = editable_revision(session, revision_id)
    risk.revision_id = revision.id
    risk.position = len(revision.risks)
    session.add(risk)
    record_event(
        session,
        user=user,
        action="add_risk",
        entity_type="estimate",
        entity_id=revision.estimate_id,
        summary=risk.title,
    )
    session.flush()
    return risk


def delete_child(
    session: Session, *, user: User, model: type[Risk | Statement], record_id: int
) -> int:
    """Delete a risk or statement of a draft revision; returns the revision id."""
    record = cast("Risk | Statement | None", session.get(model, record_id))
    if record is None:
        raise NotFoundError(f"{model.__name__.lower()} {record_id} does not exist")
    revision = editable_revision(session, record.revision_id or 0)
    record_event(
        session,
        user=user,
        action=f"delete_{model.__name__.lower()}",
        entity_type="estimate",
        entity_id=revision.estimate_id,
        summary=str(getattr(record, "title", None) or getattr(record, "text", "")),
    )
    session.delete(record)
    session.flush()
    return revision.id or 0


def add_statement(
    session: Session, *, user: User, revision_id: int, kind: StatementKind, text: str
) -> Statement:
    revision = editable_revision(session, revision_id)
    statement = Statement(
        revision_id=revision.id, kind=kind, text=text, position=len(revision.statements)
    )
    session.add(statement)
    record_event(
        session,
        user=user,
        action=f"add_{kind.value}",
        entity_type="estimate",
        entity_id=revision.estimate_id,
        summary=text,
    )
    session.flush()
    return statement


def set_team(
    session: Session, *, user: User, revision_id: int, fte_by_role: dict[int, float]
) -> None:
    """Replace the revision's staffing; a role with 0 FTE is left out."""
    revision = editable_revision(session, revision_id)
    current = {staff.role_id: staff for staff in revision.staffing}
    for role_id, fte in fte_by_role.items():
        staff = current.get(role_id)
        if fte <= 0:
            if staff is not None:
                session.delete(staff)
        elif staff is None:
            session.add(Staffing(revision_id=revision.id, role_id=role_id, fte=fte))
        elif staff.fte != fte:
            staff.fte = fte
            session.add(staff)
    record_event(
        session,
        user=user,
        action="set_team",
        entity_type="estimate",
        entity_id=revision.estimate_id,
        details={str(role_id): fte for role_id, fte in fte_by_role.items()},
    )
    session.flush()


class EffectiveRole(NamedTuple):
    role_id: int
    values: tuple[float, float, float]  # the user's override when there is one, else the catalog's
    overridden: bool


_LINE_ROLE_COLUMNS = tuple(
    getattr(EstimateLineRole, name)
    for name in (
        "line_id", "role_id", "optimistic", "most_likely", "pessimistic",
        "override_optimistic", "override_most_likely", "override_pessimistic",
    )
)  # fmt: skip


def effective_roles_by_line(session: Session, revision_id: int) -> dict[int, list[EffectiveRole]]:
    """Each line's role values in role order, read as plain column rows (a 200-line
    revision has ~500 of them; ORM objects cost the editor page and a run's snapshot most
    of their time)."""
    by_line: dict[int, list[EffectiveRole]] = defaultdict(list)
    for line_id, role_id, low, mode, high, over_low, over_mode, over_high in session.exec(
        select(*_LINE_ROLE_COLUMNS)
        .join(EstimateLine, col(EstimateLine.id) == col(EstimateLineRole.line_id))
        .where(EstimateLine.revision_id == revision_id)
        .order_by(col(EstimateLineRole.id))
    ):
        overridden = over_mode is not None  # overrides are all three values or none
        values = (over_low, over_mode, over_high) if overridden else (low, mode, high)
        by_line[line_id].append(EffectiveRole(role_id, values, overridden))
    return by_line
