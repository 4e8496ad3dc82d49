"""Bidwright's estimation engine: three-point / PERT Monte Carlo over work items.

A pure library: it imports only the standard library, numpy and scipy, does no I/O and
keeps no module-level state.

Main entry points
-----------------
- :class:`EstimationModel` and its parts (:class:`WorkItem`, :class:`PercentItem`,
  :class:`RiskEvent`, :class:`Role`, :class:`Phase`, :class:`CorrelationGroup`,
  :class:`CorrelationMatrix`, :class:`Settings`, :class:`WorkCalendar`): validated inputs.
- :func:`simulate` → :class:`SimulationResult` (``to_json`` / ``from_json``).
- :func:`analytic_summary`: deterministic references and the normal approximation.
- :func:`calibrate`, :func:`accuracy`, :func:`backtest`: calibration from past estimates
  versus actuals; a model with a :class:`Calibration` gets a calibrated outcome too.
- :func:`parse_holiday_schedule`: holiday data file text → :class:`HolidaySchedule`.
"""

from estimation.analytic import analytic_summary
from estimation.calendar import (
    HolidayNotice,
    HolidaySchedule,
    WorkCalendar,
    add_working_days,
    is_working_day,
    parse_holiday_schedule,
    working_dates_for,
    working_days_between,
)
from estimation.calibration import (
    AccuracyRow,
    Backtest,
    BacktestProject,
    Calibration,
    CalibrationGroupBy,
    FitMethod,
    GroupFit,
    accuracy,
    backtest,
    calibrate,
)
from estimation.correlation import is_positive_semidefinite, nearest_correlation_matrix
from estimation.distributions import Marginal, fit_marginal, pert_parameters
from estimation.engine import (
    BLOCK_ROWS,
    DEFAULT_CHUNK_SIZE,
    ENGINE_VERSION,
    MAX_ITERATIONS,
    MIN_ITERATIONS,
    sample_work_items,
    simulate,
)
from estimation.errors import CorrelationRepairWarning, EstimationInputError
from estimation.model import (
    CorrelationGroup,
    CorrelationMatrix,
    Distribution,
    EstimationModel,
    GroupBy,
    PercentItem,
    Phase,
    RangeInterpretation,
    RiskEvent,
    Role,
    Sampling,
    Settings,
    WorkItem,
)
from estimation.reference import reference_model
from estimation.results import (
    PERCENTILE_LEVELS,
    SCHEMA_VERSION,
    AnalyticSummary,
    CalibratedOutcome,
    CalibrationFactor,
    Contingency,
    Convergence,
    Histogram,
    NormalApproximation,
    Outcome,
    QuantileEstimate,
    RiskSummary,
    SensitivityEntry,
    SeriesSummary,
    SimulationResult,
    TargetProbabilities,
)

__all__ = [
    "BLOCK_ROWS",
    "DEFAULT_CHUNK_SIZE",
    "ENGINE_VERSION",
    "MAX_ITERATIONS",
    "MIN_ITERATIONS",
    "PERCENTILE_LEVELS",
    "SCHEMA_VERSION",
    "AccuracyRow",
    "AnalyticSummary",
    "Backtest",
    "BacktestProject",
    "CalibratedOutcome",
    "Calibration",
    "CalibrationFactor",
    "CalibrationGroupBy",
    "Contingency",
    "Convergence",
    "CorrelationGroup",
    "CorrelationMatrix",
    "CorrelationRepairWarning",
    "Distribution",
    "EstimationInputError",
    "EstimationModel",
    "FitMethod",
    "GroupBy",
    "GroupFit",
    "Histogram",
    "HolidayNotice",
    "HolidaySchedule",
    "Marginal",
    "NormalApproximation",
    "Outcome",
    "PercentItem",
    "Phase",
    "QuantileEstimate",
    "RangeInterpretation",
    "RiskEvent",
    "RiskSummary",
    "Role",
    "Sampling",
    "SensitivityEntry",
    "SeriesSummary",
    "Settings",
    "SimulationResult",
    "TargetProbabilities",
    "WorkCalendar",
    "WorkItem",
    "accuracy",
    "add_working_days",
    "analytic_summary",
    "backtest",
    "calibrate",
    "fit_marginal",
    "is_positive_semidefinite",
    "is_working_day",
    "nearest_correlation_matrix",
    "parse_holiday_schedule",
    "pert_parameters",
    "reference_model",
    "sample_work_items",
    "simulate",
    "working_dates_for",
    "working_days_between",
]
