"""History of past bids: outcomes, actual effort, imports, and the data calibration learns from.

- An opportunity is *closed* as won, lost or cancelled (with the final price). A won one
  gets a :class:`HistoryProject` that remembers the raw P50/P80/P90 effort of the run it
  was priced on; its actual effort per phase and role is entered as the project delivers.
- Imports (:mod:`app.services.history_import`) add past projects from timesheet exports or
  external records, per project or per task.
- :func:`history_data` turns everything into the arrays :func:`estimation.calibrate`
  takes. A project that came from a Bidwright run had a *forecast*, not a point estimate:
  its lines' estimates are scaled to the run's raw P50 and carry the run's log-spread
  ``ln(P90/P50)/1.2816`` (see :mod:`estimation.calibration`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy import select as columns_select
from sqlmodel import Session, col, select

import estimation as engine
from app.caching import BoundedCache
from app.errors import ConcurrentEditError, FieldError, NotFoundError
from app.models import (
    CLOSED_OUTCOMES,
    Estimate,
    EstimateRevision,
    HistoryImport,
    HistoryProject,
    HistorySource,
    HistoryTask,
    Opportunity,
    OpportunityOutcome,
    Role,
    SimulationRun,
    User,
)
from app.services.audit import record_event
from app.services.history_import import CheckedFile, HistoryRow, RowKind, normalise_header
from app.vocabulary import OpportunityStatus, RunStatus
from estimation.calibration import MIN_POINTS

_Z90 = 1.2815515655446004
MIN_BACKTEST_HISTORY = 10
GROUPINGS = tuple(engine.CalibrationGroupBy)


# --- closing an opportunity ------------------------------------------------------------------


def latest_run(session: Session, opportunity_id: int) -> SimulationRun | None:
    """The opportunity's most recent successful run (the one its bid was priced on)."""
    return session.exec(
        select(SimulationRun)
        .join(EstimateRevision, col(EstimateRevision.id) == col(SimulationRun.revision_id))
        .join(Estimate, col(Estimate.id) == col(EstimateRevision.estimate_id))
        .where(Estimate.opportunity_id == opportunity_id)
        .where(SimulationRun.status == RunStatus.SUCCEEDED)
        .order_by(col(SimulationRun.id).desc())
    ).first()


def get_outcome(session: Session, opportunity_id: int) -> OpportunityOutcome | None:
    return session.exec(
        select(OpportunityOutcome).where(OpportunityOutcome.opportunity_id == opportunity_id)
    ).first()


def opportunity_project(session: Session, opportunity_id: int) -> HistoryProject | None:
    return session.exec(
        select(HistoryProject).where(HistoryProject.opportunity_id == opportunity_id)
    ).first()


def _check_lock(record: Any, expected: int | None, what: str) -> None:
    if expected is not None and record.lock_version != expected:
        raise ConcurrentEditError(
            f"{what} was changed by someone else since you opened it; reload and try again"
        )


def _run_estimator(session: Session, run: SimulationRun | None) -> str:
    if run is None or run.requested_by_id is None:
        return ""
    user = session.get(User, run.requested_by_id)
    return user.username if user is not None else ""


def _effort_levels(run: SimulationRun | None) -> tuple[float | None, float | None, float | None]:
    summary = (run.summary or {}) if run is not None else {}
    values = [summary.get(f"effort_p{level}") for level in (50, 80, 90)]
    if values[0] is None or values[1] is None or values[2] is None:
        return None, None, None
    return float(values[0]), float(values[1]), float(values[2])


def close_opportunity(
    session: Session,
    *,
    user: User,
    opportunity_id: int,
    outcome: OpportunityStatus,
    final_price: Decimal | None,
    closed_on: date,
    note: str = "",
    expected_lock_version: int | None = None,
) -> OpportunityOutcome:
    """Record (or correct) how an opportunity closed; a won one becomes a history project."""
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        raise NotFoundError(f"opportunity {opportunity_id} does not exist")
    if outcome not in CLOSED_OUTCOMES:
        raise FieldError("outcome", f"{outcome.value!r} is not won, lost or cancelled")
    if outcome == OpportunityStatus.WON and final_price is None:
        raise FieldError("final_price", "a won opportunity needs its final price")
    record = get_outcome(session, opportunity_id)
    if record is None:
        record = OpportunityOutcome(
            opportunity_id=opportunity_id, outcome=outcome, closed_on=closed_on
        )
    else:
        _check_lock(record, expected_lock_version, "the outcome")
    run = latest_run(session, opportunity_id)
    record.outcome, record.final_price, record.closed_on = outcome, final_price, closed_on
    record.note, record.recorded_by_id = note, user.id
    record.run_id = run.id if run is not None else None
    record.revision_id = run.revision_id if run is not None else None
    opportunity.status = outcome
    session.add_all([record, opportunity])
    _sync_project(session, opportunity, run, won=outcome == OpportunityStatus.WON)
    session.flush()
    record_event(
        session,
        user=user,
        action="close",
        entity_type="opportunity",
        entity_id=opportunity_id,
        summary=f"{outcome.value}" + (f", final price {final_price}" if final_price else ""),
    )
    return record


def _sync_project(
    session: Session, opportunity: Opportunity, run: SimulationRun | None, *, won: bool
) -> None:
    project = opportunity_project(session, opportunity.id or 0)
    if not won:
        if project is not None and project.tasks:
            raise FieldError(
                "outcome",
                "actual effort is recorded for this opportunity as a won project; "
                "delete those actuals before closing it otherwise",
            )
        if project is not None:
            session.delete(project)
        return
    p50, p80, p90 = _effort_levels(run)
    if project is None:
        project = HistoryProject(
            source=HistorySource.OPPORTUNITY,
            opportunity_id=opportunity.id,
            name=opportunity.name[:300],
            reference=opportunity.bid_number[:100],
            estimator=_run_estimator(session, run),
        )
    if not project.tasks:  # the forecast it was priced on, until actuals are in
        project.raw_p50_days, project.raw_p80_days, project.raw_p90_days = p50, p80, p90
    session.add(project)


# --- actual effort per phase and role -------------------------------------------------------


@dataclass(frozen=True)
class PlanCell:
    """A phase × role of a run's most likely plan (person-days)."""

    phase: str
    role: str
    estimate: float


def plan_cells(run: SimulationRun) -> list[PlanCell]:
    """The most likely plan per phase and role, as the quote lists it (percent lines too)."""
    snapshot = run.input_snapshot
    cells: dict[tuple[str, str], float] = {}
    by_phase: dict[str, float] = {}
    for item in snapshot.get("items", []):
        days = item["most_likely"] * item["quantity"] * item["complexity"]
        key = (item["phase"], item["role"])
        cells[key] = cells.get(key, 0.0) + days
        by_phase[item["phase"]] = by_phase.get(item["phase"], 0.0) + days
    for item in snapshot.get("percent_items", []):
        base = sum(by_phase.get(phase, 0.0) for phase in item["of_phases"])
        days = item["most_likely"] / 100 * base * item["quantity"] * item["complexity"]
        key = (item["phase"], item["role"])
        cells[key] = cells.get(key, 0.0) + days
    return [
        PlanCell(phase, role, round(days, 2))
        for (phase, role), days in sorted(cells.items())
        if days > 0
    ]


@dataclass(frozen=True)
class ActualEntry:
    phase: str
    role: str
    estimate: float
    actual: float


def record_actuals(
    session: Session,
    *,
    user: User,
    opportunity_id: int,
    entries: list[ActualEntry],
    finished_on: date | None,
    estimator: str,
    expected_lock_version: int | None = None,
) -> HistoryProject:
    """Replace a won opportunity's actual effort per phase and role."""
    project = opportunity_project(session, opportunity_id)
    if project is None:
        raise FieldError("outcome", "record the opportunity as won before entering actuals")
    _check_lock(project, expected_lock_version, "the actual effort")
    if not entries:
        raise FieldError("actual", "enter the actual days of at least one phase and role")
    replace_tasks(
        project,
        [
            HistoryTask(
                name=f"{entry.phase} / {entry.role}",
                phase=entry.phase,
                category=entry.phase,
                role=entry.role,
                estimator=estimator,
                estimated_days=entry.estimate,
                actual_days=entry.actual,
                performed_on=finished_on,
                position=position,
            )
            for position, entry in enumerate(entries)
        ],
    )
    project.finished_on, project.estimator = finished_on, estimator
    session.add(project)
    session.flush()
    record_event(
        session,
        user=user,
        action="record_actuals",
        entity_type="opportunity",
        entity_id=opportunity_id,
        summary=f"{len(entries)} phase/role actual(s), finished {finished_on or '—'}",
    )
    return project


def replace_tasks(project: HistoryProject, tasks: list[HistoryTask]) -> None:
    project.tasks.clear()
    project.tasks.extend(tasks)
    project.estimated_days = sum(task.estimated_days for task in tasks) or None
    project.actual_days = sum(task.actual_days for task in tasks) or None


def delete_import(session: Session, *, user: User, import_id: int) -> None:
    record = session.get(HistoryImport, import_id)
    if record is None:
        raise NotFoundError(f"history import {import_id} does not exist")
    projects = select(HistoryProject.id).where(HistoryProject.import_id == import_id)
    session.execute(delete(HistoryTask).where(col(HistoryTask.project_id).in_(projects)))
    session.execute(delete(HistoryProject).where(col(HistoryProject.import_id) == import_id))
    session.delete(record)
    record_event(
        session,
        user=user,
        action="delete",
        entity_type="history_import",
        entity_id=import_id,
        summary=f"{record.file_name}: {record.rows_imported} row(s)",
    )


# --- the data calibration learns from ----------------------------------------------------------


@dataclass
class HistoryData:
    """One entry per task (or per whole-project record), ready for the engine."""

    estimate: list[float] = field(default_factory=list)
    actual: list[float] = field(default_factory=list)
    role: list[str] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    estimator: list[str] = field(default_factory=list)
    project: list[str] = field(default_factory=list)
    finished: list[date | None] = field(default_factory=list)
    raw_sd: list[float] = field(default_factory=list)
    raw_quantiles: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.estimate)

    def groups(self, grouping: engine.CalibrationGroupBy) -> list[str] | None:
        return {
            engine.CalibrationGroupBy.ROLE: self.role,
            engine.CalibrationGroupBy.PHASE: self.phase,
            engine.CalibrationGroupBy.ESTIMATOR: self.estimator,
        }.get(grouping)


def _raw_spread(p50: float | None, p90: float | None) -> float:
    if p50 is None or p90 is None or p50 <= 0 or p90 <= p50:
        return 0.0
    return math.log(p90 / p50) / _Z90


def history_data(session: Session) -> HistoryData:
    """Every usable history row, read with two column queries (10,000 tasks in ~0.1 s)."""
    projects = {
        row[0]: row
        for row in session.execute(
            columns_select(
                col(HistoryProject.id),
                col(HistoryProject.name),
                col(HistoryProject.estimator),
                col(HistoryProject.category),
                col(HistoryProject.estimated_days),
                col(HistoryProject.actual_days),
                col(HistoryProject.raw_p50_days),
                col(HistoryProject.raw_p80_days),
                col(HistoryProject.raw_p90_days),
                col(HistoryProject.finished_on),
            )
        )
    }
    data = HistoryData()
    tasks_by_project: dict[int, list[Any]] = {}
    for task in session.execute(
        columns_select(
            col(HistoryTask.project_id),
            col(HistoryTask.estimated_days),
            col(HistoryTask.actual_days),
            col(HistoryTask.role),
            col(HistoryTask.phase),
            col(HistoryTask.category),
            col(HistoryTask.estimator),
            col(HistoryTask.performed_on),
        ).order_by(col(HistoryTask.project_id), col(HistoryTask.position), col(HistoryTask.id))
    ):
        tasks_by_project.setdefault(task[0], []).append(task)
    for project_id, project in projects.items():
        _add_project(data, project, tasks_by_project.get(project_id, []))
    return data


def _add_project(data: HistoryData, project: Any, tasks: list[Any]) -> None:
    (pid, name, estimator, category, estimated, actual, p50, p80, p90, finished) = project
    key = str(pid)
    spread = _raw_spread(p50, p90)
    if tasks:
        total = sum(task[1] for task in tasks)
        scale = p50 / total if p50 and spread > 0 and total > 0 else 1.0
        for task in tasks:
            data.estimate.append(task[1] * scale)
            data.actual.append(task[2])
            data.role.append(task[3])
            data.phase.append(task[4] or task[5])
            data.estimator.append(task[6] or estimator)
            data.project.append(key)
            data.finished.append(finished or task[7])
            data.raw_sd.append(spread)
    elif estimated and actual:
        data.estimate.append(float(p50) if p50 and spread > 0 else estimated)
        data.actual.append(actual)
        data.role.append("")
        data.phase.append(category)
        data.estimator.append(estimator)
        data.project.append(key)
        data.finished.append(finished)
        data.raw_sd.append(spread)
    else:
        return
    data.names[key] = name
    if p50 is not None and p80 is not None and p90 is not None:
        data.raw_quantiles[key] = (p50, p80, p90)


def history_fingerprint(session: Session) -> tuple[Any, ...]:
    """Changes whenever history rows are added, changed or removed (a cache key)."""
    projects = session.execute(
        select(func.count(col(HistoryProject.id)), func.max(HistoryProject.updated_at))
    ).one()
    tasks = session.execute(
        select(
            func.count(col(HistoryTask.id)),
            func.max(HistoryTask.id),
            func.sum(HistoryTask.actual_days),
        )
    ).one()
    return (*projects, *tasks)


# Fits and backtests depend only on the history: computed once per fingerprint.
_CACHE: BoundedCache[tuple[Any, ...], Any] = BoundedCache(16)


def fit_calibration(
    session: Session, grouping: engine.CalibrationGroupBy
) -> engine.Calibration | None:
    """The calibration the history supports, or ``None`` with fewer than 3 usable units."""
    key = ("fit", grouping.value, *history_fingerprint(session))

    def compute() -> engine.Calibration | None:
        data = history_data(session)
        try:
            return engine.calibrate(
                data.estimate,
                data.actual,
                groups=data.groups(grouping),
                group_by=grouping,
                projects=data.project,
                dates=data.finished,
                raw_sd=data.raw_sd,
            )
        except engine.EstimationInputError:
            return None

    result: engine.Calibration | None = _CACHE.get_or_compute(key, compute)
    return result


def run_backtest(session: Session, grouping: engine.CalibrationGroupBy) -> engine.Backtest | None:
    """The time-ordered backtest on the history (``None`` when nothing can be forecast)."""
    key = ("backtest", grouping.value, *history_fingerprint(session))

    def compute() -> engine.Backtest | None:
        data = history_data(session)
        if len(data) < MIN_POINTS:
            return None
        try:
            return engine.backtest(
                data.estimate,
                data.actual,
                projects=data.project,
                dates=data.finished,
                groups=data.groups(grouping),
                group_by=grouping,
                raw_sd=data.raw_sd,
                raw_quantiles=data.raw_quantiles,
                min_history=MIN_BACKTEST_HISTORY,
            )
        except engine.EstimationInputError:
            return None

    result: engine.Backtest | None = _CACHE.get_or_compute(key, compute)
    return result


def accuracy_rows(
    session: Session, grouping: engine.CalibrationGroupBy
) -> tuple[engine.AccuracyRow, ...]:
    data = history_data(session)
    if not len(data):
        return ()
    return engine.accuracy(data.estimate, data.actual, groups=data.groups(grouping))


def calibration_source(calibration: engine.Calibration) -> dict[str, Any]:
    """What a run records of the calibration it used (beside the full fit)."""
    return {
        "group_by": calibration.group_by.value,
        "points": calibration.points,
        "projects": calibration.projects,
        "first_date": calibration.first_date.isoformat() if calibration.first_date else None,
        "last_date": calibration.last_date.isoformat() if calibration.last_date else None,
    }


def coverage_report(backtest: engine.Backtest | None) -> dict[str, Any] | None:
    if backtest is None or not backtest.evaluated:
        return None
    return {
        "projects": backtest.evaluated,
        "raw": list(backtest.raw_coverage),
        "calibrated": list(backtest.calibrated_coverage),
    }


def estimators(session: Session) -> list[str]:
    """Everyone the history knows as an estimator, for the settings form."""
    names = set(session.exec(select(HistoryProject.estimator).distinct()).all())
    names |= set(session.exec(select(HistoryTask.estimator).distinct()).all())
    return sorted(name for name in names if name)


def revision_calibration(
    session: Session, revision: EstimateRevision
) -> tuple[engine.Calibration | None, dict[str, Any] | None]:
    """The calibration a run of ``revision`` uses, and the backtest coverage to show with it."""
    try:
        grouping = engine.CalibrationGroupBy(revision.calibration)
    except ValueError:
        return None, None  # "off"
    calibration = fit_calibration(session, grouping)
    if calibration is None:
        return None, None
    return calibration, coverage_report(run_backtest(session, grouping))


# --- storing an import ------------------------------------------------------------------------


def role_lookup(session: Session) -> dict[str, str]:
    """Normalised role code, Chinese or English name → role code, for imported role texts."""
    lookup: dict[str, str] = {}
    for role in session.exec(select(Role)):
        for name in (role.code, role.name_zh, role.name_en):
            lookup[normalise_header(name)] = role.code
    return lookup


def previous_import(session: Session, sha256: str) -> HistoryImport | None:
    return session.exec(select(HistoryImport).where(HistoryImport.file_sha256 == sha256)).first()


def store_import(
    session: Session,
    *,
    user: User | None,
    checked: CheckedFile,
    sha256: str,
    opportunity_id: int | None = None,
    source: HistorySource | None = None,
) -> HistoryImport:
    """Store the good rows of a checked file at once (one import record)."""
    earlier = previous_import(session, sha256)
    if earlier is not None:
        raise FieldError(
            "file",
            f"this file was already imported on {earlier.created_at:%Y-%m-%d} "
            f"({earlier.rows_imported} rows); delete that import first to import it again",
        )
    if not checked.rows:
        raise FieldError("file", "no row of the file can be imported; see the problems listed")
    kind = source or (
        HistorySource.TIMESHEET
        if opportunity_id is not None
        else HistorySource.PROJECTS
        if checked.kind is RowKind.PROJECTS
        else HistorySource.TASKS
    )
    record = HistoryImport(
        kind=kind,
        file_name=checked.file_name[:300],
        file_sha256=sha256,
        rows_read=len(checked.rows) + checked.skipped_rows,
        rows_imported=len(checked.rows),
        rows_skipped=checked.skipped_rows,
        imported_by_id=user.id if user is not None else None,
    )
    session.add(record)
    session.flush()
    if opportunity_id is not None:
        _import_into_opportunity(session, opportunity_id, checked.rows)
    elif checked.kind is RowKind.PROJECTS:
        session.add_all(_project_records(record, checked.rows))
    else:
        by_project = any(field.value == "project" for field in checked.mapping)
        session.add_all(_task_projects(record, checked.rows, by_project=by_project))
    session.flush()
    if user is not None:
        record_event(
            session,
            user=user,
            action="import",
            entity_type="history_import",
            entity_id=record.id,
            summary=f"{record.file_name}: {record.rows_imported} row(s), "
            f"{record.rows_skipped} left out",
        )
    return record


def _project_records(record: HistoryImport, rows: list[HistoryRow]) -> list[HistoryProject]:
    return [
        HistoryProject(
            source=record.kind,
            import_id=record.id,
            name=(row.project or row.task or f"{record.file_name} row {row.row}")[:300],
            reference=row.project[:100],
            estimator=row.estimator,
            category=row.category,
            estimated_days=row.estimate,
            actual_days=row.actual,
            finished_on=row.finished,
        )
        for row in rows
    ]


def _task(row: HistoryRow, position: int) -> HistoryTask:
    return HistoryTask(
        name=row.task,
        phase=row.phase,
        category=row.category,
        role=row.role,
        estimator=row.estimator,
        estimated_days=row.estimate,
        actual_days=row.actual,
        performed_on=row.finished,
        position=position,
    )


def _task_projects(
    record: HistoryImport, rows: list[HistoryRow], *, by_project: bool
) -> list[HistoryProject]:
    groups: dict[str, list[HistoryRow]] = {}
    for row in rows:
        key = row.project if by_project and row.project else f"row {row.row}"
        groups.setdefault(key, []).append(row)
    projects = []
    for key, members in groups.items():
        dates = [row.finished for row in members if row.finished is not None]
        project = HistoryProject(
            source=record.kind,
            import_id=record.id,
            name=(key if by_project else members[0].task or key)[:300],
            reference=key[:100] if by_project else "",
            estimator=next((row.estimator for row in members if row.estimator), ""),
            category=next((row.category for row in members if row.category), ""),
            finished_on=max(dates) if dates else None,
        )
        replace_tasks(project, [_task(row, k) for k, row in enumerate(members)])
        projects.append(project)
    return projects


def _import_into_opportunity(session: Session, opportunity_id: int, rows: list[HistoryRow]) -> None:
    project = opportunity_project(session, opportunity_id)
    if project is None:
        raise FieldError("opportunity_id", "record the opportunity as won before importing")
    replace_tasks(project, [_task(row, k) for k, row in enumerate(rows)])
    dates = [row.finished for row in rows if row.finished is not None]
    if dates:
        project.finished_on = max(dates)
    session.add(project)
