"""Oracle checks of the three-point distributions against closed forms and scipy.stats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from estimation import (
    Distribution,
    RangeInterpretation,
    fit_marginal,
    pert_parameters,
    sample_work_items,
    simulate,
)
from estimation.distributions import TABLE_SIZE, standard_tables, variable_tables

from .factories import single

TRIPLES = [(2.0, 4.0, 9.0), (1.0, 1.5, 20.0), (3.0, 9.5, 10.0), (0.0, 0.0, 5.0)]


@pytest.mark.parametrize(("a", "m", "b"), TRIPLES)
def test_pert_mean_and_variance_are_the_textbook_formulas_at_lambda_4(
    a: float, m: float, b: float
) -> None:
    marginal = fit_marginal(a, m, b)
    mean = (a + 4 * m + b) / 6  # Ref: PERT mean (a+4m+b)/6, issue 3
    assert marginal.mean() == pytest.approx(mean, rel=1e-12)
    # Ref: PERT variance (μ−a)(b−μ)/7 at λ = 4, issue 3 / FIELD_NOTES
    assert marginal.variance() == pytest.approx((mean - a) * (b - mean) / 7, rel=1e-12)


@pytest.mark.parametrize("lam", [1.0, 2.5, 4.0, 10.0])
def test_modified_pert_matches_scipy_beta_for_any_lambda(lam: float) -> None:
    a, m, b = 2.0, 3.0, 11.0
    alpha = 1 + lam * (m - a) / (b - a)  # Ref: α from the mode, FIELD_NOTES
    beta = 1 + lam * (b - m) / (b - a)
    oracle = stats.beta(alpha, beta, loc=a, scale=b - a)
    marginal = fit_marginal(a, m, b, pert_lambda=lam)
    assert marginal.mean() == pytest.approx(oracle.mean(), rel=1e-12)
    assert marginal.mean() == pytest.approx((a + lam * m + b) / (lam + 2), rel=1e-12)
    assert marginal.variance() == pytest.approx(oracle.var(), rel=1e-12)
    assert marginal.quantile([0.1, 0.5, 0.9]) == pytest.approx(oracle.ppf([0.1, 0.5, 0.9]))


def test_pert_shape_parameters_come_from_the_mode_not_the_mean() -> None:
    # Ref: hand-derived, α = 1 + 4·(1−0)/4 = 2, β = 1 + 4·(4−1)/4 = 4
    assert pert_parameters(0.0, 1.0, 4.0) == (2.0, 4.0)


def test_triangular_matches_scipy_triang() -> None:
    a, m, b = 2.0, 3.0, 11.0
    oracle = stats.triang((m - a) / (b - a), loc=a, scale=b - a)
    marginal = fit_marginal(a, m, b, distribution=Distribution.TRIANGULAR)
    assert marginal.mean() == pytest.approx(oracle.mean(), rel=1e-12)
    assert marginal.variance() == pytest.approx(oracle.var(), rel=1e-12)
    assert marginal.quantile([0.05, 0.5, 0.95]) == pytest.approx(oracle.ppf([0.05, 0.5, 0.95]))


def test_uniform_matches_scipy_uniform() -> None:
    oracle = stats.uniform(loc=2.0, scale=9.0)
    marginal = fit_marginal(2.0, 3.0, 11.0, distribution=Distribution.UNIFORM)
    assert marginal.mean() == pytest.approx(oracle.mean())
    assert marginal.variance() == pytest.approx(oracle.var())


def test_lognormal_has_its_minimum_at_a_its_mode_at_m_and_its_p95_at_b() -> None:
    a, m, b = 2.0, 4.0, 9.0
    marginal = fit_marginal(a, m, b, distribution=Distribution.LOGNORMAL)
    mu, sigma = marginal.shape
    oracle = stats.lognorm(s=sigma, loc=a, scale=marginal.width * math.exp(mu))
    assert oracle.ppf(0.95) == pytest.approx(b)  # Ref: definition in estimation.model
    assert oracle.support()[0] == a
    mode = a + marginal.width * math.exp(mu - sigma**2)  # Ref: lognormal mode exp(μ − σ²)
    assert mode == pytest.approx(m)
    assert marginal.mean() == pytest.approx(oracle.mean(), rel=1e-12)
    assert marginal.variance() == pytest.approx(oracle.var(), rel=1e-12)


def test_table_cells_are_the_exact_beta_cell_means() -> None:
    rng = np.random.default_rng(5)
    ratio = rng.uniform(0.0, 1.0, 40)
    alpha, beta = 1 + 4 * ratio, 1 + 4 * (1 - ratio)
    tables = standard_tables(Distribution.PERT, np.stack([alpha, beta], axis=1))
    edges = special.betaincinv(
        alpha[:, None], beta[:, None], np.arange(TABLE_SIZE + 1) / TABLE_SIZE
    )
    partial = (alpha / (alpha + beta))[:, None] * special.betainc(
        alpha[:, None] + 1, beta[:, None], edges
    )
    exact = np.diff(partial, axis=1) * TABLE_SIZE  # Ref: E[X; X ≤ x] = μ I_x(α+1, β)
    assert np.abs(tables - exact).max() < 1e-3
    assert tables.mean(axis=1) == pytest.approx(alpha / (alpha + beta), abs=1e-12)


@pytest.mark.parametrize(
    "distribution", [Distribution.TRIANGULAR, Distribution.UNIFORM, Distribution.LOGNORMAL]
)
def test_tables_keep_the_mean_exactly_and_the_variance_closely(distribution: Distribution) -> None:
    marginal = fit_marginal(2.0, 4.0, 9.0, distribution=distribution)
    table = variable_tables([marginal], np.ones(1))[0].astype(np.float64)
    assert table.mean() == pytest.approx(marginal.mean(), rel=1e-6)
    assert table.var() == pytest.approx(marginal.variance(), rel=5e-3)


def _samples(model_iterations: int, a: float, m: float, b: float, distribution: Distribution):
    _, samples = sample_work_items(
        single(a, m, b, distribution), iterations=model_iterations, seed=42
    )
    return samples[:, 0].astype(np.float64)


def test_single_pert_percentiles_match_scipy_beta_ppf() -> None:
    a, m, b, n = 2.0, 4.0, 9.0, 200_000
    alpha, beta = pert_parameters(a, m, b)
    oracle = stats.beta(alpha, beta, loc=a, scale=b - a)
    values = _samples(n, a, m, b, Distribution.PERT)
    levels = np.array([0.01, 0.1, 0.5, 0.8, 0.9, 0.99])
    expected = oracle.ppf(levels)
    # Standard error of a sample quantile: √(p(1−p)/n) / f(x_p); allow 4 of them plus a cell.
    tolerance = 4 * np.sqrt(levels * (1 - levels) / n) / oracle.pdf(expected) + (b - a) / TABLE_SIZE
    assert np.all(np.abs(np.quantile(values, levels) - expected) < tolerance)


@pytest.mark.parametrize(
    ("distribution", "oracle"),
    [
        (Distribution.PERT, stats.beta(*pert_parameters(2.0, 4.0, 9.0), loc=2.0, scale=7.0)),
        (Distribution.TRIANGULAR, stats.triang(2.0 / 7.0, loc=2.0, scale=7.0)),
        (Distribution.UNIFORM, stats.uniform(loc=2.0, scale=7.0)),
    ],
)
def test_each_bounded_distribution_passes_a_kolmogorov_smirnov_test(
    distribution: Distribution, oracle: stats.rv_continuous
) -> None:
    values = _samples(50_000, 2.0, 4.0, 9.0, distribution)
    assert stats.kstest(values, oracle.cdf).pvalue > 0.001


def test_lognormal_passes_a_kolmogorov_smirnov_test() -> None:
    marginal = fit_marginal(2.0, 4.0, 9.0, distribution=Distribution.LOGNORMAL)
    mu, sigma = marginal.shape
    oracle = stats.lognorm(s=sigma, loc=2.0, scale=marginal.width * math.exp(mu))
    values = _samples(50_000, 2.0, 4.0, 9.0, Distribution.LOGNORMAL)
    assert stats.kstest(values, oracle.cdf).pvalue > 0.001


def test_a_degenerate_three_point_is_a_constant_not_nan() -> None:
    values = _samples(2_000, 5.0, 5.0, 5.0, Distribution.PERT)
    assert np.all(values == 5.0)
    result = simulate(single(5.0, 5.0, 5.0), iterations=1_000, seed=1)
    assert result.unmitigated.effort.minimum == result.unmitigated.effort.maximum == 5.0


def test_the_fixed_distribution_is_the_most_likely_value() -> None:
    values = _samples(2_000, 2.0, 4.0, 9.0, Distribution.FIXED)
    assert np.all(values == 4.0)


@pytest.mark.parametrize(
    "distribution",
    [Distribution.PERT, Distribution.TRIANGULAR, Distribution.UNIFORM, Distribution.LOGNORMAL],
)
def test_p10_p90_ranges_are_widened_so_the_inputs_become_those_percentiles(
    distribution: Distribution,
) -> None:
    marginal = fit_marginal(
        10.0, 12.0, 20.0, distribution=distribution, ranges=RangeInterpretation.P10_P90
    )
    assert marginal.quantile([0.1, 0.9]) == pytest.approx([10.0, 20.0], abs=1e-9)
    assert marginal.low < 10.0
    if distribution is Distribution.PERT:
        alpha, beta = marginal.shape
        oracle = stats.beta(alpha, beta, loc=marginal.low, scale=marginal.width)
        assert oracle.ppf([0.1, 0.9]) == pytest.approx([10.0, 20.0])
        mode = marginal.low + marginal.width * (alpha - 1) / (alpha + beta - 2)
        assert mode == pytest.approx(12.0)  # the most likely value is kept


def test_widening_that_would_need_a_negative_minimum_is_clamped_at_zero_with_a_warning() -> None:
    marginal = fit_marginal(1.0, 1.5, 20.0, ranges=RangeInterpretation.P10_P90)
    assert marginal.clamped
    assert marginal.low == 0.0
    assert marginal.quantile(0.9) == pytest.approx(20.0)
    model = single(1.0, 1.5, 20.0, range_interpretation=RangeInterpretation.P10_P90)
    result = simulate(model, iterations=1_000, seed=1)
    assert any("clamped at 0" in warning for warning in result.warnings)
    assert result.unmitigated.effort.minimum >= 0.0


def test_a_simulated_p10_p90_estimate_has_the_inputs_as_its_percentiles() -> None:
    estimate = single(10.0, 12.0, 20.0, range_interpretation=RangeInterpretation.P10_P90)
    effort = simulate(estimate, iterations=100_000, seed=3).unmitigated.effort
    # Ref: Primavera Trigen semantics, issue 3 — the given range is the P10/P90
    assert effort.percentile(10) == pytest.approx(10.0, abs=0.1)
    assert effort.percentile(90) == pytest.approx(20.0, abs=0.15)
