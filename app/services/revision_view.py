"""View-models of an estimate revision for the pages: plain data, no lazy loads."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from app.errors import NotFoundError
from app.models import (
    EstimateLine,
    EstimateLineRole,
    EstimateRevision,
    Risk,
    Role,
    SimulationRun,
)
from app.services.catalog import roles_by_code
from app.vocabulary import PHASE_LABELS, UNIT_LABELS, ItemKind, Language, Phase, Unit

RUNS_SHOWN = 10


@dataclass(frozen=True)
class RoleValues:
    role_id: int
    role_code: str
    optimistic: float
    most_likely: float
    pessimistic: float
    overridden: bool


@dataclass(frozen=True)
class LineView:
    id: int
    lock_version: int
    code: str
    name: str
    phase: str
    unit: str
    is_percent: bool
    quantity: float
    complexity_factor: float
    note: str
    roles: list[RoleValues]
    most_likely_days: float | None


@dataclass(frozen=True)
class RiskView:
    id: int
    lock_version: int
    title: str
    probability: float
    impact_days: tuple[float, float, float] | None
    impact_money: tuple[Decimal, Decimal, Decimal] | None
    affected_role: str
    affected_phase: str
    mitigation: str
    owner: str


@dataclass(frozen=True)
class RunRow:
    id: int
    status: str
    created_at: datetime
    iterations: int
    seed: int
    price_p80: Decimal | None
    effort_p80: float | None


@dataclass
class RevisionView:
    id: int
    number: int
    status: str
    lock_version: int
    editable: bool
    estimate_id: int
    estimate_name: str
    opportunity_id: int
    opportunity_name: str
    customer: str
    currency: str
    catalog_version_id: int
    rate_card_id: int
    settings: dict[str, object]
    lines: list[LineView]
    risks: list[RiskView]
    assumptions: list[tuple[int, str]]
    exclusions: list[tuple[int, str]]
    team: list[tuple[Role, float]]
    runs: list[RunRow]
    run_count: int
    other_revisions: list[tuple[int, int]] = field(default_factory=list)
    start_date: date | None = None


@dataclass(frozen=True)
class RevisionHeader:
    """What a fragment about one part of a revision needs: which one, and may it change."""

    id: int
    number: int
    editable: bool


def revision_header(session: Session, revision_id: int) -> RevisionHeader:
    revision = session.get(EstimateRevision, revision_id)
    if revision is None:
        raise NotFoundError(f"estimate revision {revision_id} does not exist")
    return RevisionHeader(
        id=revision.id or 0, number=revision.number, editable=revision.status == "draft"
    )


def phase_label(phase: str, language: Language) -> str:
    zh, en = PHASE_LABELS[Phase(phase)]
    return zh if language == Language.ZH else en


def unit_label(unit: str, language: Language) -> str:
    zh, en = UNIT_LABELS[Unit(unit)]
    return zh if language == Language.ZH else en


def _role_values(role: "EstimateLineRole | Row[Any]", roles: dict[int, Role]) -> RoleValues:
    """Per-role values from an ORM row or a plain column row (same attribute names)."""
    overridden = role.override_most_likely is not None
    prefix = "override_" if overridden else ""
    return RoleValues(
        role_id=role.role_id,
        role_code=roles[role.role_id].code,
        optimistic=getattr(role, f"{prefix}optimistic"),
        most_likely=getattr(role, f"{prefix}most_likely"),
        pessimistic=getattr(role, f"{prefix}pessimistic"),
        overridden=overridden,
    )


def _assemble_line(
    line: "EstimateLine | Row[Any]", values: list[RoleValues], language: Language
) -> LineView:
    is_percent = line.kind == ItemKind.PERCENT
    scale = line.quantity * line.complexity_factor
    return LineView(
        id=line.id or 0,
        lock_version=line.lock_version,
        code=line.code,
        name=line.name_zh if language == Language.ZH else line.name_en,
        phase=phase_label(line.phase, language),
        unit=unit_label(line.unit, language),
        is_percent=is_percent,
        quantity=line.quantity,
        complexity_factor=line.complexity_factor,
        note=line.note,
        roles=values,
        most_likely_days=None if is_percent else sum(v.most_likely for v in values) * scale,
    )


def line_view(line: EstimateLine, roles: dict[int, Role], language: Language) -> LineView:
    return _assemble_line(line, [_role_values(role, roles) for role in line.roles], language)


_LINE_COLUMNS = tuple(
    getattr(EstimateLine, name)
    for name in (
        "id", "lock_version", "code", "name_zh", "name_en", "phase", "unit", "kind",
        "quantity", "complexity_factor", "note",
    )
)  # fmt: skip
_ROLE_COLUMNS = tuple(
    getattr(EstimateLineRole, name)
    for name in (
        "line_id", "role_id", "optimistic", "most_likely", "pessimistic",
        "override_optimistic", "override_most_likely", "override_pessimistic",
    )
)  # fmt: skip


def _line_views(
    session: Session, revision_id: int, roles: dict[int, Role], language: Language
) -> list[LineView]:
    """The revision's lines read as plain column rows.

    A 200-line revision has some 800 line and role rows; building ORM objects for them
    cost most of the page's time, and the page only reads them.
    """
    role_rows = session.exec(
        select(*_ROLE_COLUMNS)
        .join(EstimateLine, col(EstimateLine.id) == col(EstimateLineRole.line_id))
        .where(EstimateLine.revision_id == revision_id)
        .order_by(col(EstimateLineRole.id))
    )
    values_by_line: dict[int, list[RoleValues]] = defaultdict(list)
    for row in role_rows:
        values_by_line[row.line_id].append(_role_values(row, roles))
    lines = session.exec(
        select(*_LINE_COLUMNS)
        .where(EstimateLine.revision_id == revision_id)
        .order_by(col(EstimateLine.position), col(EstimateLine.id))
    )
    return [_assemble_line(line, values_by_line[line.id], language) for line in lines]


def _risk_view(risk: Risk, roles: dict[int, Role], language: Language) -> RiskView:
    days = (risk.impact_days_optimistic, risk.impact_days_most_likely, risk.impact_days_pessimistic)
    money = (
        risk.impact_money_optimistic,
        risk.impact_money_most_likely,
        risk.impact_money_pessimistic,
    )
    return RiskView(
        id=risk.id or 0,
        lock_version=risk.lock_version,
        title=risk.title,
        probability=risk.probability,
        impact_days=days if None not in days else None,  # type: ignore[arg-type]
        impact_money=money if None not in money else None,  # type: ignore[arg-type]
        affected_role=roles[risk.affected_role_id].code if risk.affected_role_id else "",
        affected_phase=phase_label(risk.affected_phase, language) if risk.affected_phase else "",
        mitigation=risk.mitigation,
        owner=risk.owner,
    )


_RUN_COLUMNS = tuple(
    getattr(SimulationRun, name)
    for name in ("id", "status", "created_at", "iterations", "seed", "summary")
)


def _run_rows(session: Session, revision_id: int) -> list[RunRow]:
    """The latest runs, newest first: a busy revision has hundreds, the page shows a few."""
    runs = session.exec(
        select(*_RUN_COLUMNS)
        .where(SimulationRun.revision_id == revision_id)
        .order_by(col(SimulationRun.id).desc())
        .limit(RUNS_SHOWN)
    )
    rows = []
    for run_id, status, created_at, iterations, seed, summary in runs:
        price = (summary or {}).get("price_p80")
        rows.append(
            RunRow(
                id=run_id or 0,
                status=status.value,
                created_at=created_at,
                iterations=iterations,
                seed=seed,
                price_p80=Decimal(str(price)) if price is not None else None,
                effort_p80=(summary or {}).get("effort_p80"),
            )
        )
    return rows


def _run_count(session: Session, revision_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(SimulationRun)
        .where(SimulationRun.revision_id == revision_id)
    ).one()


def revision_view(session: Session, revision_id: int, language: Language) -> RevisionView:
    revision = session.exec(
        select(EstimateRevision)
        .where(EstimateRevision.id == revision_id)
        .options(
            selectinload(EstimateRevision.risks),  # type: ignore[arg-type]
            selectinload(EstimateRevision.statements),  # type: ignore[arg-type]
            selectinload(EstimateRevision.staffing),  # type: ignore[arg-type]
        )
    ).first()
    if revision is None:
        raise NotFoundError(f"estimate revision {revision_id} does not exist")
    roles = {role.id or 0: role for role in roles_by_code(session).values()}
    staffing = {staff.role_id: staff.fte for staff in revision.staffing}
    estimate = revision.estimate
    opportunity = estimate.opportunity
    return RevisionView(
        id=revision.id or 0,
        number=revision.number,
        status=revision.status.value,
        lock_version=revision.lock_version,
        editable=revision.status == "draft",
        estimate_id=estimate.id or 0,
        estimate_name=estimate.name,
        opportunity_id=opportunity.id or 0,
        opportunity_name=opportunity.name,
        customer=opportunity.customer.name,
        currency=opportunity.currency,
        catalog_version_id=revision.catalog_version_id,
        rate_card_id=revision.rate_card_id,
        settings=settings_values(revision),
        lines=_line_views(session, revision_id, roles, language),
        risks=[_risk_view(risk, roles, language) for risk in revision.risks],
        assumptions=[(s.id or 0, s.text) for s in revision.statements if s.kind == "assumption"],
        exclusions=[(s.id or 0, s.text) for s in revision.statements if s.kind == "exclusion"],
        team=[(role, staffing.get(role.id or 0, 0.0)) for role in roles.values()],
        runs=_run_rows(session, revision_id),
        run_count=_run_count(session, revision_id),
        other_revisions=[(r.id or 0, r.number) for r in estimate.revisions if r.id != revision.id],
        start_date=revision.start_date,
    )


def settings_values(revision: EstimateRevision) -> dict[str, object]:
    groups = {(g.get("by"), g.get("key")): g.get("rho") for g in revision.correlation_groups}
    return {
        "confidence_level": revision.confidence_level,
        "iterations": revision.iterations,
        "seed": revision.seed,
        "sampling": revision.sampling.value,
        "ranges_are": revision.ranges_are.value,
        "pert_lambda": revision.pert_lambda,
        "start_date": revision.start_date.isoformat() if revision.start_date else "",
        "target_effort_days": revision.target_effort_days,
        "target_budget": revision.target_budget,
        "target_date": revision.target_date.isoformat() if revision.target_date else "",
        "rho_within_phase": groups.get(("phase", "*"), 0.0),
        "rho_within_role": groups.get(("role", "*"), 0.0),
        "calibration": revision.calibration,
        "calibration_estimator": revision.calibration_estimator,
        "price_basis": revision.price_basis,
        "notes": revision.notes,
    }
