"""The calibration pages as view-models: accuracy, fitted factors, backtest, history lists.

History holds person-days and final prices only (price level), so every role may read it;
nothing here derives from cost rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, func, select

import estimation as engine
from app import charts
from app.errors import FieldError, NotFoundError
from app.models import (
    HistoryImport,
    HistoryProject,
    HistoryTask,
    Opportunity,
    OpportunityOutcome,
    SimulationRun,
    User,
)
from app.services import history
from app.services.revision_view import phase_label
from app.services.run_charts import _DRAWING
from app.vocabulary import Language, OpportunityStatus

LEVELS = (0.5, 0.8, 0.9)


def grouping_of(raw: str | None) -> engine.CalibrationGroupBy:
    try:
        return engine.CalibrationGroupBy((raw or "overall").strip())
    except ValueError:
        allowed = ", ".join(option.value for option in engine.CalibrationGroupBy)
        raise FieldError("group_by", f"{raw!r} is not one of: {allowed}") from None


def group_label(key: str, grouping: engine.CalibrationGroupBy, language: Language) -> str:
    zh = language == Language.ZH
    if key == "":
        return (
            ("全部" if zh else "All")
            if grouping is engine.CalibrationGroupBy.OVERALL
            else ("（未注明）" if zh else "(not given)")
        )
    if grouping is engine.CalibrationGroupBy.PHASE:
        return _phase(key, language)
    return key


def _phase(code: str, language: Language) -> str:
    """A phase's label, or the category text as imported when it names none of ours."""
    try:
        return phase_label(code, language)
    except ValueError:
        return code


# --- overview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccuracyView:
    label: str
    points: int
    median_ratio: float
    p80_ratio: float
    p90_ratio: float
    share_overrun: float
    mdmre: float
    pred25: float


@dataclass(frozen=True)
class FitView:
    label: str
    method: str
    points: int
    projects: int
    median: float
    p80: float
    p90: float
    pooling_weight: float


@dataclass(frozen=True)
class CoverageView:
    evaluated: int
    skipped: int
    undated: int
    min_history: int
    raw: tuple[float, float, float]
    calibrated: tuple[float, float, float]


@dataclass
class CalibrationOverview:
    grouping: str
    rows: int = 0
    points: int = 0
    projects: int = 0
    first_date: date | None = None
    last_date: date | None = None
    accuracy: list[AccuracyView] = field(default_factory=list)
    fits: list[FitView] = field(default_factory=list)
    coverage: CoverageView | None = None

    @property
    def has_data(self) -> bool:
        return bool(self.accuracy)


def _fit_view(fit: engine.GroupFit, label: str) -> FitView:
    return FitView(
        label=label,
        method=fit.method.value,
        points=fit.points,
        projects=fit.projects,
        median=fit.quantile(0.5),
        p80=fit.quantile(0.8),
        p90=fit.quantile(0.9),
        pooling_weight=fit.pooling_weight,
    )


def overview(
    session: Session, grouping: engine.CalibrationGroupBy, language: Language
) -> CalibrationOverview:
    view = CalibrationOverview(grouping=grouping.value)
    rows = history.accuracy_rows(session, grouping)
    view.rows = rows[0].points if rows else 0
    view.accuracy = [
        AccuracyView(
            label=group_label(row.key, grouping, language) if index else _overall(language),
            points=row.points,
            median_ratio=row.median_ratio,
            p80_ratio=row.p80_ratio,
            p90_ratio=row.p90_ratio,
            share_overrun=row.share_overrun,
            mdmre=row.mdmre,
            pred25=row.pred25,
        )
        for index, row in enumerate(rows)
    ]
    calibration = history.fit_calibration(session, grouping)
    if calibration is not None:
        view.points, view.projects = calibration.points, calibration.projects
        view.first_date, view.last_date = calibration.first_date, calibration.last_date
        view.fits = [_fit_view(calibration.overall, _overall(language))]
        view.fits += [
            _fit_view(fit, group_label(key, grouping, language))
            for key, fit in sorted(calibration.groups.items())
        ]
    backtest = history.run_backtest(session, grouping)
    if backtest is not None:
        view.coverage = CoverageView(
            evaluated=backtest.evaluated,
            skipped=backtest.skipped,
            undated=backtest.undated,
            min_history=backtest.min_history,
            raw=backtest.raw_coverage,
            calibrated=backtest.calibrated_coverage,
        )
    return view


def _overall(language: Language) -> str:
    return "全部" if language == Language.ZH else "All"


# --- charts -----------------------------------------------------------------------------------


CHART_NAMES = ("ratios", "reliability")
_TEXT = {
    Language.ZH: {
        "ratio": "实际 / 估算（对数刻度）",
        "count": "数量",
        "ratios": "实际与估算之比的分布",
        "level": "名义置信水平",
        "covered": "实际值不超过该水平的比例 (%)",
        "reliability": "回测：可靠性",
        "raw": "原始",
        "calibrated": "校准后",
        "median": "中位数",
    },
    Language.EN: {
        "ratio": "Actual / estimate (log scale)",
        "count": "Count",
        "ratios": "Distribution of actual / estimate",
        "level": "Nominal level",
        "covered": "Actuals at or below it (%)",
        "reliability": "Backtest: reliability",
        "raw": "Raw",
        "calibrated": "Calibrated",
        "median": "Median",
    },
}


def chart_svg(
    session: Session, name: str, grouping: engine.CalibrationGroupBy, language: Language
) -> bytes:
    if name not in CHART_NAMES:
        raise NotFoundError(f"no chart named {name!r}")
    text = _TEXT[language]
    if name == "ratios":
        data = history.history_data(session)
        ratios = [a / e for a, e in zip(data.actual, data.estimate, strict=True)]
        markers = []
        if ratios:
            ordered = sorted(ratios)
            for label, level in (("P50", 0.5), ("P80", 0.8), ("P90", 0.9)):
                markers.append(charts.Marker(label, ordered[int(level * (len(ordered) - 1))]))
        with _DRAWING:
            return charts.to_svg(
                charts.ratio_histogram(
                    ratios=ratios,
                    markers=markers,
                    x_label=text["ratio"],
                    y_label=text["count"],
                    title=text["ratios"],
                )
            )
    backtest = history.run_backtest(session, grouping)
    raw = backtest.raw_coverage if backtest else (0.0, 0.0, 0.0)
    calibrated = backtest.calibrated_coverage if backtest else (0.0, 0.0, 0.0)
    with _DRAWING:
        return charts.to_svg(
            charts.reliability(
                levels=LEVELS,
                series=[(text["raw"], raw), (text["calibrated"], calibrated)],
                x_label=text["level"],
                y_label=text["covered"],
                title=text["reliability"],
            )
        )


# --- history lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpportunityRow:
    id: int
    name: str
    customer: str
    status: str
    final_price: Decimal | None
    closed_on: date | None
    currency: str
    has_actuals: bool


@dataclass(frozen=True)
class ImportRow:
    id: int
    kind: str
    file_name: str
    rows_imported: int
    rows_skipped: int
    created_at: datetime
    by: str


@dataclass(frozen=True)
class ProjectRow:
    id: int
    name: str
    source: str
    estimator: str
    estimate: float | None
    actual: float | None
    finished_on: date | None
    tasks: int

    @property
    def ratio(self) -> float | None:
        if self.estimate and self.actual:
            return self.actual / self.estimate
        return None


@dataclass
class HistoryList:
    opportunities: list[OpportunityRow]
    imports: list[ImportRow]
    projects: list[ProjectRow]
    project_count: int


PROJECTS_SHOWN = 300


def history_list(session: Session) -> HistoryList:
    outcomes = {o.opportunity_id: o for o in session.exec(select(OpportunityOutcome))}
    with_actuals = set(
        session.exec(
            select(HistoryProject.opportunity_id)
            .join(HistoryTask, col(HistoryTask.project_id) == col(HistoryProject.id))
            .where(col(HistoryProject.opportunity_id).is_not(None))
        ).all()
    )
    opportunities = [
        OpportunityRow(
            id=o.id or 0,
            name=o.name,
            customer=o.customer.name,
            status=o.status.value,
            final_price=outcomes[o.id].final_price if o.id in outcomes else None,
            closed_on=outcomes[o.id].closed_on if o.id in outcomes else None,
            currency=o.currency,
            has_actuals=o.id in with_actuals,
        )
        for o in session.exec(
            select(Opportunity)
            .options(selectinload(Opportunity.customer))  # type: ignore[arg-type]
            .order_by(col(Opportunity.id).desc())
        )
    ]
    users = {u.id: u.username for u in session.exec(select(User))}
    imports = [
        ImportRow(
            id=i.id or 0,
            kind=i.kind.value,
            file_name=i.file_name,
            rows_imported=i.rows_imported,
            rows_skipped=i.rows_skipped,
            created_at=i.created_at,
            by=users.get(i.imported_by_id, "") if i.imported_by_id else "",
        )
        for i in session.exec(select(HistoryImport).order_by(col(HistoryImport.id).desc()))
    ]
    task_counts = dict(
        session.execute(
            select(HistoryTask.project_id, func.count()).group_by(col(HistoryTask.project_id))
        ).all()
    )
    projects = [
        ProjectRow(
            id=p.id or 0,
            name=p.name,
            source=p.source.value,
            estimator=p.estimator,
            estimate=p.estimated_days,
            actual=p.actual_days,
            finished_on=p.finished_on,
            tasks=task_counts.get(p.id, 0),
        )
        for p in session.exec(
            select(HistoryProject)
            .order_by(col(HistoryProject.finished_on).desc(), col(HistoryProject.id).desc())
            .limit(PROJECTS_SHOWN)
        )
    ]
    count = session.exec(select(func.count()).select_from(HistoryProject)).one()
    return HistoryList(opportunities, imports, projects, int(count))


# --- one opportunity's outcome and actuals ----------------------------------------------


@dataclass(frozen=True)
class ActualRow:
    phase: str
    phase_label: str
    role: str
    estimate: float
    actual: float | None


@dataclass
class OutcomeView:
    opportunity_id: int
    name: str
    customer: str
    status: str
    currency: str
    outcome: OpportunityOutcome | None
    run_id: int | None
    project: HistoryProject | None
    rows: list[ActualRow]
    estimator: str
    finished_on: date | None
    raw_levels: tuple[float, float, float] | None

    @property
    def won(self) -> bool:
        return self.outcome is not None and self.outcome.outcome == OpportunityStatus.WON


def outcome_view(session: Session, opportunity_id: int, language: Language) -> OutcomeView:
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        raise NotFoundError(f"opportunity {opportunity_id} does not exist")
    record = history.get_outcome(session, opportunity_id)
    project = history.opportunity_project(session, opportunity_id)
    run = (
        session.get(SimulationRun, record.run_id)
        if record is not None and record.run_id is not None
        else history.latest_run(session, opportunity_id)
    )
    rows = _actual_rows(project, run, language)
    levels = None
    if project is not None and project.raw_p50_days and project.raw_p90_days:
        levels = (project.raw_p50_days, project.raw_p80_days or 0.0, project.raw_p90_days)
    return OutcomeView(
        opportunity_id=opportunity_id,
        name=opportunity.name,
        customer=opportunity.customer.name,
        status=opportunity.status.value,
        currency=opportunity.currency,
        outcome=record,
        run_id=run.id if run is not None else None,
        project=project,
        rows=rows,
        estimator=project.estimator if project is not None else "",
        finished_on=project.finished_on if project is not None else None,
        raw_levels=levels,
    )


def _actual_rows(
    project: HistoryProject | None, run: SimulationRun | None, language: Language
) -> list[ActualRow]:
    recorded = {(t.phase, t.role): t for t in project.tasks} if project is not None else {}
    cells = history.plan_cells(run) if run is not None else []
    keys = [(cell.phase, cell.role) for cell in cells]
    keys += [key for key in recorded if key not in keys]
    plan = {(cell.phase, cell.role): cell.estimate for cell in cells}
    rows = []
    for phase, role in keys:
        task = recorded.get((phase, role))
        rows.append(
            ActualRow(
                phase=phase,
                phase_label=_phase(phase, language) if phase else "—",
                role=role,
                estimate=task.estimated_days if task is not None else plan[(phase, role)],
                actual=task.actual_days if task is not None else None,
            )
        )
    return rows
