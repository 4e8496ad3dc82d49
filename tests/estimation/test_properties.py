"""Hypothesis properties of simulation results."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimation import (
    PERCENTILE_LEVELS,
    Distribution,
    EstimationModel,
    RiskEvent,
    SeriesSummary,
    simulate,
)

from .factories import item, model

BOUNDED = [Distribution.PERT, Distribution.TRIANGULAR, Distribution.UNIFORM, Distribution.FIXED]


@st.composite
def triples(draw: st.DrawFn) -> tuple[float, float, float]:
    low = draw(st.floats(0.0, 20.0, allow_nan=False))
    mode = low + draw(st.floats(0.0, 20.0, allow_nan=False))
    high = mode + draw(st.floats(0.0, 40.0, allow_nan=False))
    return round(low, 2), round(mode, 2), round(high, 2)


@st.composite
def models(draw: st.DrawFn) -> EstimationModel:
    count = draw(st.integers(1, 6))
    items = []
    for k in range(count):
        low, mode, high = draw(triples())
        items.append(
            item(
                f"L{k}",
                low,
                mode,
                high,
                distribution=draw(st.sampled_from(BOUNDED)),
                quantity=draw(st.sampled_from([1.0, 2.0, 0.5])),
            )
        )
    return model(items)


def _levels(summary: SeriesSummary) -> list[float]:
    return [summary.percentile(level) for level in PERCENTILE_LEVELS]


def _bounds(estimate: EstimationModel) -> tuple[float, float]:
    low = sum(
        (i.most_likely if i.distribution is Distribution.FIXED else i.optimistic) * i.quantity
        for i in estimate.items
    )
    high = sum(
        (i.most_likely if i.distribution is Distribution.FIXED else i.pessimistic) * i.quantity
        for i in estimate.items
    )
    return low, high


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(models(), st.integers(0, 2**32))
def test_percentiles_are_monotone(estimate: EstimationModel, seed: int) -> None:
    outcome = simulate(estimate, iterations=1_000, seed=seed).unmitigated
    for summary in (outcome.effort, outcome.cost, outcome.duration):
        values = [summary.minimum, *_levels(summary), summary.maximum]
        assert values == sorted(values)
        curve = [value for value, _ in summary.s_curve]
        assert curve == sorted(curve)


@FAST
@given(models(), st.integers(0, 2**32))
def test_bounded_totals_stay_within_the_sums_of_minima_and_maxima(
    estimate: EstimationModel, seed: int
) -> None:
    low, high = _bounds(estimate)
    effort = simulate(estimate, iterations=1_000, seed=seed).unmitigated.effort
    tolerance = 1e-5 * max(1.0, high)  # float32 storage of the tables
    assert low - tolerance <= effort.minimum <= effort.maximum <= high + tolerance


@FAST
@given(models(), st.sampled_from([0.5, 3.0, 10.0]), st.integers(0, 2**32))
def test_multiplying_every_value_by_k_multiplies_the_results_by_k(
    estimate: EstimationModel, k: float, seed: int
) -> None:
    scaled = model(
        [
            item(
                i.line,
                i.optimistic * k,
                i.most_likely * k,
                i.pessimistic * k,
                distribution=i.distribution,
                quantity=i.quantity,
            )
            for i in estimate.items
        ]
    )
    base = simulate(estimate, iterations=1_000, seed=seed).unmitigated.effort
    other = simulate(scaled, iterations=1_000, seed=seed).unmitigated.effort
    assert np.allclose(_levels(other), np.array(_levels(base)) * k, rtol=1e-5, atol=1e-4)
    assert other.mean == pytest.approx(base.mean * k, rel=1e-5, abs=1e-4)


@FAST
@given(models(), st.integers(0, 2**32))
def test_adding_a_zero_item_changes_nothing(estimate: EstimationModel, seed: int) -> None:
    with_zero = model([*estimate.items, item("ZERO", 0.0, 0.0, 0.0)])
    base = simulate(estimate, iterations=1_000, seed=seed)
    other = simulate(with_zero, iterations=1_000, seed=seed)
    assert other.unmitigated == base.unmitigated
    assert other.analytic == base.analytic


@FAST
@given(st.floats(0.0, 1.0), st.integers(0, 2**32))
def test_a_risk_only_ever_adds_effort(probability: float, seed: int) -> None:
    base = model([item("A", 1, 2, 5), item("B", 3, 4, 9)])
    risky = model(
        base.items,
        risks=[RiskEvent("R", probability, impact_days={"BE": (1, 2, 3)}, phase="build")],
    )
    plain = simulate(base, iterations=1_000, seed=seed).unmitigated.effort
    with_risk = simulate(risky, iterations=1_000, seed=seed).unmitigated.effort
    assert with_risk.minimum >= plain.minimum - 1e-9
    assert with_risk.mean >= plain.mean - 1e-9
