"""View-models of an estimate revision for the pages: plain data, no lazy loads."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func
from sqlalchemy import select as columns_select
from sqlmodel import Session, col, select

from app import i18n
from app.errors import NotFoundError
from app.models import (
    Customer,
    Estimate,
    EstimateLine,
    EstimateRevision,
    Opportunity,
    Risk,
    Role,
    SimulationRun,
    Staffing,
    Statement,
)
from app.services.catalog import roles_by_code
from app.services.estimates import effective_roles_by_line
from app.vocabulary import PHASE_LABELS, UNIT_LABELS, ItemKind, Language, Phase, Unit

RUNS_SHOWN = 10

_Format = Callable[[float], str]


# Lines and their role values are named tuples, not dataclasses: a 200-line revision makes
# about a thousand of them per page view, and a tuple is several times cheaper to build.
# Their numbers come pre-formatted (``*_text``, as the template's ``number()`` prints them)
# so that the rows render without a function call per number.


class RoleValues(NamedTuple):
    role_id: int
    role_code: str
    optimistic: float
    most_likely: float
    pessimistic: float
    overridden: bool
    range_text: str  # "optimistic / most likely / pessimistic", one decimal each


class LineView(NamedTuple):
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
    quantity_text: str
    complexity_text: str
    most_likely_text: str  # "%" for a percent line, which has no days of its own


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
    most_likely_total: float = 0.0


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


class _Formats:
    """The per-language formatting of a table of lines, looked up once per view."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self.one_decimal = i18n.number_format(language)
        self.two_decimals = i18n.number_format(language, digits=2)
        self.phases: dict[str, str] = {}
        self.units: dict[str, str] = {}

    def phase(self, phase: str) -> str:
        text = self.phases.get(phase)
        if text is None:
            text = self.phases[phase] = phase_label(phase, self.language)
        return text

    def unit(self, unit: str) -> str:
        text = self.units.get(unit)
        if text is None:
            text = self.units[unit] = unit_label(unit, self.language)
        return text


def _role_values(
    role_id: int,
    role_code: str,
    values: tuple[float, float, float],
    one_decimal: _Format,
    *,
    overridden: bool,
) -> RoleValues:
    optimistic, most_likely, pessimistic = values
    return RoleValues(
        role_id,
        role_code,
        optimistic,
        most_likely,
        pessimistic,
        overridden,
        f"{one_decimal(optimistic)} / {one_decimal(most_likely)} / {one_decimal(pessimistic)}",
    )


def _line(columns: tuple[Any, ...], values: list[RoleValues], formats: _Formats) -> LineView:
    """A line from its ``_LINE_COLUMNS`` values and its role values."""
    line_id, lock_version, code, name_zh, name_en, phase, unit, kind, quantity, factor, note = (
        columns
    )
    is_percent = kind == ItemKind.PERCENT
    most_likely_days = (
        None if is_percent else sum(v.most_likely for v in values) * (quantity * factor)
    )
    return LineView(
        line_id or 0,
        lock_version,
        code,
        name_zh if formats.language == Language.ZH else name_en,
        formats.phase(phase),
        formats.unit(unit),
        is_percent,
        quantity,
        factor,
        note,
        values,
        most_likely_days,
        formats.two_decimals(quantity),
        formats.two_decimals(factor),
        "%" if most_likely_days is None else formats.one_decimal(most_likely_days),
    )


_LINE_NAMES = (
    "id", "lock_version", "code", "name_zh", "name_en", "phase", "unit", "kind",
    "quantity", "complexity_factor", "note",
)  # fmt: skip


def line_view(line: EstimateLine, roles: dict[int, Role], language: Language) -> LineView:
    formats = _Formats(language)
    values = [
        _role_values(
            role.role_id,
            roles[role.role_id].code,
            role.effective,
            formats.one_decimal,
            overridden=role.is_overridden,
        )
        for role in line.roles
    ]
    return _line(tuple(getattr(line, name) for name in _LINE_NAMES), values, formats)


_LINE_COLUMNS = tuple(getattr(EstimateLine, name) for name in _LINE_NAMES)


def _line_views(
    session: Session, revision_id: int, roles: dict[int, Role], language: Language
) -> list[LineView]:
    """The revision's lines read as plain column rows.

    A 200-line revision has some 800 line and role rows; building ORM objects for them
    cost most of the page's time, and the page only reads them.
    """
    formats = _Formats(language)
    codes = {role_id: role.code for role_id, role in roles.items()}
    values_by_line: dict[int, list[RoleValues]] = defaultdict(list)
    for line_id, roles_of_line in effective_roles_by_line(session, revision_id).items():
        values_by_line[line_id] = [
            _role_values(
                role.role_id,
                codes[role.role_id],
                role.values,
                formats.one_decimal,
                overridden=role.overridden,
            )
            for role in roles_of_line
        ]
    lines = session.exec(
        select(*_LINE_COLUMNS)
        .where(EstimateLine.revision_id == revision_id)
        .order_by(col(EstimateLine.position), col(EstimateLine.id))
    )
    return [_line(tuple(line), values_by_line[line[0]], formats) for line in lines]


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
    heading = session.execute(
        columns_select(
            EstimateRevision,
            col(Estimate.name),
            col(Opportunity.id),
            col(Opportunity.name),
            col(Opportunity.currency),
            col(Customer.name),
        )
        .join(Estimate, col(Estimate.id) == col(EstimateRevision.estimate_id))
        .join(Opportunity, col(Opportunity.id) == col(Estimate.opportunity_id))
        .join(Customer, col(Customer.id) == col(Opportunity.customer_id))
        .where(col(EstimateRevision.id) == revision_id)
    ).first()
    if heading is None:
        raise NotFoundError(f"estimate revision {revision_id} does not exist")
    revision, estimate_name, opportunity_id, opportunity_name, currency, customer = heading
    roles = {role.id or 0: role for role in roles_by_code(session).values()}
    lines = _line_views(session, revision_id, roles, language)
    statements = _statements(session, revision_id)
    return RevisionView(
        id=revision_id,
        number=revision.number,
        status=revision.status.value,
        lock_version=revision.lock_version,
        editable=revision.status == "draft",
        estimate_id=revision.estimate_id,
        estimate_name=estimate_name,
        opportunity_id=opportunity_id or 0,
        opportunity_name=opportunity_name,
        customer=customer,
        currency=currency,
        catalog_version_id=revision.catalog_version_id,
        rate_card_id=revision.rate_card_id,
        settings=settings_values(revision),
        lines=lines,
        risks=[_risk_view(risk, roles, language) for risk in _risks(session, revision_id)],
        assumptions=[(id_, text) for id_, kind, text in statements if kind == "assumption"],
        exclusions=[(id_, text) for id_, kind, text in statements if kind == "exclusion"],
        team=_team(session, revision_id, roles),
        runs=_run_rows(session, revision_id),
        run_count=_run_count(session, revision_id),
        other_revisions=_other_revisions(session, revision),
        start_date=revision.start_date,
        most_likely_total=sum(line.most_likely_days or 0.0 for line in lines),
    )


# The revision's parts, each one plain query (relationship loads cost several times more).


def _risks(session: Session, revision_id: int) -> list[Risk]:
    return list(
        session.exec(
            select(Risk)
            .where(Risk.revision_id == revision_id)
            .order_by(col(Risk.position), col(Risk.id))
        )
    )


def _statements(session: Session, revision_id: int) -> list[tuple[int, str, str]]:
    rows = session.exec(
        select(Statement.id, Statement.kind, Statement.text)
        .where(Statement.revision_id == revision_id)
        .order_by(col(Statement.position), col(Statement.id))
    )
    return [(id_ or 0, kind, text) for id_, kind, text in rows]


def _team(session: Session, revision_id: int, roles: dict[int, Role]) -> list[tuple[Role, float]]:
    staffing = dict(
        session.exec(
            select(Staffing.role_id, Staffing.fte).where(Staffing.revision_id == revision_id)
        ).all()
    )
    return [(role, staffing.get(role.id or 0, 0.0)) for role in roles.values()]


def _other_revisions(session: Session, revision: EstimateRevision) -> list[tuple[int, int]]:
    rows = session.exec(
        select(EstimateRevision.id, EstimateRevision.number)
        .where(EstimateRevision.estimate_id == revision.estimate_id)
        .order_by(col(EstimateRevision.number))
    )
    return [(id_ or 0, number) for id_, number in rows if id_ != revision.id]


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
