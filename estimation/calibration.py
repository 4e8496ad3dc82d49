"""Calibration from history: what estimates turned into, fitted per group in log space.

The data are ratios ``actual / estimate`` of past work. Ratios are roughly lognormal, so
everything happens on ``y = ln(actual / estimate)``.

Units
    A history row is a task (or a phase × role line) of a past project. When rows carry a
    project key, the rows of one project and one group are summed first: the *unit* of the
    fit is "one group of one project", because the engine applies one shared factor per
    group and iteration, i.e. per group of the project being estimated. Without project
    keys every row is its own unit.
Groups
    ``overall`` (one group), ``role``, ``phase`` (phase or category) or ``estimator``.
Per group
    - ``bootstrap`` when the group has at least ``bootstrap_from`` units (30 by default):
      the factor is drawn from the group's own empirical ratios (evidence-based
      scheduling). More than :data:`MAX_STORED_POINTS` ratios are kept as that many
      equally spaced empirical quantiles, so a stored calibration stays small.
    - ``partial_pooling`` below that: normal-normal empirical Bayes. The group variance is
      shrunk towards the pooled within-group variance σ₀² with ``PRIOR_DEGREES``
      pseudo-observations. The overall mean μ₀ (precision-weighted) is a prior worth
      ``κ = σ_g² / τ²`` observations, τ² being the between-group variance of the means
      (method of moments); the group mean is ``(κ μ₀ + n ȳ_g) / (κ + n)``, so the weight
      on μ₀ is ``κ / (κ + n)``. κ is capped at ``bootstrap_from``: with few groups τ² is
      poorly known (often estimated as 0), and a group is never worth less than half of
      what it would be worth once it is bootstrapped. The factor is lognormal with the
      predictive spread ``√(σ_g² + σ_g²/(κ + n))``.
    - ``lognormal`` for the overall fit below ``bootstrap_from`` units (nothing to pool
      towards): sample mean and the predictive spread ``s·√(1 + 1/n)``.
    A group the history does not know falls back to the overall fit.
Raw spread
    When the estimate of a unit was itself the median of a simulated forecast with a known
    log-spread ``s`` (``ln(P90/P50)/1.2816``), that spread is part of the observed ratio
    spread and the engine adds it again when it multiplies its raw draws; so ``mean(s²)`` is
    removed from the fitted variance (and the bootstrap ratios are pulled towards their
    mean by the same amount). Point estimates have ``s = 0``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from estimation._codec import decode, encode
from estimation.errors import EstimationInputError

__all__ = [
    "BOOTSTRAP_FROM",
    "MAX_STORED_POINTS",
    "MIN_POINTS",
    "PRIOR_DEGREES",
    "AccuracyRow",
    "Backtest",
    "BacktestProject",
    "Calibration",
    "CalibrationGroupBy",
    "FitMethod",
    "GroupFit",
    "accuracy",
    "backtest",
    "calibrate",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BOOTSTRAP_FROM = 30
MIN_POINTS = 3
PRIOR_DEGREES = 5.0
MAX_STORED_POINTS = 1_000
_Z90 = 1.2815515655446004
_LEVELS = (0.5, 0.8, 0.9)


class CalibrationGroupBy(StrEnum):
    """What the history is grouped by; the engine applies one factor per group."""

    OVERALL = "overall"
    ROLE = "role"
    PHASE = "phase"
    ESTIMATOR = "estimator"


class FitMethod(StrEnum):
    """How a group's factor distribution was obtained (see the module documentation)."""

    BOOTSTRAP = "bootstrap"
    PARTIAL_POOLING = "partial_pooling"
    LOGNORMAL = "lognormal"


@dataclass(frozen=True)
class GroupFit:
    """The factor distribution of one group.

    ``mean_log``/``sd_log`` describe the factor the engine draws (for ``bootstrap`` the
    mean and standard deviation of the stored log ratios); ``sample_*`` are the group's own
    statistics before pooling; ``pooling_weight`` is the weight on the overall mean (0 for
    a bootstrap). ``log_ratios`` holds the sorted bootstrap ratios, empty otherwise.
    """

    key: str
    method: FitMethod
    points: int
    projects: int
    mean_log: float
    sd_log: float
    sample_mean_log: float
    sample_sd_log: float
    pooling_weight: float
    log_ratios: tuple[float, ...]
    first_date: date | None
    last_date: date | None

    @property
    def median_ratio(self) -> float:
        """The factor's median (for a bootstrap, the median of its ratios)."""
        if self.method is FitMethod.BOOTSTRAP:
            return float(np.exp(np.median(np.asarray(self.log_ratios))))
        return math.exp(self.mean_log)

    def factors(self, uniforms: FloatArray) -> FloatArray:
        """Factors for uniforms in [0, 1) by the inverse CDF (one table lookup per draw).

        Examples
        --------
        >>> fit = GroupFit("", FitMethod.LOGNORMAL, 10, 10, 0.1, 0.0, 0.1, 0.0, 0.0, (),
        ...                None, None)
        >>> [round(float(f), 4) for f in fit.factors(np.array([0.2, 0.9]))]
        [1.1052, 1.1052]
        """
        if self.method is FitMethod.BOOTSTRAP:
            table = np.exp(np.asarray(self.log_ratios, dtype=np.float64))
            index = np.minimum((uniforms * len(table)).astype(np.int64), len(table) - 1)
            return np.asarray(table[index], dtype=np.float64)
        clipped = np.clip(uniforms, 1e-12, 1.0 - 1e-12)
        normals = np.asarray(special.ndtri(clipped), dtype=np.float64)
        return np.asarray(np.exp(self.mean_log + self.sd_log * normals), dtype=np.float64)

    def quantile(self, probability: float) -> float:
        """The factor at ``probability``.

        Examples
        --------
        >>> fit = GroupFit("", FitMethod.LOGNORMAL, 10, 10, 0.0, 0.5, 0.0, 0.5, 0.0, (),
        ...                None, None)
        >>> round(fit.quantile(0.8), 4)
        1.5232
        """
        return float(self.factors(np.array([probability]))[0])


@dataclass(frozen=True)
class Calibration:
    """A fitted calibration: the overall fit, one fit per group, and where they came from.

    Examples
    --------
    >>> calibration = calibrate([10, 10, 10, 10], [11, 12, 9, 14])
    >>> calibration.overall.method.value, calibration.points
    ('lognormal', 4)
    >>> Calibration.from_dict(calibration.to_dict()) == calibration
    True
    """

    group_by: CalibrationGroupBy
    overall: GroupFit
    groups: dict[str, GroupFit]
    points: int
    projects: int
    first_date: date | None
    last_date: date | None
    bootstrap_from: int

    def fit_for(self, key: str) -> GroupFit:
        """The group's fit, or the overall one when the history has no such group.

        Examples
        --------
        >>> calibration = calibrate([10] * 4, [11, 12, 9, 14], groups=list("aabb"),
        ...                         group_by="role")
        >>> calibration.fit_for("a").key, calibration.fit_for("zz").key
        ('a', '')
        """
        if self.group_by is CalibrationGroupBy.OVERALL:
            return self.overall
        return self.groups.get(key, self.overall)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible data."""
        data: dict[str, Any] = encode(self)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        """Rebuild from :meth:`to_dict` data."""
        result: Calibration = decode(cls, data, "calibration")
        return result


# --- fitting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Units:
    """Fit units: one row per (project, group), or per history row without projects."""

    estimate: FloatArray
    actual: FloatArray
    group: IntArray
    group_keys: tuple[str, ...]
    project: IntArray
    ordinal: IntArray  # date.toordinal(), or -1 when unknown
    raw_sd: FloatArray

    @property
    def log_ratio(self) -> FloatArray:
        return np.asarray(np.log(self.actual / self.estimate), dtype=np.float64)


def _positive_array(name: str, values: Any) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise EstimationInputError(f"calibration: {name} must be numbers") from None
    if array.ndim != 1:
        raise EstimationInputError(f"calibration: {name} must be a flat list of numbers")
    bad = np.flatnonzero(~np.isfinite(array) | (array <= 0))
    if bad.size:
        index = int(bad[0])
        raise EstimationInputError(
            f"calibration: {name}[{index}]={float(array[index])!r} must be a finite number "
            f"above zero ({bad.size} such value(s))"
        )
    return array


def _codes(name: str, values: Sequence[str] | None, size: int) -> tuple[IntArray, tuple[str, ...]]:
    if values is None:
        return np.zeros(size, dtype=np.int64), ("",)
    if len(values) != size:
        raise EstimationInputError(f"calibration: {name} has {len(values)} values, not {size}")
    keys, inverse = np.unique(
        np.asarray([str(v) for v in values], dtype=object).astype(str), return_inverse=True
    )
    return np.asarray(inverse, dtype=np.int64), tuple(str(k) for k in keys)


def _ordinals(dates: Sequence[date | None] | None, size: int) -> IntArray:
    if dates is None:
        return np.full(size, -1, dtype=np.int64)
    if len(dates) != size:
        raise EstimationInputError(f"calibration: dates has {len(dates)} values, not {size}")
    return np.array([-1 if d is None else d.toordinal() for d in dates], dtype=np.int64)


def _units(
    estimates: Any,
    actuals: Any,
    *,
    groups: Sequence[str] | None,
    projects: Sequence[str] | None,
    dates: Sequence[date | None] | None,
    raw_sd: Any,
) -> _Units:
    estimate = _positive_array("estimates", estimates)
    actual = _positive_array("actuals", actuals)
    if len(actual) != len(estimate):
        raise EstimationInputError(
            f"calibration: {len(estimate)} estimates but {len(actual)} actuals"
        )
    size = len(estimate)
    group, group_keys = _codes("groups", groups, size)
    if projects is None:
        project = np.arange(size, dtype=np.int64)
    else:
        project, _ = _codes("projects", projects, size)
    ordinal = _ordinals(dates, size)
    spread = np.zeros(size) if raw_sd is None else np.asarray(raw_sd, dtype=np.float64)
    if spread.shape != (size,) or not np.all(np.isfinite(spread)) or np.any(spread < 0):
        raise EstimationInputError("calibration: raw_sd must be one finite value ≥ 0 per row")
    if projects is None:
        return _Units(estimate, actual, group, group_keys, project, ordinal, spread)
    # Sum the rows of each (project, group): the factor is shared by a group of a project.
    combined = project * len(group_keys) + group
    cells, inverse = np.unique(combined, return_inverse=True)
    count = len(cells)
    return _Units(
        estimate=np.asarray(np.bincount(inverse, weights=estimate, minlength=count), np.float64),
        actual=np.asarray(np.bincount(inverse, weights=actual, minlength=count), np.float64),
        group=np.asarray(cells % len(group_keys), dtype=np.int64),
        group_keys=group_keys,
        project=np.asarray(cells // len(group_keys), dtype=np.int64),
        ordinal=_max_by(inverse, ordinal, count),
        raw_sd=_max_by(inverse, spread, count),
    )


def _max_by(inverse: IntArray, values: Any, count: int) -> Any:
    out = np.full(count, -np.inf if values.dtype.kind == "f" else -1, dtype=values.dtype)
    np.maximum.at(out, inverse, values)
    return out


def _date(ordinal: int) -> date | None:
    return None if ordinal < 0 else date.fromordinal(ordinal)


def _date_range(ordinals: IntArray) -> tuple[date | None, date | None]:
    known = ordinals[ordinals >= 0]
    if not known.size:
        return None, None
    return _date(int(known.min())), _date(int(known.max()))


def _stored_ratios(log_ratios: FloatArray) -> tuple[float, ...]:
    ordered = np.sort(log_ratios)
    if len(ordered) > MAX_STORED_POINTS:
        # Equally spaced empirical quantiles (cell midpoints, numpy's "linear" rule): a
        # bootstrap in all but name. Interpolated directly, the data being sorted already.
        position = (np.arange(MAX_STORED_POINTS) + 0.5) / MAX_STORED_POINTS * (len(ordered) - 1)
        lower = np.floor(position).astype(np.int64)
        upper = np.minimum(lower + 1, len(ordered) - 1)
        ordered = ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])
    return tuple(ordered.tolist())


@dataclass(frozen=True)
class _Stats:
    count: int
    mean: float
    variance: float  # sample variance (ddof = 1) minus the raw spread; nan below 2 points
    raw_variance: float  # mean of the raw spreads squared


def _stats(values: FloatArray, raw_sd: FloatArray) -> _Stats:
    count = len(values)
    raw = float(np.mean(raw_sd**2)) if count else 0.0
    if count < 2:
        return _Stats(count, float(values.mean()) if count else 0.0, math.nan, raw)
    return _Stats(count, float(values.mean()), float(values.var(ddof=1)), raw)


def _excess(stats: _Stats) -> float:
    """The variance left once the raw forecasts' own spread is taken out (floored)."""
    return max(stats.variance - stats.raw_variance, 0.05 * stats.variance, 0.0)


def _bootstrap_fit(
    key: str, values: FloatArray, stats: _Stats, projects: int, dates: IntArray
) -> GroupFit:
    shrink = math.sqrt(_excess(stats) / stats.variance) if stats.variance > 0 else 1.0
    adjusted = stats.mean + (values - stats.mean) * shrink
    first, last = _date_range(dates)
    stored = _stored_ratios(adjusted)
    return GroupFit(
        key=key,
        method=FitMethod.BOOTSTRAP,
        points=stats.count,
        projects=projects,
        mean_log=float(np.mean(stored)),
        sd_log=float(np.std(stored, ddof=1)),
        sample_mean_log=stats.mean,
        sample_sd_log=math.sqrt(stats.variance),
        pooling_weight=0.0,
        log_ratios=stored,
        first_date=first,
        last_date=last,
    )


def _overall_fit(units: _Units, bootstrap_from: int) -> GroupFit:
    values = units.log_ratio
    stats = _stats(values, units.raw_sd)
    projects = len(np.unique(units.project))
    if stats.count >= bootstrap_from:
        return _bootstrap_fit("", values, stats, projects, units.ordinal)
    variance = _excess(stats)
    first, last = _date_range(units.ordinal)
    return GroupFit(
        key="",
        method=FitMethod.LOGNORMAL,
        points=stats.count,
        projects=projects,
        mean_log=stats.mean,
        sd_log=math.sqrt(variance * (1.0 + 1.0 / stats.count)),
        sample_mean_log=stats.mean,
        sample_sd_log=math.sqrt(stats.variance),
        pooling_weight=0.0,
        log_ratios=(),
        first_date=first,
        last_date=last,
    )


@dataclass(frozen=True)
class _Prior:
    """What small groups are pooled towards."""

    mean: float
    within_variance: float
    between_variance: float


def _prior(per_group: list[_Stats], overall: _Stats) -> _Prior:
    degrees = sum(s.count - 1 for s in per_group if s.count >= 2)
    within = (
        sum((s.count - 1) * _excess(s) for s in per_group if s.count >= 2) / degrees
        if degrees
        else _excess(overall)
    )
    means = np.array([s.mean for s in per_group])
    sizes = np.array([s.count for s in per_group], dtype=np.float64)
    between = 0.0
    if len(per_group) >= 2:
        between = max(0.0, float(means.var(ddof=1)) - float(np.mean(within / sizes)))
    weights = 1.0 / (between + within / sizes)
    mean = float(np.sum(weights * means) / np.sum(weights))
    return _Prior(mean, within, between)


def _pooled_fit(
    key: str, stats: _Stats, prior: _Prior, *, projects: int, dates: IntArray, cap: int
) -> GroupFit:
    own = _excess(stats) if stats.count >= 2 else prior.within_variance
    variance = (PRIOR_DEGREES * prior.within_variance + (stats.count - 1) * own) / (
        PRIOR_DEGREES + stats.count - 1
    )
    # The overall mean as a prior worth ``pseudo`` observations (capped: see the module doc).
    pseudo = float(cap) if prior.between_variance <= 0 else variance / prior.between_variance
    pseudo = min(pseudo, float(cap))
    weight_own = stats.count / (pseudo + stats.count)
    posterior = variance / (pseudo + stats.count)
    first, last = _date_range(dates)
    return GroupFit(
        key=key,
        method=FitMethod.PARTIAL_POOLING,
        points=stats.count,
        projects=projects,
        mean_log=weight_own * stats.mean + (1.0 - weight_own) * prior.mean,
        sd_log=math.sqrt(variance + posterior),
        sample_mean_log=stats.mean,
        sample_sd_log=math.sqrt(stats.variance) if stats.count >= 2 else 0.0,
        pooling_weight=1.0 - weight_own,
        log_ratios=(),
        first_date=first,
        last_date=last,
    )


def _fit_units(units: _Units, group_by: CalibrationGroupBy, bootstrap_from: int) -> Calibration:
    if len(units.estimate) < MIN_POINTS:
        raise EstimationInputError(
            f"calibration: {len(units.estimate)} past estimate(s) with actuals; "
            f"at least {MIN_POINTS} are needed"
        )
    overall = _overall_fit(units, bootstrap_from)
    groups: dict[str, GroupFit] = {}
    if group_by is not CalibrationGroupBy.OVERALL:
        values = units.log_ratio
        order = np.argsort(units.group, kind="stable")
        bounds = np.searchsorted(units.group[order], np.arange(len(units.group_keys) + 1))
        members = [order[bounds[g] : bounds[g + 1]] for g in range(len(units.group_keys))]
        present = [g for g, rows in enumerate(members) if len(rows)]
        per_group = [_stats(values[members[g]], units.raw_sd[members[g]]) for g in present]
        prior = _prior(per_group, _stats(values, units.raw_sd))
        for g, stats in zip(present, per_group, strict=True):
            rows = members[g]
            key, projects = units.group_keys[g], len(np.unique(units.project[rows]))
            if stats.count >= bootstrap_from:
                fit = _bootstrap_fit(key, values[rows], stats, projects, units.ordinal[rows])
            else:
                fit = _pooled_fit(
                    key,
                    stats,
                    prior,
                    projects=projects,
                    dates=units.ordinal[rows],
                    cap=bootstrap_from,
                )
            groups[key] = fit
    first, last = _date_range(units.ordinal)
    return Calibration(
        group_by=group_by,
        overall=overall,
        groups=groups,
        points=len(units.estimate),
        projects=len(np.unique(units.project)),
        first_date=first,
        last_date=last,
        bootstrap_from=bootstrap_from,
    )


def _group_by(value: Any) -> CalibrationGroupBy:
    try:
        return CalibrationGroupBy(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in CalibrationGroupBy)
        raise EstimationInputError(
            f"calibration: group_by={value!r} is not one of {allowed}"
        ) from None


def _bootstrap_threshold(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_POINTS:
        raise EstimationInputError(
            f"calibration: bootstrap_from={value!r} must be an integer ≥ {MIN_POINTS}"
        )
    return value


def calibrate(
    estimates: Sequence[float] | FloatArray,
    actuals: Sequence[float] | FloatArray,
    *,
    groups: Sequence[str] | None = None,
    group_by: CalibrationGroupBy | str = CalibrationGroupBy.OVERALL,
    projects: Sequence[str] | None = None,
    dates: Sequence[date | None] | None = None,
    raw_sd: Sequence[float] | FloatArray | None = None,
    bootstrap_from: int = BOOTSTRAP_FROM,
) -> Calibration:
    """Fit the factor distributions of past ``actuals / estimates`` (person-days, > 0).

    Parameters
    ----------
    estimates, actuals
        One value per history row (task or line), both above zero.
    groups
        The row's group key under ``group_by`` (role code, phase, estimator); ignored for
        ``overall``.
    projects
        The row's project key: rows of one project and group are summed into one unit.
    dates
        When each row was finished (or ``None``); gives the calibration's date range.
    raw_sd
        Log-spread of the raw forecast each estimate was the median of (0 for a point
        estimate); see the module documentation.
    bootstrap_from
        Units from which a group is bootstrapped instead of pooled.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> estimates = np.full(400, 10.0)
    >>> actuals = estimates * np.exp(rng.normal(0.2, 0.4, 400))
    >>> fit = calibrate(estimates, actuals).overall
    >>> fit.method.value, round(fit.mean_log, 2), round(fit.sd_log, 2)
    ('bootstrap', 0.17, 0.36)
    """
    kind = _group_by(group_by)
    threshold = _bootstrap_threshold(bootstrap_from)
    units = _units(
        estimates,
        actuals,
        groups=None if kind is CalibrationGroupBy.OVERALL else groups,
        projects=projects,
        dates=dates,
        raw_sd=raw_sd,
    )
    return _fit_units(units, kind, threshold)


# --- accuracy --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccuracyRow:
    """Estimating accuracy of one group (``key`` "" for everything).

    ``median_ratio`` of actual/estimate; ``share_overrun`` the share with actual > estimate;
    ``mdmre`` the median of |actual − estimate| / actual; ``pred25`` the share whose
    relative error |actual − estimate| / actual is at most 25 %.
    """

    key: str
    points: int
    median_ratio: float
    p80_ratio: float
    p90_ratio: float
    share_overrun: float
    mdmre: float
    pred25: float


def _accuracy_row(key: str, estimate: FloatArray, actual: FloatArray) -> AccuracyRow:
    ratio = actual / estimate
    error = np.abs(actual - estimate) / actual
    median, p80, p90 = (float(v) for v in np.quantile(ratio, [0.5, 0.8, 0.9]))
    return AccuracyRow(
        key=key,
        points=len(ratio),
        median_ratio=median,
        p80_ratio=p80,
        p90_ratio=p90,
        share_overrun=float(np.mean(actual > estimate)),
        mdmre=float(np.median(error)),
        pred25=float(np.mean(error <= 0.25)),
    )


def accuracy(
    estimates: Sequence[float] | FloatArray,
    actuals: Sequence[float] | FloatArray,
    *,
    groups: Sequence[str] | None = None,
) -> tuple[AccuracyRow, ...]:
    """Accuracy overall (first row, key ``""``) and per group, groups sorted by key.

    Examples
    --------
    >>> rows = accuracy([10, 10, 10, 10], [9, 11, 12, 20], groups=["a", "a", "b", "b"])
    >>> [(r.key, r.points, r.median_ratio, r.share_overrun) for r in rows]
    [('', 4, 1.15, 0.75), ('a', 2, 1.0, 0.5), ('b', 2, 1.6, 1.0)]
    >>> round(rows[0].mdmre, 3), rows[0].pred25
    (0.139, 0.75)
    """
    estimate = _positive_array("estimates", estimates)
    actual = _positive_array("actuals", actuals)
    if len(actual) != len(estimate) or not len(estimate):
        raise EstimationInputError(
            f"accuracy: {len(estimate)} estimates and {len(actual)} actuals (need as many, ≥ 1)"
        )
    rows = [_accuracy_row("", estimate, actual)]
    if groups is not None:
        codes, keys = _codes("groups", groups, len(estimate))
        for index, key in enumerate(keys):
            mask = codes == index
            rows.append(_accuracy_row(key, estimate[mask], actual[mask]))
    return tuple(rows)


# --- backtest --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestProject:
    """One past project forecast from the history before it.

    ``raw`` and ``calibrated`` are the forecasts' P50, P80 and P90 of total effort.
    """

    project: str
    finished: date
    history_projects: int
    history_points: int
    estimate: float
    actual: float
    raw: tuple[float, float, float]
    calibrated: tuple[float, float, float]


@dataclass(frozen=True)
class Backtest:
    """Coverage of the P50/P80/P90 forecasts: the share of actuals at or below each.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> days = [date(2024, 1, 1).toordinal() + k for k in range(60)]
    >>> result = backtest(
    ...     np.full(60, 10.0), 10.0 * np.exp(rng.normal(0.3, 0.3, 60)),
    ...     projects=[f"P{k}" for k in range(60)],
    ...     dates=[date.fromordinal(d) for d in days],
    ... )
    >>> result.evaluated, result.raw_coverage[1] < 0.3 < result.calibrated_coverage[1]
    (50, True)
    """

    group_by: CalibrationGroupBy
    levels: tuple[float, float, float]
    min_history: int
    projects: tuple[BacktestProject, ...]
    skipped: int
    undated: int
    raw_coverage: tuple[float, float, float]
    calibrated_coverage: tuple[float, float, float]

    @property
    def evaluated(self) -> int:
        """Projects that had enough history before them to be forecast."""
        return len(self.projects)


@dataclass(frozen=True)
class _ProjectRows:
    """The backtest's projects in time order and, per project, its units."""

    order: IntArray  # project indices by finishing date
    finished: IntArray  # ordinal per project
    unit_start: IntArray  # units of project p: unit_order[unit_start[p]:unit_start[p+1]]
    unit_order: IntArray
    project_keys: tuple[str, ...]


def _project_rows(units: _Units, project_keys: tuple[str, ...]) -> _ProjectRows:
    count = len(project_keys)
    finished = np.full(count, -1, dtype=np.int64)
    np.maximum.at(finished, units.project, units.ordinal)
    dated = np.flatnonzero(finished >= 0)
    order = dated[np.argsort(finished[dated], kind="stable")]
    unit_order = np.argsort(units.project, kind="stable")
    unit_start = np.searchsorted(units.project[unit_order], np.arange(count + 1))
    return _ProjectRows(order, finished, unit_start, unit_order, project_keys)


def _forecast(
    calibration: Calibration,
    units: _Units,
    rows: IntArray,
    uniforms: FloatArray,
) -> tuple[float, float, float]:
    """P50/P80/P90 of Σ_units estimate × shared group factor × raw spread.

    ``uniforms`` has one row per group (the factor every unit of that group shares) and a
    last row for the raw forecast's own spread.
    """
    total = np.zeros(uniforms.shape[1])
    for unit in rows.tolist():
        group = int(units.group[unit])
        fit = calibration.fit_for(units.group_keys[group])
        total += units.estimate[unit] * fit.factors(uniforms[group])
    spread = float(units.raw_sd[rows].max()) if len(rows) else 0.0
    if spread > 0:
        total *= np.exp(spread * special.ndtri(uniforms[-1]))
    low, mid, high = np.quantile(total, _LEVELS)
    return float(low), float(mid), float(high)


def _stratified(rng: np.random.Generator, rows: int, draws: int) -> FloatArray:
    """Latin-hypercube uniforms: each row a shuffled set of the ``draws`` strata."""
    base = (np.arange(draws) + 0.5) / draws
    return np.asarray(rng.permuted(np.broadcast_to(base, (rows, draws)), axis=1))


def backtest(
    estimates: Sequence[float] | FloatArray,
    actuals: Sequence[float] | FloatArray,
    *,
    projects: Sequence[str],
    dates: Sequence[date | None],
    groups: Sequence[str] | None = None,
    group_by: CalibrationGroupBy | str = CalibrationGroupBy.OVERALL,
    raw_sd: Sequence[float] | FloatArray | None = None,
    raw_quantiles: dict[str, tuple[float, float, float]] | None = None,
    min_history: int = 10,
    bootstrap_from: int = BOOTSTRAP_FROM,
    draws: int = 2_000,
    seed: int = 0,
) -> Backtest:
    """Time-ordered backtest: forecast each project from the projects finished before it.

    A project finishes on the latest date of its rows; rows without a date leave their
    project out (``undated``). Projects with fewer than ``min_history`` earlier projects
    are not forecast (``skipped``). The raw forecast is the estimate itself (P50 = P80 =
    P90) unless ``raw_quantiles`` gives the project's simulated P50/P80/P90; the calibrated
    one multiplies each group's estimate by that group's factor drawn ``draws`` times
    (stratified, seeded per project), and by the raw spread when there is one.

    Examples
    --------
    >>> days = [date(2024, 1, d) for d in range(1, 7)]
    >>> result = backtest([10.0] * 6, [11, 13, 12, 14, 12, 9], projects=list("ABCDEF"),
    ...                   dates=days, min_history=4)
    >>> [(p.project, p.history_projects, p.actual) for p in result.projects]
    [('E', 4, 12.0), ('F', 5, 9.0)]
    >>> result.raw_coverage  # the estimate of 10 was beaten by F only
    (0.5, 0.5, 0.5)
    """
    kind = _group_by(group_by)
    threshold = _bootstrap_threshold(bootstrap_from)
    if not isinstance(min_history, int) or min_history < 1:
        raise EstimationInputError(f"backtest: min_history={min_history!r} must be ≥ 1")
    _, project_keys = _codes("projects", projects, len(projects))
    units = _units(
        estimates,
        actuals,
        groups=None if kind is CalibrationGroupBy.OVERALL else groups,
        projects=projects,
        dates=dates,
        raw_sd=raw_sd,
    )
    plan = _project_rows(units, project_keys)
    unit_finished = plan.finished[units.project]
    ordered_finish = plan.finished[plan.order]
    records: list[BacktestProject] = []
    skipped = 0
    for project in plan.order.tolist():
        finished = int(plan.finished[project])
        history_projects = int(np.searchsorted(ordered_finish, finished, side="left"))
        if history_projects < min_history:
            skipped += 1
            continue
        history = np.flatnonzero((unit_finished >= 0) & (unit_finished < finished))
        calibration = _fit_units(_subset(units, history), kind, threshold)
        own = plan.unit_order[plan.unit_start[project] : plan.unit_start[project + 1]]
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(project,)))
        uniforms = _stratified(rng, len(units.group_keys) + 1, draws)
        estimate = float(units.estimate[own].sum())
        key = project_keys[project]
        raw = (raw_quantiles or {}).get(key, (estimate, estimate, estimate))
        records.append(
            BacktestProject(
                project=key,
                finished=date.fromordinal(finished),
                history_projects=history_projects,
                history_points=len(history),
                estimate=estimate,
                actual=float(units.actual[own].sum()),
                raw=(float(raw[0]), float(raw[1]), float(raw[2])),
                calibrated=_forecast(calibration, units, own, uniforms),
            )
        )
    undated = len(project_keys) - len(plan.order)
    return Backtest(
        group_by=kind,
        levels=_LEVELS,
        min_history=min_history,
        projects=tuple(records),
        skipped=skipped,
        undated=undated,
        raw_coverage=_coverage(records, calibrated=False),
        calibrated_coverage=_coverage(records, calibrated=True),
    )


def _subset(units: _Units, rows: IntArray) -> _Units:
    return _Units(
        estimate=units.estimate[rows],
        actual=units.actual[rows],
        group=units.group[rows],
        group_keys=units.group_keys,
        project=units.project[rows],
        ordinal=units.ordinal[rows],
        raw_sd=units.raw_sd[rows],
    )


def _coverage(records: list[BacktestProject], *, calibrated: bool) -> tuple[float, float, float]:
    if not records:
        return (0.0, 0.0, 0.0)
    actual = np.array([r.actual for r in records])
    bounds = np.array([r.calibrated if calibrated else r.raw for r in records])
    shares = (actual[:, None] <= bounds).mean(axis=0)
    return float(shares[0]), float(shares[1]), float(shares[2])
