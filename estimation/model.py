"""Engine inputs: frozen dataclasses validated on construction.

Units: effort in person-days, money in the currency of the rates (a float), durations in
working days, percentages in percent (``12.5`` means 12.5 %).

Semantics
---------
Work item
    One estimate line for one role: a three-point estimate per unit, multiplied by
    ``quantity × complexity``. Its variable id is ``"<line>/<role>"``.
Percent item
    A line whose effort is a percentage of the *work-item* effort of other phases, drawn
    per iteration: ``effort = percent/100 × Σ work effort in of_phases × quantity ×
    complexity``. The base never includes other percent items or risk impacts, so the
    result does not depend on the order of items.
Risk event
    Occurs in an iteration with ``probability``; when it does, one draw of a uniform sets
    every impact of the event (its days on each role and its money move together). Day
    impacts add effort to a role, in ``phase`` when given; without a phase they delay the
    end of the project by ``max over roles(days / fte)``. Money impacts add to cost only.
    The mitigated scenario uses the same draws with ``post_mitigation_probability`` (the
    event occurs when its uniform is below that probability) and impacts multiplied by
    ``post_mitigation_impact_scale``; ``mitigation_cost`` is added to its cost.
Correlation groups
    All work items sharing a phase, a role or a tag get the rank correlation ``rho``
    (one-factor Gaussian copula). An item in several groups gets the sum of their
    copula correlations (which must not exceed 1). Items named in the correlation
    matrix ignore groups. Percent items and risks are independent of everything.
Calibration
    With a :class:`~estimation.calibration.Calibration`, the engine also gives a calibrated
    outcome: in every iteration each calibration group (a role, a phase, the estimate's
    ``estimator`` or everything) draws one factor from its fitted ratio distribution, and
    the effort of every work and percent item of the group is multiplied by it; risk
    impacts are not (they are events of their own). The factors come from a random stream
    of their own, so the raw outcome is unchanged and the two share every other draw.
Money
    ``cost = Σ roles cost_day_rate × effort + risk money impacts (+ mitigation costs in
    the mitigated scenario)``; ``price = Σ roles sell_day_rate × effort`` (risk days
    included, risk money not); ``margin = price − cost``. A target budget is compared
    with cost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

import numpy as np

from estimation.calendar import WorkCalendar
from estimation.calibration import Calibration
from estimation.errors import EstimationInputError

__all__ = [
    "CorrelationGroup",
    "CorrelationMatrix",
    "Distribution",
    "EstimationModel",
    "GroupBy",
    "PercentItem",
    "Phase",
    "RangeInterpretation",
    "RiskEvent",
    "Role",
    "Sampling",
    "Settings",
    "WorkItem",
    "spearman_to_copula",
]


class Distribution(StrEnum):
    """Shape given to a three-point estimate (optimistic a, most likely m, pessimistic b).

    - ``pert``: Beta-PERT, α = 1 + λ(m−a)/(b−a), β = 1 + λ(b−m)/(b−a); mean (a+λm+b)/(λ+2).
    - ``triangular``: triangle on [a, b] with mode m.
    - ``uniform``: uniform on [a, b] (m only has to lie between them).
    - ``lognormal``: a + a lognormal variable, with mode m and 95th percentile b; a is a hard
      minimum and there is no maximum. Needs a < m < b.
    - ``fixed``: the constant m.
    """

    PERT = "pert"
    TRIANGULAR = "triangular"
    UNIFORM = "uniform"
    LOGNORMAL = "lognormal"
    FIXED = "fixed"


class Sampling(StrEnum):
    """``mc``: plain Monte Carlo. ``lhs``: Latin hypercube within each block of iterations."""

    MONTE_CARLO = "mc"
    LATIN_HYPERCUBE = "lhs"


class RangeInterpretation(StrEnum):
    """Whether optimistic/pessimistic are hard bounds or the P10/P90 (as Primavera's Trigen).

    With ``p10_p90`` each estimate is widened to the distribution of the same shape whose
    10th and 90th percentiles are the given values (most likely kept). A lower bound that
    would fall below zero is clamped at zero and the result carries a warning.
    """

    ABSOLUTE = "absolute"
    P10_P90 = "p10_p90"


class GroupBy(StrEnum):
    """What a correlation group collects: the work items of a phase, of a role or of a tag."""

    PHASE = "phase"
    ROLE = "role"
    TAG = "tag"


# --- validation helpers -----------------------------------------------------------------


def _number(where: str, name: str, value: Any) -> float:
    if type(value) is float and math.isfinite(value):  # the common case, checked first
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise EstimationInputError(f"{where}: {name}={value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise EstimationInputError(f"{where}: {name}={number!r} is not a finite number")
    return number


def _non_negative(where: str, name: str, value: Any) -> float:
    number = _number(where, name, value)
    if number < 0:
        raise EstimationInputError(f"{where}: {name}={number!r} is negative")
    return number


def _positive(where: str, name: str, value: Any) -> float:
    number = _number(where, name, value)
    if number <= 0:
        raise EstimationInputError(f"{where}: {name}={number!r} must be above zero")
    return number


def _probability(where: str, name: str, value: Any) -> float:
    number = _number(where, name, value)
    if not 0.0 <= number <= 1.0:
        raise EstimationInputError(f"{where}: {name}={number!r} is outside [0, 1]")
    return number


def _text(where: str, name: str, value: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise EstimationInputError(f"{where}: {name}={value!r} must be a non-empty string")
    return value


_E = TypeVar("_E", bound=StrEnum)


def _enum(where: str, name: str, value: Any, kind: type[_E]) -> _E:
    if type(value) is kind:
        return value
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in kind)
        raise EstimationInputError(f"{where}: {name}={value!r} is not one of {allowed}") from None


def _check_three_point(
    where: str,
    values: tuple[Any, Any, Any],
    distribution: Distribution,
    names: tuple[str, str, str] = ("optimistic", "most_likely", "pessimistic"),
) -> tuple[float, float, float]:
    low = _non_negative(where, names[0], values[0])
    mode = _non_negative(where, names[1], values[1])
    high = _non_negative(where, names[2], values[2])
    if mode < low:
        raise EstimationInputError(f"{where}: {names[1]}={mode!r} is below {names[0]}={low!r}")
    if high < mode:
        raise EstimationInputError(f"{where}: {names[2]}={high!r} is below {names[1]}={mode!r}")
    if distribution is Distribution.LOGNORMAL and low != high and not low < mode < high:
        raise EstimationInputError(
            f"{where}: lognormal needs {names[0]} < {names[1]} < {names[2]}, got "
            f"{names[0]}={low!r}, {names[1]}={mode!r}, {names[2]}={high!r}"
        )
    return low, mode, high


_MAX_PERT_LAMBDA = 100.0


def _pert_lambda(where: str, value: Any) -> float | None:
    return None if value is None else _lambda(where, value)


def _lambda(where: str, value: Any) -> float:
    number = _positive(where, "pert_lambda", value)
    if number > _MAX_PERT_LAMBDA:
        raise EstimationInputError(
            f"{where}: pert_lambda={number!r} is above {_MAX_PERT_LAMBDA:g} (4 is classic PERT)"
        )
    return number


def _set(instance: object, name: str, value: Any) -> None:
    object.__setattr__(instance, name, value)


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkItem:
    """A three-point estimate of one estimate line for one role (person-days per unit).

    Examples
    --------
    >>> item = WorkItem("DEV-003", "BE", "build", 3.0, 5.0, 10.0, quantity=2)
    >>> item.variable_id, item.quantity
    ('DEV-003/BE', 2.0)
    """

    line: str
    role: str
    phase: str
    optimistic: float
    most_likely: float
    pessimistic: float
    quantity: float = 1.0
    complexity: float = 1.0
    distribution: Distribution = Distribution.PERT
    pert_lambda: float | None = None
    name: str = ""
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        where = f"line {self.line!r} role {self.role!r}"
        _text(where, "line", self.line)
        _text(where, "role", self.role)
        _text(where, "phase", self.phase)
        _set(self, "distribution", _enum(where, "distribution", self.distribution, Distribution))
        low, mode, high = _check_three_point(
            where, (self.optimistic, self.most_likely, self.pessimistic), self.distribution
        )
        _set(self, "optimistic", low)
        _set(self, "most_likely", mode)
        _set(self, "pessimistic", high)
        _set(self, "quantity", _non_negative(where, "quantity", self.quantity))
        _set(self, "complexity", _non_negative(where, "complexity", self.complexity))
        _set(self, "pert_lambda", _pert_lambda(where, self.pert_lambda))
        _set(self, "tags", tuple(_text(where, "tag", tag) for tag in self.tags))

    @property
    def variable_id(self) -> str:
        """``"<line>/<role>"``: the name used in correlation matrices and sensitivity lists."""
        return f"{self.line}/{self.role}"


@dataclass(frozen=True)
class PercentItem:
    """A line costed as a percentage of other phases' work-item effort, e.g. project management.

    ``optimistic``/``most_likely``/``pessimistic`` are percentages (``10`` = 10 %).

    Examples
    --------
    >>> pm = PercentItem("PM-01", "PM", "pm", 10, 12, 15, of_phases=("build", "test"))
    >>> pm.of_phases
    ('build', 'test')
    """

    line: str
    role: str
    phase: str
    optimistic: float
    most_likely: float
    pessimistic: float
    of_phases: tuple[str, ...]
    quantity: float = 1.0
    complexity: float = 1.0
    distribution: Distribution = Distribution.PERT
    pert_lambda: float | None = None
    name: str = ""

    def __post_init__(self) -> None:
        where = f"percent line {self.line!r} role {self.role!r}"
        _text(where, "line", self.line)
        _text(where, "role", self.role)
        _text(where, "phase", self.phase)
        _set(self, "distribution", _enum(where, "distribution", self.distribution, Distribution))
        low, mode, high = _check_three_point(
            where, (self.optimistic, self.most_likely, self.pessimistic), self.distribution
        )
        _set(self, "optimistic", low)
        _set(self, "most_likely", mode)
        _set(self, "pessimistic", high)
        phases = tuple(_text(where, "of_phases", phase) for phase in self.of_phases)
        if not phases:
            raise EstimationInputError(f"{where}: of_phases=() must name at least one phase")
        if len(set(phases)) != len(phases):
            raise EstimationInputError(f"{where}: of_phases={phases!r} repeats a phase")
        _set(self, "of_phases", phases)
        _set(self, "quantity", _non_negative(where, "quantity", self.quantity))
        _set(self, "complexity", _non_negative(where, "complexity", self.complexity))
        _set(self, "pert_lambda", _pert_lambda(where, self.pert_lambda))

    @property
    def variable_id(self) -> str:
        """``"<line>/<role>"``."""
        return f"{self.line}/{self.role}"


@dataclass(frozen=True)
class RiskEvent:
    """A risk-register entry: a Bernoulli event with three-point impacts.

    Parameters
    ----------
    code
        Unique identifier.
    probability
        Chance of occurring in an iteration, in [0, 1].
    impact_days
        Role code → (optimistic, most likely, pessimistic) extra person-days.
    impact_money
        (optimistic, most likely, pessimistic) extra cost, or ``None``.
    phase
        Phase that receives the extra days; ``None`` delays the project end instead.
    mitigation_cost, post_mitigation_probability, post_mitigation_impact_scale
        The mitigated scenario; any of them set makes the event mitigable. Missing ones
        default to 0, ``probability`` and 1.

    Examples
    --------
    >>> risk = RiskEvent("R-01", 0.3, impact_days={"BE": (2, 5, 10)}, mitigation_cost=1000,
    ...                  post_mitigation_probability=0.1)
    >>> risk.is_mitigable, risk.post_mitigation_impact_scale
    (True, 1.0)
    """

    code: str
    probability: float
    impact_days: Mapping[str, tuple[float, float, float]] = field(default_factory=dict)
    impact_money: tuple[float, float, float] | None = None
    phase: str | None = None
    distribution: Distribution = Distribution.PERT
    pert_lambda: float | None = None
    name: str = ""
    mitigation_cost: float | None = None
    post_mitigation_probability: float | None = None
    post_mitigation_impact_scale: float | None = None

    def __post_init__(self) -> None:
        where = f"risk {self.code!r}"
        _text(where, "code", self.code)
        _set(self, "probability", _probability(where, "probability", self.probability))
        _set(self, "distribution", _enum(where, "distribution", self.distribution, Distribution))
        impacts: dict[str, tuple[float, float, float]] = {}
        for role, values in dict(self.impact_days).items():
            _text(where, "impact_days role", role)
            impacts[role] = _check_three_point(
                f"{where} impact on role {role!r}", _triple(where, role, values), self.distribution
            )
        _set(self, "impact_days", impacts)
        if self.impact_money is not None:
            money = _check_three_point(
                f"{where} money impact",
                _triple(where, "money", self.impact_money),
                self.distribution,
            )
            _set(self, "impact_money", money)
        if not impacts and self.impact_money is None:
            raise EstimationInputError(f"{where}: has neither impact_days nor impact_money")
        if self.phase is not None:
            _text(where, "phase", self.phase)
        _set(self, "pert_lambda", _pert_lambda(where, self.pert_lambda))
        mitigable = self.is_mitigable
        cost = 0.0 if self.mitigation_cost is None else self.mitigation_cost
        post_p = (
            self.probability
            if self.post_mitigation_probability is None
            else (self.post_mitigation_probability)
        )
        scale = (
            1.0
            if self.post_mitigation_impact_scale is None
            else (self.post_mitigation_impact_scale)
        )
        if mitigable:
            _set(self, "mitigation_cost", _non_negative(where, "mitigation_cost", cost))
            _set(
                self,
                "post_mitigation_probability",
                _probability(where, "post_mitigation_probability", post_p),
            )
            _set(
                self,
                "post_mitigation_impact_scale",
                _non_negative(where, "post_mitigation_impact_scale", scale),
            )

    @property
    def is_mitigable(self) -> bool:
        """Whether a mitigation is defined."""
        return (
            self.mitigation_cost is not None
            or self.post_mitigation_probability is not None
            or self.post_mitigation_impact_scale is not None
        )


def _triple(where: str, label: str, values: Any) -> tuple[Any, Any, Any]:
    if not isinstance(values, tuple | list) or len(values) != 3:
        raise EstimationInputError(
            f"{where}: impact {label!r}={values!r} must be (optimistic, most_likely, pessimistic)"
        )
    return values[0], values[1], values[2]


@dataclass(frozen=True)
class Role:
    """A role with its day rates and the team size (FTE) working in each phase.

    Examples
    --------
    >>> Role("BE", cost_day_rate=800, sell_day_rate=1500, fte=2).fte
    2.0
    """

    code: str
    cost_day_rate: float
    sell_day_rate: float
    fte: float = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        where = f"role {self.code!r}"
        _text(where, "code", self.code)
        _set(self, "cost_day_rate", _non_negative(where, "cost_day_rate", self.cost_day_rate))
        _set(self, "sell_day_rate", _non_negative(where, "sell_day_rate", self.sell_day_rate))
        _set(self, "fte", _positive(where, "fte", self.fte))


@dataclass(frozen=True)
class Phase:
    """A phase; it starts when every phase in ``depends_on`` has finished (finish-to-start).

    Examples
    --------
    >>> Phase("test", depends_on=("build",)).depends_on
    ('build',)
    """

    code: str
    depends_on: tuple[str, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        where = f"phase {self.code!r}"
        _text(where, "code", self.code)
        deps = tuple(_text(where, "depends_on", dep) for dep in self.depends_on)
        if self.code in deps:
            raise EstimationInputError(f"{where}: depends_on={deps!r} names the phase itself")
        _set(self, "depends_on", deps)


def spearman_to_copula(rho: float) -> float:
    """Gaussian-copula correlation that yields the rank (Spearman) correlation ``rho``.

    ``r = 2 sin(π ρ / 6)`` (Pearson 1907), exact for a Gaussian copula.

    Examples
    --------
    >>> round(spearman_to_copula(0.3), 4)
    0.3129
    """
    return 2.0 * math.sin(math.pi * rho / 6.0)


@dataclass(frozen=True)
class CorrelationGroup:
    """Rank correlation ``rho`` (in [0, 1]) between all work items of a phase, role or tag.

    Examples
    --------
    >>> CorrelationGroup(GroupBy.PHASE, "build", 0.3).label
    'phase:build'
    """

    by: GroupBy
    key: str
    rho: float

    def __post_init__(self) -> None:
        where = f"correlation group {self.by!s}:{self.key!s}"
        _set(self, "by", _enum(where, "by", self.by, GroupBy))
        _text(where, "key", self.key)
        _set(self, "rho", _probability(where, "rho", self.rho))

    @property
    def label(self) -> str:
        """``"<by>:<key>"``."""
        return f"{self.by.value}:{self.key}"


@dataclass(frozen=True)
class CorrelationMatrix:
    """Rank correlations between named work items (variable ids ``"<line>/<role>"``).

    A matrix that is not positive semi-definite is refused, unless ``repair`` is true: then
    the simulation uses the nearest valid correlation matrix (Higham 2002) and warns.

    Examples
    --------
    >>> CorrelationMatrix(("A/BE", "B/BE"), ((1.0, 0.5), (0.5, 1.0))).size
    2
    """

    variables: tuple[str, ...]
    coefficients: tuple[tuple[float, ...], ...]
    repair: bool = False

    def __post_init__(self) -> None:
        where = "correlation matrix"
        names = tuple(_text(where, "variable", name) for name in self.variables)
        if len(set(names)) != len(names):
            raise EstimationInputError(f"{where}: variables={names!r} repeats a name")
        rows = tuple(tuple(row) for row in self.coefficients)
        if len(rows) != len(names) or any(len(row) != len(names) for row in rows):
            raise EstimationInputError(
                f"{where}: coefficients must be {len(names)}×{len(names)} "
                f"for {len(names)} variables"
            )
        matrix = np.empty((len(names), len(names)))
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                label = f"coefficient[{names[i]!r}, {names[j]!r}]"
                number = _number(where, label, value)
                if not -1.0 <= number <= 1.0:
                    raise EstimationInputError(f"{where}: {label}={number!r} is outside [-1, 1]")
                matrix[i, j] = number
        for i in range(len(names)):
            if matrix[i, i] != 1.0:
                raise EstimationInputError(
                    f"{where}: diagonal coefficient[{names[i]!r}]={float(matrix[i, i])!r} must be 1"
                )
        asymmetric = np.argwhere(matrix != matrix.T)
        if asymmetric.size:
            i, j = asymmetric[0]
            raise EstimationInputError(
                f"{where}: coefficient[{names[i]!r}, {names[j]!r}]={float(matrix[i, j])!r} "
                f"differs from coefficient[{names[j]!r}, {names[i]!r}]={float(matrix[j, i])!r}"
            )
        if not isinstance(self.repair, bool):
            raise EstimationInputError(f"{where}: repair={self.repair!r} must be True or False")
        smallest = float(np.linalg.eigvalsh(matrix)[0]) if names else 1.0
        if smallest < -1e-10 and not self.repair:
            raise EstimationInputError(
                f"{where}: not positive semi-definite (smallest eigenvalue {smallest:.4g}); "
                "fix the coefficients or pass repair=True to use the nearest valid matrix"
            )
        _set(self, "variables", names)
        _set(self, "coefficients", rows)

    @property
    def size(self) -> int:
        """Number of variables."""
        return len(self.variables)

    def as_array(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The coefficients as a float array."""
        return np.array(self.coefficients, dtype=np.float64).reshape(self.size, self.size)


@dataclass(frozen=True)
class Settings:
    """Options of an estimate.

    Parameters
    ----------
    confidence
        Confidence level for contingency, in (0, 1); 0.8 means P80.
    range_interpretation
        Whether optimistic/pessimistic are absolute bounds or P10/P90.
    pert_lambda
        Default λ of PERT estimates (4 is classic PERT; others give "modified PERT").
    target_effort, target_budget, target_date
        Targets whose probability of being met is reported (person-days, money, date).
        Budget is compared with cost.
    histogram_bins
        Number of histogram bins per output.

    Examples
    --------
    >>> Settings(confidence=0.9).confidence
    0.9
    """

    confidence: float = 0.8
    range_interpretation: RangeInterpretation = RangeInterpretation.ABSOLUTE
    pert_lambda: float = 4.0
    target_effort: float | None = None
    target_budget: float | None = None
    target_date: date | None = None
    histogram_bins: int = 40

    def __post_init__(self) -> None:
        where = "settings"
        confidence = _number(where, "confidence", self.confidence)
        if not 0.0 < confidence < 1.0:
            raise EstimationInputError(f"{where}: confidence={confidence!r} is outside (0, 1)")
        _set(self, "confidence", confidence)
        _set(
            self,
            "range_interpretation",
            _enum(where, "range_interpretation", self.range_interpretation, RangeInterpretation),
        )
        _set(self, "pert_lambda", _lambda(where, self.pert_lambda))
        for name in ("target_effort", "target_budget"):
            value = getattr(self, name)
            if value is not None:
                _set(self, name, _non_negative(where, name, value))
        if self.target_date is not None and not isinstance(self.target_date, date):
            raise EstimationInputError(f"{where}: target_date={self.target_date!r} is not a date")
        bins = self.histogram_bins
        if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 1000:
            raise EstimationInputError(f"{where}: histogram_bins={bins!r} is not in 1..1000")


@dataclass(frozen=True)
class EstimationModel:
    """Everything the engine needs to simulate one estimate.

    Examples
    --------
    >>> model = EstimationModel(
    ...     items=(WorkItem("DEV-1", "BE", "build", 2, 4, 9),),
    ...     roles=(Role("BE", 800, 1500),),
    ...     phases=(Phase("build"),),
    ... )
    >>> [item.variable_id for item in model.items]
    ['DEV-1/BE']
    """

    items: tuple[WorkItem, ...]
    roles: tuple[Role, ...]
    phases: tuple[Phase, ...]
    percent_items: tuple[PercentItem, ...] = ()
    risks: tuple[RiskEvent, ...] = ()
    correlation_groups: tuple[CorrelationGroup, ...] = ()
    correlation_matrix: CorrelationMatrix | None = None
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    start_date: date | None = None
    settings: Settings = field(default_factory=Settings)
    calibration: Calibration | None = None
    estimator: str = ""

    def __post_init__(self) -> None:
        for name in ("items", "roles", "phases", "percent_items", "risks", "correlation_groups"):
            _set(self, name, tuple(getattr(self, name)))
        _check_types(self)
        if not self.items:
            raise EstimationInputError("model: items=() — there are no work items to simulate")
        roles = _unique("role", (role.code for role in self.roles))
        phases = _unique("phase", (phase.code for phase in self.phases))
        if not roles:
            raise EstimationInputError("model: roles=() — at least one role is needed")
        _check_phase_graph(self.phases, phases)
        ids = _unique("work item", (item.variable_id for item in self.items))
        _unique("item", [*ids, *(item.variable_id for item in self.percent_items)])
        _unique("risk", (risk.code for risk in self.risks))
        for item in self.items:
            _known(f"line {item.line!r} role {item.role!r}", "role", item.role, roles)
            _known(f"line {item.line!r} role {item.role!r}", "phase", item.phase, phases)
        for pct in self.percent_items:
            where = f"percent line {pct.line!r} role {pct.role!r}"
            _known(where, "role", pct.role, roles)
            _known(where, "phase", pct.phase, phases)
            for phase in pct.of_phases:
                _known(where, "of_phases", phase, phases)
        for risk in self.risks:
            for role in risk.impact_days:
                _known(f"risk {risk.code!r}", "impact_days role", role, roles)
            if risk.phase is not None:
                _known(f"risk {risk.code!r}", "phase", risk.phase, phases)
        _check_correlation(self, roles, phases)
        if self.settings.range_interpretation is RangeInterpretation.P10_P90:
            _check_lognormal_skew(self)
        if self.settings.target_date is not None and self.start_date is None:
            raise EstimationInputError(
                f"settings: target_date={self.settings.target_date.isoformat()} needs a start_date"
            )
        if self.start_date is not None and not isinstance(self.start_date, date):
            raise EstimationInputError(f"model: start_date={self.start_date!r} is not a date")

    @property
    def role_codes(self) -> tuple[str, ...]:
        """Role codes in model order."""
        return tuple(role.code for role in self.roles)

    @property
    def phase_codes(self) -> tuple[str, ...]:
        """Phase codes in model order."""
        return tuple(phase.code for phase in self.phases)


def _check_lognormal_skew(model: EstimationModel) -> None:
    """A lognormal is skewed right: its P10 must be nearer the mode than its P90 is."""
    triples: list[tuple[str, Distribution, tuple[float, float, float]]] = []
    for item in model.items:
        triples.append(
            (
                f"line {item.line!r} role {item.role!r}",
                item.distribution,
                (item.optimistic, item.most_likely, item.pessimistic),
            )
        )
    for pct in model.percent_items:
        triples.append(
            (
                f"percent line {pct.line!r} role {pct.role!r}",
                pct.distribution,
                (pct.optimistic, pct.most_likely, pct.pessimistic),
            )
        )
    for risk in model.risks:
        impacts = [*risk.impact_days.values(), *([risk.impact_money] if risk.impact_money else [])]
        triples.extend((f"risk {risk.code!r}", risk.distribution, values) for values in impacts)
    for where, distribution, (low, mode, high) in triples:
        if distribution is Distribution.LOGNORMAL and low != high and mode - low >= high - mode:
            raise EstimationInputError(
                f"{where}: with P10/P90 ranges a lognormal needs most_likely nearer optimistic "
                f"than pessimistic (right skew), got optimistic={low!r}, "
                f"most_likely={mode!r}, pessimistic={high!r}"
            )


def _check_types(model: EstimationModel) -> None:
    expected: tuple[tuple[str, type], ...] = (
        ("items", WorkItem),
        ("roles", Role),
        ("phases", Phase),
        ("percent_items", PercentItem),
        ("risks", RiskEvent),
        ("correlation_groups", CorrelationGroup),
    )
    for name, kind in expected:
        for entry in getattr(model, name):
            if not isinstance(entry, kind):
                raise EstimationInputError(
                    f"model: {name} entry {entry!r} is not a {kind.__name__}"
                )
    checks: tuple[tuple[str, Any, type], ...] = (
        ("calendar", model.calendar, WorkCalendar),
        ("settings", model.settings, Settings),
    )
    for name, value, kind in checks:
        if not isinstance(value, kind):
            raise EstimationInputError(f"model: {name}={value!r} is not a {kind.__name__}")
    matrix = model.correlation_matrix
    if matrix is not None and not isinstance(matrix, CorrelationMatrix):
        raise EstimationInputError(
            f"model: correlation_matrix={matrix!r} is not a CorrelationMatrix"
        )
    if model.calibration is not None and not isinstance(model.calibration, Calibration):
        raise EstimationInputError(f"model: calibration={model.calibration!r} is not a Calibration")
    if not isinstance(model.estimator, str):
        raise EstimationInputError(f"model: estimator={model.estimator!r} is not a string")


def _unique(kind: str, codes: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise EstimationInputError(f"model: {kind} {code!r} appears more than once")
        seen.add(code)
    return seen


def _known(where: str, name: str, value: str, known: set[str]) -> None:
    if value not in known:
        raise EstimationInputError(f"{where}: unknown {name} {value!r}")


def _check_phase_graph(phases: tuple[Phase, ...], known: set[str]) -> None:
    for phase in phases:
        for dep in phase.depends_on:
            _known(f"phase {phase.code!r}", "depends_on phase", dep, known)
    order = phase_order(phases)
    if len(order) != len(phases):
        stuck = sorted(set(known) - {phases[i].code for i in order})
        raise EstimationInputError(f"model: phases {stuck!r} depend on each other in a cycle")


def phase_order(phases: tuple[Phase, ...]) -> list[int]:
    """Indices of ``phases`` in a dependency order (Kahn); shorter when there is a cycle.

    Examples
    --------
    >>> phase_order((Phase("test", ("build",)), Phase("build")))
    [1, 0]
    """
    waiting = [len(set(phase.depends_on)) for phase in phases]
    ready = [i for i, count in enumerate(waiting) if count == 0]
    order: list[int] = []
    while ready:
        current = ready.pop(0)
        order.append(current)
        for j, phase in enumerate(phases):
            if phases[current].code in phase.depends_on:
                waiting[j] -= 1
                if waiting[j] == 0:
                    ready.append(j)
    return order


def group_members(model: EstimationModel, group: CorrelationGroup) -> list[int]:
    """Indices of the work items a correlation group collects.

    Examples
    --------
    >>> model = EstimationModel(
    ...     items=(WorkItem("A", "BE", "build", 1, 2, 3), WorkItem("B", "QA", "test", 1, 2, 3)),
    ...     roles=(Role("BE", 1, 1), Role("QA", 1, 1)),
    ...     phases=(Phase("build"), Phase("test")),
    ... )
    >>> group_members(model, CorrelationGroup(GroupBy.ROLE, "QA", 0.3))
    [1]
    """
    if group.by is GroupBy.PHASE:
        return [i for i, item in enumerate(model.items) if item.phase == group.key]
    if group.by is GroupBy.ROLE:
        return [i for i, item in enumerate(model.items) if item.role == group.key]
    return [i for i, item in enumerate(model.items) if group.key in item.tags]


def _check_correlation(model: EstimationModel, roles: set[str], phases: set[str]) -> None:
    matrix = model.correlation_matrix
    in_matrix = set(matrix.variables) if matrix is not None else set()
    ids = {item.variable_id for item in model.items}
    for name in sorted(in_matrix - ids):
        raise EstimationInputError(f"correlation matrix: unknown work item {name!r}")
    _unique("correlation group", (group.label for group in model.correlation_groups))
    loading = [0.0] * len(model.items)
    owners: list[list[str]] = [[] for _ in model.items]
    for group in model.correlation_groups:
        where = f"correlation group {group.label}"
        if group.by is GroupBy.PHASE:
            _known(where, "phase", group.key, phases)
        elif group.by is GroupBy.ROLE:
            _known(where, "role", group.key, roles)
        members = group_members(model, group)
        if not members:
            raise EstimationInputError(f"{where}: key={group.key!r} matches no work item")
        for index in members:
            loading[index] += spearman_to_copula(group.rho)
            owners[index].append(group.label)
    for index, item in enumerate(model.items):
        if loading[index] > 1.0 + 1e-12 and item.variable_id not in in_matrix:
            raise EstimationInputError(
                f"line {item.line!r} role {item.role!r}: correlation groups {owners[index]!r} "
                f"add up to a copula correlation of {loading[index]:.4f}, above 1; "
                "lower their rho or remove the item from a group"
            )
