"""A stored run as the results page shows it, for a given viewer.

Cost, margin and anything derived from cost rates is left out entirely for viewers who may
not see cost (sales, bid): not hidden in the page, absent from the view-model.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

import estimation as engine
from app.caching import BoundedCache
from app.errors import NotFoundError
from app.models import Estimate, EstimateRevision, Opportunity, SimulationRun
from app.services.revision_view import phase_label
from app.services.runs import money_text, value_at
from app.vocabulary import Language, RunStatus

LEVELS = ("P50", "P80", "P90")


@dataclass(frozen=True)
class SeriesRow:
    key: str
    label: str
    is_money: bool
    mean: float
    p50: float
    p80: float
    p90: float
    most_likely_sum: float | None = None
    pert_mean_sum: float | None = None
    normal_p80: float | None = None


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    p50: float
    p80: float
    p90: float


@dataclass(frozen=True)
class DriverRow:
    name: str
    kind: str
    spearman: float
    variance_share: float


@dataclass(frozen=True)
class RiskRow:
    code: str
    name: str
    probability: float
    frequency: float
    expected_days: float
    expected_money: float | None


@dataclass(frozen=True)
class FactorRow:
    label: str
    method: str
    points: int
    median: float
    p80: float
    p90: float


@dataclass
class CalibrationInfo:
    """Raw versus calibrated, the calibration's source and its backtest coverage."""

    group_by: str
    points: int
    projects: int
    first_date: date | None
    last_date: date | None
    price_basis: str
    factors: list[FactorRow]
    comparison: list[tuple[str, bool, tuple[float, ...], tuple[float, ...]]]
    coverage_projects: int | None = None
    coverage_raw_p80: float | None = None
    coverage_calibrated_p80: float | None = None


@dataclass
class RunView:
    id: int
    status: str
    error: str
    created_at: datetime
    iterations: int
    seed: int
    sampling: str
    engine_version: str
    input_sha256: str
    revision_id: int
    revision_number: int
    estimate_name: str
    opportunity_name: str
    currency: str
    sees_cost: bool
    progress: float = 0.0
    confidence: float = 0.8
    rows: list[SeriesRow] = field(default_factory=list)
    delivery: dict[str, date] = field(default_factory=dict)
    contingency: dict[str, float] = field(default_factory=dict)
    targets: dict[str, float | None] = field(default_factory=dict)
    by_role: list[BreakdownRow] = field(default_factory=list)
    by_phase: list[BreakdownRow] = field(default_factory=list)
    drivers: list[DriverRow] = field(default_factory=list)
    risks: list[RiskRow] = field(default_factory=list)
    mitigated: dict[str, float] | None = None
    convergence: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    charts: list[tuple[str, str]] = field(default_factory=list)
    basis: str = "raw"
    calibration: CalibrationInfo | None = None

    @property
    def finished(self) -> bool:
        return self.status in {RunStatus.SUCCEEDED, RunStatus.FAILED}


_RESULTS: BoundedCache[tuple[object, ...], engine.SimulationResult | None] = BoundedCache(32)
_SNAPSHOTS: BoundedCache[tuple[object, ...], dict[str, Any]] = BoundedCache(32)


def run_identity(run: SimulationRun) -> tuple[object, ...]:
    """A key for what is derived from a finished run, made of small columns only (reading
    them never loads the large result or snapshot); a reused id (a deleted run) comes with
    another digest and finish time."""
    return (run.id or 0, run.input_sha256, str(run.finished_at))


def run_currency(run: SimulationRun) -> str:
    """From the small summary when there is one (the snapshot is large and loads lazily)."""
    if run.summary and run.summary.get("currency"):
        return str(run.summary["currency"])
    return str(run_snapshot(run).get("currency", "CNY"))


def load_result(run: SimulationRun) -> engine.SimulationResult:
    """The run's decoded result; finished runs never change, so it is decoded once."""
    result = stored_result(run)
    if result is None:
        raise NotFoundError(f"run {run.id} has no stored result")
    return result


def stored_result(run: SimulationRun) -> engine.SimulationResult | None:
    """The decoded result, or None when the run stored none.

    The key is made of small columns: a cache hit never reads the deferred ``result`` column,
    whose JSON decoding alone cost more than the rest of the results page.
    """
    return _RESULTS.get_or_compute(
        run_identity(run),
        lambda: None if run.result is None else engine.SimulationResult.from_dict(run.result),
    )


def run_snapshot(run: SimulationRun) -> dict[str, Any]:
    """The run's input snapshot, decoded once per finished run; shared, so read-only."""
    if not run.finished_at:
        return run.input_snapshot
    return _SNAPSHOTS.get_or_compute(run_identity(run), lambda: run.input_snapshot)


@dataclass(frozen=True)
class RevisionHeading:
    """What the results page says about the run's revision."""

    id: int
    number: int
    estimate_name: str
    opportunity_name: str


def revision_heading(session: Session, revision_id: int) -> RevisionHeading:
    """One query instead of loading the revision, its estimate and its opportunity."""
    row = session.exec(
        select(EstimateRevision.number, Estimate.name, Opportunity.name)
        .join(Estimate, col(Estimate.id) == col(EstimateRevision.estimate_id))
        .join(Opportunity, col(Opportunity.id) == col(Estimate.opportunity_id))
        .where(EstimateRevision.id == revision_id)
    ).first()
    if row is None:
        raise NotFoundError(f"estimate revision {revision_id} does not exist")
    number, estimate_name, opportunity_name = row
    return RevisionHeading(revision_id, number, estimate_name, opportunity_name)


def run_view(
    run: SimulationRun,
    revision: RevisionHeading,
    *,
    sees_cost: bool,
    language: Language,
    basis: str | None = None,
) -> RunView:
    """The run as shown; ``basis`` "calibrated" shows the calibrated outcome (default: the
    basis the quote was priced on)."""
    view = RunView(
        id=run.id or 0,
        status=run.status.value,
        error=run.error,
        created_at=run.created_at,
        iterations=run.iterations,
        seed=run.seed,
        sampling=run.sampling.value,
        engine_version=run.engine_version,
        input_sha256=run.input_sha256,
        revision_id=revision.id,
        revision_number=revision.number,
        estimate_name=revision.estimate_name,
        opportunity_name=revision.opportunity_name,
        currency=run_currency(run),
        sees_cost=sees_cost,
        progress=run.progress,
    )
    result = stored_result(run) if run.status == RunStatus.SUCCEEDED else None
    if result is not None:
        recorded = str((run.summary or {}).get("price_basis", "raw"))
        calibrated = result.calibrated is not None and (basis or recorded) == "calibrated"
        view.basis = "calibrated" if calibrated else "raw"
        _fill_results(view, result, language)
        if result.calibrated is not None:
            view.calibration = _calibration_info(run, result, result.calibrated, language)
    return view


def _calibration_info(
    run: SimulationRun,
    result: engine.SimulationResult,
    calibrated: engine.CalibratedOutcome,
    language: Language,
) -> CalibrationInfo:
    calibration = calibrated.calibration
    note = (run.summary or {}).get("calibration") or {}
    coverage = note.get("coverage") or {}
    zh = language == Language.ZH
    pairs = [("effort", "工作量（人天）" if zh else "Effort (person-days)", False)]
    pairs.append(("price", "报价" if zh else "Price", True))
    comparison = []
    for key, label, is_money in pairs:
        raw = getattr(result.unmitigated, key).percentiles
        adjusted = getattr(calibrated.unmitigated, key).percentiles
        convert = _money if is_money else float
        comparison.append(
            (
                label,
                is_money,
                tuple(convert(raw[level]) for level in LEVELS),
                tuple(convert(adjusted[level]) for level in LEVELS),
            )
        )
    return CalibrationInfo(
        group_by=calibration.group_by.value,
        points=calibration.points,
        projects=calibration.projects,
        first_date=calibration.first_date,
        last_date=calibration.last_date,
        price_basis=str((run.summary or {}).get("price_basis", "raw")),
        factors=[
            FactorRow(
                label=_factor_label(factor.key, calibration.group_by.value, language),
                method=factor.method.value,
                points=factor.points,
                median=factor.median,
                p80=factor.p80,
                p90=factor.p90,
            )
            for factor in calibrated.factors
        ],
        comparison=comparison,
        coverage_projects=coverage.get("projects"),
        coverage_raw_p80=(coverage.get("raw") or [None, None])[1],
        coverage_calibrated_p80=(coverage.get("calibrated") or [None, None])[1],
    )


def _factor_label(key: str, group_by: str, language: Language) -> str:
    if not key:
        return "全部" if language == Language.ZH else "All"
    if group_by == "phase":
        try:
            return phase_label(key, language)
        except ValueError:
            return key
    return key


def _series_row(key: str, label: str, series: engine.SeriesSummary, *, money: bool) -> SeriesRow:
    p = series.percentiles
    convert = _money if money else float
    return SeriesRow(
        key=key,
        label=label,
        is_money=money,
        mean=convert(series.mean),
        p50=convert(p["P50"]),
        p80=convert(p["P80"]),
        p90=convert(p["P90"]),
    )


def _money(value: float) -> float:
    """Money as the page, the quote and the proposal print it: half-up to the cent."""
    return float(Decimal(money_text(value)))


def _fill_results(view: RunView, result: engine.SimulationResult, language: Language) -> None:
    outcome, analytic = result.unmitigated, result.analytic
    if view.basis == "calibrated" and result.calibrated is not None:
        outcome = result.calibrated.unmitigated
    zh = language == Language.ZH
    effort = _series_row(
        "effort", "工作量（人天）" if zh else "Effort (person-days)", outcome.effort, money=False
    )
    view.rows.append(
        SeriesRow(
            **{
                **effort.__dict__,
                "most_likely_sum": analytic.sum_most_likely_effort,
                "pert_mean_sum": analytic.sum_pert_means_effort,
                "normal_p80": analytic.effort.p80,
            },
        )
    )
    if view.sees_cost:
        view.rows.append(_series_row("cost", "成本" if zh else "Cost", outcome.cost, money=True))
    view.rows.append(_series_row("price", "报价" if zh else "Price", outcome.price, money=True))
    if view.sees_cost:
        view.rows.append(
            _series_row("margin", "毛利" if zh else "Margin", outcome.margin, money=True)
        )
    view.rows.append(
        _series_row(
            "duration",
            "工期（工作日）" if zh else "Duration (working days)",
            outcome.duration,
            money=False,
        )
    )
    view.confidence = outcome.contingency.confidence
    view.delivery = dict(outcome.delivery_dates or {})
    view.contingency = _contingency(outcome, analytic, sees_cost=view.sees_cost)
    view.targets = _targets(outcome.targets, sees_cost=view.sees_cost)
    view.by_role = _breakdown(outcome.effort_by_role, lambda key: key)
    view.by_phase = _breakdown(outcome.effort_by_phase, lambda key: phase_label(key, language))
    view.drivers = [
        DriverRow(
            name=entry.name or entry.key,
            kind=entry.kind,
            spearman=entry.spearman_effort,
            variance_share=entry.variance_share,
        )
        for entry in result.sensitivity[:12]
    ]
    view.risks = [
        RiskRow(
            code=risk.code,
            name=risk.name,
            probability=risk.probability,
            frequency=risk.frequency,
            expected_days=risk.expected_impact_days,
            expected_money=_money(risk.expected_impact_cost) if view.sees_cost else None,
        )
        for risk in result.risks
    ]
    mitigated = result.mitigated
    if view.basis == "calibrated" and result.calibrated is not None:
        mitigated = result.calibrated.mitigated
    if mitigated is not None:
        view.mitigated = {
            "effort_p80": mitigated.effort.percentiles["P80"],
            "price_p80": _money(mitigated.price.percentiles["P80"]),
        }
    p80 = next((q for q in result.convergence.effort if abs(q.level - 0.8) < 1e-9), None)
    if p80 is not None:
        view.convergence = {
            "p80": p80.value,
            "lower": p80.lower,
            "upper": p80.upper,
            "half_width": (p80.upper - p80.lower) / 2,
            "auto": result.convergence.auto,
        }
    view.warnings = result.warnings
    view.charts = [
        ("histogram-effort", "工作量分布" if zh else "Effort distribution"),
        ("histogram-price", "报价分布" if zh else "Price distribution"),
        ("s-curve-effort", "工作量 S 曲线" if zh else "Effort S-curve"),
        ("s-curve-price", "报价 S 曲线" if zh else "Price S-curve"),
        ("tornado", "主要驱动因素" if zh else "Top drivers"),
    ]


def _contingency(
    outcome: engine.Outcome, analytic: engine.AnalyticSummary, *, sees_cost: bool
) -> dict[str, float]:
    confidence = outcome.contingency.confidence
    price_at = value_at(outcome.price, confidence)
    values = {
        "effort_at_confidence": outcome.contingency.effort_at_confidence,
        "effort_over_most_likely": outcome.contingency.effort_over_most_likely,
        "effort_over_mean": outcome.contingency.effort_over_mean,
        "price_at_confidence": _money(price_at),
        "price_over_most_likely": _money(price_at - analytic.sum_most_likely_price),
        "price_over_mean": _money(price_at - outcome.price.mean),
    }
    if sees_cost:
        values["cost_over_most_likely"] = _money(outcome.contingency.cost_over_most_likely)
        values["cost_over_mean"] = _money(outcome.contingency.cost_over_mean)
    return values


def _targets(targets: engine.TargetProbabilities, *, sees_cost: bool) -> dict[str, float | None]:
    values: dict[str, float | None] = {"effort": targets.effort, "date": targets.date}
    if sees_cost:  # the budget target is compared with cost
        values["budget"] = targets.budget
        values["budget_and_date"] = targets.budget_and_date
    return values


def _breakdown(series: dict[str, engine.SeriesSummary], label: Any) -> list[BreakdownRow]:
    return [
        BreakdownRow(
            label=label(key),
            p50=s.percentiles["P50"],
            p80=s.percentiles["P80"],
            p90=s.percentiles["P90"],
        )
        for key, s in series.items()
        if s.maximum > 0
    ]
