"""Simulation outputs: frozen dataclasses that round-trip through JSON.

Units: effort in person-days, money in the rates' currency, durations in working days.
Percentile keys are ``"P1"``, ``"P5"``, ``"P10"`` … ``"P95"``, ``"P99"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from estimation._codec import decode, encode, require_finite
from estimation.calibration import Calibration, FitMethod
from estimation.errors import EstimationInputError
from estimation.model import Sampling

__all__ = [
    "PERCENTILE_LEVELS",
    "SCHEMA_VERSION",
    "AnalyticSummary",
    "CalibratedOutcome",
    "CalibrationFactor",
    "Contingency",
    "Convergence",
    "Histogram",
    "NormalApproximation",
    "Outcome",
    "QuantileEstimate",
    "RiskSummary",
    "SensitivityEntry",
    "SeriesSummary",
    "SimulationResult",
    "TargetProbabilities",
]

SCHEMA_VERSION = 1
PERCENTILE_LEVELS: tuple[int, ...] = (1, *range(5, 100, 5), 99)


@dataclass(frozen=True)
class Histogram:
    """Equal-width bins: ``counts[i]`` values fall in ``[edges[i], edges[i+1])`` (last closed)."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True)
class SeriesSummary:
    """Distribution of one output over the iterations.

    ``s_curve`` holds (value, cumulative probability) at probabilities 0, 0.01, …, 1.
    """

    mean: float
    sd: float
    minimum: float
    maximum: float
    percentiles: dict[str, float]
    histogram: Histogram
    s_curve: tuple[tuple[float, float], ...]

    def percentile(self, level: int) -> float:
        """The value at percentile ``level`` (one of :data:`PERCENTILE_LEVELS`).

        Examples
        --------
        >>> histogram = Histogram((1.0, 1.0), (1,))
        >>> summary = SeriesSummary(1.0, 0.0, 1.0, 1.0, {"P80": 1.0}, histogram, ())
        >>> summary.percentile(80)
        1.0
        """
        return self.percentiles[f"P{level}"]


@dataclass(frozen=True)
class Contingency:
    """Reserve needed at ``confidence``: P_c minus the most-likely plan, and P_c minus the mean."""

    confidence: float
    effort_at_confidence: float
    effort_over_most_likely: float
    effort_over_mean: float
    cost_at_confidence: float
    cost_over_most_likely: float
    cost_over_mean: float


@dataclass(frozen=True)
class TargetProbabilities:
    """Probabilities of meeting the targets in the settings (``None`` when no target is set).

    ``budget`` compares cost with the target budget; ``budget_and_date`` is the joint
    confidence of meeting both.
    """

    effort: float | None
    budget: float | None
    date: float | None
    budget_and_date: float | None


@dataclass(frozen=True)
class Outcome:
    """The outputs of one scenario (without or with risk mitigation)."""

    effort: SeriesSummary
    effort_by_role: dict[str, SeriesSummary]
    effort_by_phase: dict[str, SeriesSummary]
    cost: SeriesSummary
    price: SeriesSummary
    margin: SeriesSummary
    duration: SeriesSummary
    delivery_dates: dict[str, date] | None
    contingency: Contingency
    targets: TargetProbabilities


@dataclass(frozen=True)
class NormalApproximation:
    """Normal approximation of a total: mean, standard deviation and P50/P80/P90."""

    mean: float
    sd: float
    p50: float
    p80: float
    p90: float


@dataclass(frozen=True)
class AnalyticSummary:
    """Deterministic references a reviewer asks about, and the analytic normal approximation.

    ``sum_most_likely_*`` is the plan with every estimate at its most likely value and no
    risk; ``sum_pert_means_effort`` uses (a + λm + b)/(λ + 2) per estimate as entered;
    ``expected_risk_*`` is Σ probability × mean impact. The normal approximations include
    risks and treat rank correlations as product-moment correlations.
    """

    sum_most_likely_effort: float
    sum_pert_means_effort: float
    expected_risk_effort: float
    sum_most_likely_cost: float
    sum_most_likely_price: float
    expected_risk_cost: float
    effort: NormalApproximation
    cost: NormalApproximation
    price: NormalApproximation


@dataclass(frozen=True)
class SensitivityEntry:
    """One input's influence on the totals (a tornado bar).

    ``kind`` is ``"work"``, ``"percent"`` or ``"risk"``; ``spearman_*`` are rank
    correlations with total effort and total cost; ``variance_share`` is the input's
    squared rank correlation with effort divided by the sum over all inputs.
    """

    kind: str
    key: str
    name: str
    spearman_effort: float
    spearman_cost: float
    variance_share: float


@dataclass(frozen=True)
class RiskSummary:
    """A risk's probability and impacts; ``expected_*`` are probability × mean impact.

    Money figures value day impacts at the roles' cost rates plus money impacts.
    ``simulated_*`` are the means over the iterations, for comparison.
    """

    code: str
    name: str
    probability: float
    frequency: float
    mean_impact_days: float
    mean_impact_cost: float
    expected_impact_days: float
    expected_impact_cost: float
    simulated_impact_days: float
    simulated_impact_cost: float
    mitigable: bool
    post_mitigation_probability: float
    post_mitigation_frequency: float
    expected_impact_days_mitigated: float
    expected_impact_cost_mitigated: float
    mitigation_cost: float


@dataclass(frozen=True)
class QuantileEstimate:
    """A percentile with its distribution-free 95 % confidence interval (order statistics)."""

    level: float
    value: float
    lower: float
    upper: float
    standard_error: float


@dataclass(frozen=True)
class Convergence:
    """Precision of the effort percentiles; in auto mode, whether the target was reached.

    ``relative_half_width_p80`` is half the 95 % interval of the P80 over the P80 (``None``
    when the P80 is zero yet uncertain).
    """

    iterations: int
    auto: bool
    converged: bool
    tolerance: float | None
    relative_half_width_p80: float | None
    effort: tuple[QuantileEstimate, ...]


@dataclass(frozen=True)
class CalibrationFactor:
    """The factor one calibration group applied: its source fit and its quantiles.

    ``key`` is the model's group (a role, a phase, the estimator, or "" for everything);
    ``fit_key`` the history group it was drawn from ("" when the overall fit stood in).
    """

    key: str
    fit_key: str
    method: FitMethod
    points: int
    median: float
    p80: float
    p90: float


@dataclass(frozen=True)
class CalibratedOutcome:
    """The same simulation with each group's effort multiplied by its calibration factor.

    Same seed and the same raw draws (common random numbers): the differences from the raw
    outcome are due to the calibration alone. ``calibration`` is the full fit used, so the
    result can be reproduced from the stored data.
    """

    calibration: Calibration
    estimator: str
    factors: tuple[CalibrationFactor, ...]
    unmitigated: Outcome
    mitigated: Outcome | None


@dataclass(frozen=True)
class SimulationResult:
    """Everything one simulation produced.

    Examples
    --------
    >>> from estimation import reference_model, simulate
    >>> result = simulate(reference_model(items=20), iterations=2_000, seed=1)
    >>> SimulationResult.from_json(result.to_json()) == result
    True
    """

    schema_version: int
    engine_version: str
    iterations: int
    seed: int
    sampling: Sampling
    start_date: date | None
    unmitigated: Outcome
    mitigated: Outcome | None
    analytic: AnalyticSummary
    sensitivity: tuple[SensitivityEntry, ...]
    risks: tuple[RiskSummary, ...]
    convergence: Convergence
    warnings: tuple[str, ...]
    calibrated: CalibratedOutcome | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible data."""
        data: dict[str, Any] = encode(self)
        return data

    def require_finite(self) -> None:
        """Raise :class:`EstimationInputError` naming the first NaN or infinity, for a
        writer that encodes the result itself rather than through :meth:`to_dict`."""
        require_finite(self)

    def to_json(self) -> str:
        """JSON text (UTF-8 safe, no NaN), with ``schema_version``."""
        return json.dumps(self.to_dict(), ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulationResult:
        """Rebuild from :meth:`to_dict` data; refuses other schema versions."""
        version = data.get("schema_version") if isinstance(data, dict) else None
        if version != SCHEMA_VERSION:
            raise EstimationInputError(
                f"result: schema_version={version!r} is not the supported {SCHEMA_VERSION}"
            )
        if "calibrated" not in data:  # stored before calibration existed: same schema otherwise
            data = {**data, "calibrated": None}
        result: SimulationResult = decode(cls, data)
        return result

    @classmethod
    def from_json(cls, text: str) -> SimulationResult:
        """Rebuild from :meth:`to_json` text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise EstimationInputError(f"result: not valid JSON ({error})") from error
        return cls.from_dict(data)
