"""Three-point distributions: parameters, moments, quantiles and inverse-CDF tables.

Every distribution is written ``X = low + width · S`` where ``S`` is a standard variable
of one shape parameter family:

============  =========================================  ==================================
Distribution  S                                          shape
============  =========================================  ==================================
pert          Beta(α, β) on [0, 1]                       α = 1 + λr, β = 1 + λ(1 − r)
triangular    triangle on [0, 1] with mode r             (r, 0)
uniform       uniform on [0, 1]                          (0, 0)
lognormal     exp(μ + σZ), mode r and 95th percentile 1  (μ, σ) with σ² + z₉₅σ + ln r = 0,
                                                         μ = −z₉₅σ
============  =========================================  ==================================

where ``r = (most_likely − low) / width``. With absolute ranges ``low`` is the optimistic
value and ``width = pessimistic − optimistic``; with P10/P90 ranges both are solved so that
the 10th and 90th percentiles equal the optimistic and pessimistic values (the mode is
kept).

The simulation samples through tables: for ``K = TABLE_SIZE`` equal-probability cells
``[k/K, (k+1)/K)`` of the uniform, the table holds ``E[S | cell k]`` (the conditional mean
of the cell), so a table has exactly the distribution's mean and loses only the variance
inside a cell (relative ~1e-4). A sample is then one uniform integer and one lookup.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from estimation.errors import EstimationInputError
from estimation.model import Distribution, RangeInterpretation

__all__ = [
    "TABLE_SIZE",
    "Marginal",
    "fit_marginal",
    "fit_marginals",
    "pert_parameters",
    "standard_tables",
    "variable_tables",
]

FloatArray = npt.NDArray[np.float64]

TABLE_SIZE = 4096
_Z_P95 = float(special.ndtri(0.95))
_PERT_GRID = 2048


@dataclass(frozen=True)
class Marginal:
    """A fitted distribution ``X = low + width · S`` (see the module docstring).

    ``width == 0`` means the constant ``low``. ``clamped`` is true when a P10/P90 range had
    to be clamped at zero.

    Examples
    --------
    >>> m = fit_marginal(2.0, 4.0, 9.0)
    >>> round(m.mean(), 6), round(m.variance(), 6)  # (a+4m+b)/6 and (μ−a)(b−μ)/7
    (4.5, 1.607143)
    """

    distribution: Distribution
    low: float
    width: float
    shape: tuple[float, float]
    clamped: bool = False

    @property
    def is_constant(self) -> bool:
        """Whether the distribution is a single value."""
        return self.width == 0.0

    @property
    def high(self) -> float:
        """Upper end of the support (for lognormal, its 95th percentile)."""
        return self.low + self.width

    def mean(self) -> float:
        """Expected value."""
        mean, _ = _standard_moments(self.distribution, self.shape)
        return self.low + self.width * mean

    def variance(self) -> float:
        """Variance."""
        _, variance = _standard_moments(self.distribution, self.shape)
        return self.width**2 * variance

    def quantile(self, probability: float | npt.ArrayLike) -> FloatArray:
        """Exact quantile function (scipy special functions), for checks and references."""
        p = np.asarray(probability, dtype=np.float64)
        if self.is_constant:
            return np.full_like(p, self.low)
        shape = np.broadcast_to(np.asarray(self.shape), (*p.shape, 2))
        q = _standard_quantile(self.distribution, shape[..., 0], shape[..., 1], p)
        return np.asarray(self.low + self.width * q, dtype=np.float64)


def pert_parameters(
    optimistic: float, most_likely: float, pessimistic: float, pert_lambda: float = 4.0
) -> tuple[float, float]:
    """Beta shape parameters (α, β) of PERT(a, m, b, λ), computed from the mode.

    Examples
    --------
    >>> pert_parameters(0.0, 1.0, 4.0)
    (2.0, 4.0)
    """
    width = pessimistic - optimistic
    if width <= 0:
        raise EstimationInputError(
            f"PERT: pessimistic={pessimistic!r} must be above optimistic={optimistic!r}"
        )
    ratio = (most_likely - optimistic) / width
    return 1.0 + pert_lambda * ratio, 1.0 + pert_lambda * (1.0 - ratio)


def fit_marginal(
    optimistic: float,
    most_likely: float,
    pessimistic: float,
    *,
    distribution: Distribution = Distribution.PERT,
    pert_lambda: float = 4.0,
    ranges: RangeInterpretation = RangeInterpretation.ABSOLUTE,
) -> Marginal:
    """Fit one three-point estimate; see :func:`fit_marginals`.

    Examples
    --------
    >>> m = fit_marginal(10, 12, 20, ranges=RangeInterpretation.P10_P90)
    >>> [round(float(v), 6) for v in m.quantile([0.1, 0.9])]
    [10.0, 20.0]
    """
    triples = np.array([[optimistic, most_likely, pessimistic]], dtype=np.float64)
    return fit_marginals(
        triples, distribution=distribution, pert_lambdas=np.array([pert_lambda]), ranges=ranges
    )[0]


def fit_marginals(
    triples: FloatArray,
    *,
    distribution: Distribution,
    pert_lambdas: FloatArray,
    ranges: RangeInterpretation,
) -> list[Marginal]:
    """Fit many three-point estimates of one distribution at once (vectorised).

    Parameters
    ----------
    triples
        ``(n, 3)`` array of (optimistic, most likely, pessimistic); already validated.
    distribution
        Shape family.
    pert_lambdas
        ``(n,)`` λ of each estimate (used by PERT only).
    ranges
        Absolute bounds or P10/P90.

    Examples
    --------
    >>> fit_marginals(np.array([[1.0, 1.0, 1.0]]), distribution=Distribution.PERT,
    ...               pert_lambdas=np.array([4.0]), ranges=RangeInterpretation.ABSOLUTE)[0].width
    0.0
    """
    low, mode, high = triples[:, 0], triples[:, 1], triples[:, 2]
    constant = (high == low) | (distribution is Distribution.FIXED)
    start = np.where(distribution is Distribution.FIXED, mode, low)
    width = np.where(constant, 0.0, high - low)
    ratio = np.divide(mode - low, width, out=np.zeros_like(mode), where=~constant)
    clamped = np.zeros(len(low), dtype=bool)
    if ranges is RangeInterpretation.P10_P90 and distribution is not Distribution.FIXED:
        free = ~constant
        fitted = _widen(distribution, low[free], mode[free], high[free], pert_lambdas[free])
        start[free], width[free], ratio[free], clamped[free] = fitted
    shapes = _shapes(distribution, ratio, pert_lambdas)
    return [
        Marginal(
            distribution=Distribution.FIXED if constant[i] else distribution,
            low=float(start[i]),
            width=float(width[i]),
            shape=(0.0, 0.0) if constant[i] else (float(shapes[0][i]), float(shapes[1][i])),
            clamped=bool(clamped[i]),
        )
        for i in range(len(low))
    ]


def _shapes(
    distribution: Distribution, ratio: FloatArray, lambdas: FloatArray
) -> tuple[FloatArray, FloatArray]:
    zeros = np.zeros_like(ratio)
    if distribution is Distribution.PERT:
        return 1.0 + lambdas * ratio, 1.0 + lambdas * (1.0 - ratio)
    if distribution is Distribution.TRIANGULAR:
        return ratio.copy(), zeros
    if distribution is Distribution.LOGNORMAL:
        safe = np.clip(ratio, 1e-300, 1.0)
        sigma = (-_Z_P95 + np.sqrt(_Z_P95**2 - 4.0 * np.log(safe))) / 2.0
        return -_Z_P95 * sigma, sigma
    return zeros, zeros


def _widen(
    distribution: Distribution,
    p10: FloatArray,
    mode: FloatArray,
    p90: FloatArray,
    lambdas: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Solve (low, width, r) with quantiles 0.1/0.9 at p10/p90 and the mode kept.

    With ``t = (m − p10)/(p90 − p10)`` the mode fraction r is the fixed point of
    ``h(r) = q10(r) + t (q90(r) − q10(r))`` on [0, 1]; bisection on ``h(r) − r`` is robust.
    """
    t = (mode - p10) / (p90 - p10)

    def excess(r: FloatArray) -> FloatArray:
        q10, q90 = _quantiles_of_ratio(distribution, r, lambdas)
        return np.asarray(q10 + t * (q90 - q10) - r)

    if distribution is Distribution.LOGNORMAL and np.any(t >= 0.5):
        raise EstimationInputError(
            "lognormal with P10/P90 ranges needs most_likely nearer optimistic than pessimistic"
        )
    ratio = _bisect(excess, len(t))
    q10, q90 = _quantiles_of_ratio(distribution, ratio, lambdas)
    width = (p90 - p10) / (q90 - q10)
    low = p10 - width * q10
    clamped = low < 0.0
    if np.any(clamped):
        # Keep the P90 and the mode with the lower bound at zero: r = (m / p90) q90(r).
        m, b, lam = mode[clamped], p90[clamped], lambdas[clamped]

        def excess_clamped(r: FloatArray) -> FloatArray:
            return np.asarray((m / b) * _quantiles_of_ratio(distribution, r, lam)[1] - r)

        r_clamped = _bisect(excess_clamped, int(clamped.sum()))
        q90_clamped = _quantiles_of_ratio(distribution, r_clamped, lam)[1]
        low[clamped] = 0.0
        width[clamped] = b / q90_clamped
        ratio[clamped] = r_clamped
    return low, width, ratio, clamped


def _bisect(function: Any, size: int) -> FloatArray:
    """Root in [0, 1] of a function with f(0) ≥ 0 ≥ f(1), elementwise, to ~1e-13.

    A few bisection steps, then the Illinois variant of regula falsi (superlinear), which
    needs far fewer quantile evaluations than plain bisection.
    """
    lower, upper = np.zeros(size), np.ones(size)
    f_lower, f_upper = function(lower), function(upper)
    for _ in range(6):
        middle = 0.5 * (lower + upper)
        f_middle = function(middle)
        positive = f_middle > 0
        lower, f_lower = np.where(positive, middle, lower), np.where(positive, f_middle, f_lower)
        upper, f_upper = np.where(positive, upper, middle), np.where(positive, f_upper, f_middle)
    side = np.zeros(size)
    for _ in range(60):
        if float(np.max(upper - lower)) < 1e-13:
            break
        span = f_lower - f_upper
        guess = np.where(
            span > 0,
            lower + f_lower * (upper - lower) / np.where(span > 0, span, 1.0),
            0.5 * (lower + upper),
        )
        guess = np.clip(guess, lower, upper)
        f_guess = function(guess)
        positive = f_guess > 0
        exact = np.abs(f_guess) <= 1e-15  # f is a difference of values in [0, 1]
        # Illinois: halve the value kept on the side that did not move twice in a row.
        f_upper = np.where(positive & (side > 0), 0.5 * f_upper, f_upper)
        f_lower = np.where(~positive & (side < 0), 0.5 * f_lower, f_lower)
        lower, f_lower = np.where(positive, guess, lower), np.where(positive, f_guess, f_lower)
        upper, f_upper = np.where(positive, upper, guess), np.where(positive, f_upper, f_guess)
        side = np.where(positive, 1.0, -1.0)
        lower, upper = np.where(exact, guess, lower), np.where(exact, guess, upper)
    return 0.5 * (lower + upper)


def _quantiles_of_ratio(
    distribution: Distribution, ratio: FloatArray, lambdas: FloatArray
) -> tuple[FloatArray, FloatArray]:
    first, second = _shapes(distribution, ratio, lambdas)
    q10 = _standard_quantile(distribution, first, second, np.full_like(ratio, 0.1))
    q90 = _standard_quantile(distribution, first, second, np.full_like(ratio, 0.9))
    return q10, q90


def _standard_quantile(
    distribution: Distribution, first: Any, second: Any, p: FloatArray
) -> FloatArray:
    if distribution is Distribution.PERT:
        return np.asarray(special.betaincinv(first, second, p), dtype=np.float64)
    if distribution is Distribution.TRIANGULAR:
        c = np.asarray(first, dtype=np.float64)
        left = np.sqrt(p * c)
        right = 1.0 - np.sqrt((1.0 - p) * (1.0 - c))
        return np.asarray(np.where(p <= c, left, right), dtype=np.float64)
    if distribution is Distribution.LOGNORMAL:
        return np.asarray(np.exp(first + second * special.ndtri(p)), dtype=np.float64)
    return np.asarray(p, dtype=np.float64)


def _standard_moments(
    distribution: Distribution, shape: tuple[float, float]
) -> tuple[float, float]:
    first, second = shape
    if distribution is Distribution.PERT:
        total = first + second
        return first / total, first * second / (total**2 * (total + 1.0))
    if distribution is Distribution.TRIANGULAR:
        return (1.0 + first) / 3.0, (1.0 + first * first - first) / 18.0
    if distribution is Distribution.UNIFORM:
        return 0.5, 1.0 / 12.0
    if distribution is Distribution.LOGNORMAL:
        mu, sigma = first, second
        return math.exp(mu + sigma**2 / 2.0), math.expm1(sigma**2) * math.exp(2 * mu + sigma**2)
    return 0.0, 0.0


# --- inverse-CDF tables ---------------------------------------------------------------------


def standard_tables(
    distribution: Distribution, shapes: FloatArray, size: int = TABLE_SIZE
) -> FloatArray:
    """Cell-mean tables of the standard variable S for many shapes.

    Parameters
    ----------
    distribution
        Shape family.
    shapes
        ``(n, 2)`` shape parameters (see :class:`Marginal`).
    size
        Number of equal-probability cells K.

    Returns
    -------
    ndarray
        ``(n, K)``: entry ``[i, k]`` is ``E[S_i | F(S_i) ∈ [k/K, (k+1)/K)]``.

    Examples
    --------
    >>> table = standard_tables(Distribution.UNIFORM, np.zeros((1, 2)), size=4)
    >>> table.tolist()
    [[0.125, 0.375, 0.625, 0.875]]
    """
    count = shapes.shape[0]
    if distribution is Distribution.PERT:
        return _pert_tables(shapes[:, 0], shapes[:, 1], size)
    if distribution is Distribution.TRIANGULAR:
        return _triangular_tables(shapes[:, 0], size)
    if distribution is Distribution.LOGNORMAL:
        return _lognormal_tables(shapes[:, 0], shapes[:, 1], size)
    if distribution is Distribution.UNIFORM:
        row = (np.arange(size) + 0.5) / size
        return np.tile(row, (count, 1))
    return np.zeros((count, size))


def _triangular_tables(mode: FloatArray, size: int) -> FloatArray:
    u = (np.arange(size + 1) / size)[None, :]
    c = mode[:, None]
    # G(u) = ∫₀ᵘ q(t) dt with q(t) = √(ct) below c and 1 − √((1−c)(1−t)) above.
    below = (2.0 / 3.0) * np.sqrt(c) * u**1.5
    at_mode = (2.0 / 3.0) * c * c
    above = (
        at_mode + (u - c) + (2.0 / 3.0) * np.sqrt(1.0 - c) * ((1.0 - u) ** 1.5 - (1.0 - c) ** 1.5)
    )
    integral = np.where(u <= c, below, above)
    return np.asarray(np.diff(integral, axis=1) * size, dtype=np.float64)


def _lognormal_tables(mu: FloatArray, sigma: FloatArray, size: int) -> FloatArray:
    with np.errstate(divide="ignore"):
        z = special.ndtri(np.arange(size + 1) / size)[None, :]
    x = z - sigma[:, None]
    upper = np.diff(-special.ndtr(-x), axis=1)  # accurate in the right tail
    lower = np.diff(special.ndtr(x), axis=1)
    mass = np.where(x[:, :-1] > 0, upper, lower)
    scale = np.exp(mu + sigma**2 / 2.0)[:, None]
    return np.asarray(scale * mass * size, dtype=np.float64)


def _pert_tables(alpha: FloatArray, beta: FloatArray, size: int) -> FloatArray:
    """Beta cell means from the density integrated on a fine grid (trapezoid rule).

    ``scipy.special.betaincinv`` takes ~2 µs per value, far too slow for thousands of
    tables; integrating the density on a 2,048-interval grid and interpolating the partial
    first moment against the CDF gives cell means within ~4e-4 of the exact ones (in units
    of the range), with the table mean exactly α/(α+β).
    """
    out = np.empty((len(alpha), size))
    for start in range(0, len(alpha), 16):  # small batches stay in cache
        stop = min(start + 16, len(alpha))
        out[start:stop] = _pert_table_batch(alpha[start:stop], beta[start:stop], size)
    return out


def _pert_table_batch(alpha: FloatArray, beta: FloatArray, size: int) -> FloatArray:
    grid = _PERT_GRID
    x = np.linspace(0.0, 1.0, grid + 1)
    with np.errstate(divide="ignore"):
        log_x, log_1mx = np.log(x), np.log1p(-x)
    log_x[0] = log_1mx[-1] = -1e300  # 0·(−1e300) = 0 keeps α = 1 or β = 1 finite
    mode = np.clip((alpha - 1.0) / np.maximum(alpha + beta - 2.0, 1e-300), 1e-12, 1 - 1e-12)
    peak = (alpha - 1.0) * np.log(mode) + (beta - 1.0) * np.log1p(-mode)
    density = np.multiply.outer(alpha - 1.0, log_x)
    density += np.multiply.outer(beta - 1.0, log_1mx)
    density -= peak[:, None]
    np.exp(density, out=density)
    cdf = np.zeros_like(density)
    partial = np.zeros_like(density)
    np.cumsum(density[:, 1:] + density[:, :-1], axis=1, out=cdf[:, 1:])
    density *= x
    np.cumsum(density[:, 1:] + density[:, :-1], axis=1, out=partial[:, 1:])
    mean = alpha / (alpha + beta)
    partial *= (mean / partial[:, -1])[:, None]
    cdf /= cdf[:, -1:]
    u = np.arange(size + 1) / size
    integral = np.empty((len(alpha), size + 1))
    for row in range(len(alpha)):
        integral[row] = np.interp(u, cdf[row], partial[row])
    integral[:, 0] = 0.0
    integral[:, -1] = mean
    return np.asarray(np.diff(integral, axis=1) * size, dtype=np.float64)


_PERT_RATIO_GRID = 65  # tables on r = 0, 1/64, …, 1 when a λ has more distinct shapes
_TABLE_BATCH = 256


def variable_tables(
    marginals: list[Marginal], multipliers: FloatArray, size: int = TABLE_SIZE
) -> npt.NDArray[np.float32]:
    """Sampling tables of many variables: row i holds ``(low + width·S) × multiplier[i]``.

    PERT shapes are computed exactly when a λ has at most 64 distinct shapes, otherwise
    interpolated linearly in r between tables at r = 0, 1/64, …, 1 (the mean stays exact
    since it is linear in r; other cells move by < 5e-4 of the range). Memory stays
    bounded: the float64 work arrays hold at most 256 rows.

    Examples
    --------
    >>> tables = variable_tables([fit_marginal(2, 2, 2), fit_marginal(0, 1, 2)],
    ...                          np.array([3.0, 1.0]), size=4)
    >>> tables[0].tolist()
    [6.0, 6.0, 6.0, 6.0]
    """
    count = len(marginals)
    out = np.empty((count, size), dtype=np.float32)
    scale = np.array([m.width for m in marginals], dtype=np.float64) * multipliers
    offset = np.array([m.low for m in marginals], dtype=np.float64) * multipliers
    gridded: dict[float, list[int]] = defaultdict(list)
    distinct: dict[tuple[Distribution, tuple[float, float]], list[int]] = defaultdict(list)
    for index, marginal in enumerate(marginals):
        if marginal.is_constant:
            out[index] = offset[index]
        else:
            distinct[(marginal.distribution, marginal.shape)].append(index)
    for (distribution, shape), indices in list(distinct.items()):
        if distribution is Distribution.PERT:
            gridded[_pert_lambda_of(shape)].extend(indices)
    for lam, indices in gridded.items():
        shapes = {marginals[i].shape for i in indices}
        if len(shapes) < _PERT_RATIO_GRID:
            continue
        for shape in shapes:
            del distinct[(Distribution.PERT, shape)]
        _fill_from_grid(out, indices, marginals, lam, scale=scale, offset=offset, size=size)
    keys = list(distinct)
    for start in range(0, len(keys), _TABLE_BATCH):
        batch = keys[start : start + _TABLE_BATCH]
        standard = np.empty((len(batch), size))
        for distribution in {key[0] for key in batch}:
            rows = [k for k, key in enumerate(batch) if key[0] is distribution]
            parameters = np.array([batch[k][1] for k in rows], dtype=np.float64)
            standard[rows] = standard_tables(distribution, parameters, size)
        members = [i for key in batch for i in distinct[key]]
        local = [k for k, key in enumerate(batch) for _ in distinct[key]]
        _scale_into(out, np.array(members), standard[local], scale, offset)
    return out


def _scale_into(
    out: npt.NDArray[np.float32],
    rows: npt.NDArray[np.int64],
    standard: FloatArray,
    scale: FloatArray,
    offset: FloatArray,
) -> None:
    standard *= scale[rows, None]
    standard += offset[rows, None]
    out[rows] = standard


def _fill_from_grid(
    out: npt.NDArray[np.float32],
    indices: list[int],
    marginals: list[Marginal],
    lam: float,
    *,
    scale: FloatArray,
    offset: FloatArray,
    size: int,
) -> None:
    ratios = np.linspace(0.0, 1.0, _PERT_RATIO_GRID)
    grid = _pert_tables(1.0 + lam * ratios, 1.0 + lam * (1.0 - ratios), size).astype(np.float32)
    rows = np.array(indices, dtype=np.int64)
    alpha = np.array([marginals[i].shape[0] for i in indices])
    position = np.clip((alpha - 1.0) / lam, 0.0, 1.0) * (_PERT_RATIO_GRID - 1)
    lower = np.minimum(position.astype(np.int64), _PERT_RATIO_GRID - 2)
    weight = position - lower
    # out = offset + scale·((1 − w)·grid[lower] + w·grid[lower + 1]), in float32 batches
    # small enough to stay in cache.
    low_factor = (scale[rows] * (1.0 - weight)).astype(np.float32)[:, None]
    high_factor = (scale[rows] * weight).astype(np.float32)[:, None]
    shift = offset[rows].astype(np.float32)[:, None]
    for start in range(0, len(rows), 32):
        part = slice(start, start + 32)
        block = np.multiply(grid[lower[part]], low_factor[part])
        block += grid[lower[part] + 1] * high_factor[part]
        block += shift[part]
        out[rows[part]] = block


def _pert_lambda_of(shape: tuple[float, float]) -> float:
    return round(shape[0] + shape[1] - 2.0, 9)
