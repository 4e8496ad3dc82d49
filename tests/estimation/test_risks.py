"""Risk events: occurrence frequency, expected impact, money, mitigation, ranking."""

from __future__ import annotations

import math

import pytest

from estimation import Distribution, Phase, RiskEvent, analytic_summary, fit_marginal, simulate

from .factories import item, model, role

ITERATIONS = 40_000


def _constant_work() -> list:
    return [item("BASE", 10.0, 10.0, 10.0)]


def test_a_risk_occurs_with_its_probability() -> None:
    risk = RiskEvent("R-1", 0.3, impact_days={"BE": (2.0, 5.0, 10.0)}, phase="build")
    result = simulate(model(_constant_work(), risks=[risk]), iterations=ITERATIONS, seed=1)
    summary = result.risks[0]
    binomial_sd = math.sqrt(0.3 * 0.7 / ITERATIONS)  # Ref: binomial standard deviation
    assert abs(summary.frequency - 0.3) < 4 * binomial_sd


def test_the_expected_impact_is_probability_times_mean_impact() -> None:
    risk = RiskEvent("R-1", 0.3, impact_days={"BE": (2.0, 5.0, 10.0)}, phase="build")
    result = simulate(model(_constant_work(), risks=[risk]), iterations=ITERATIONS, seed=2)
    summary = result.risks[0]
    mean_impact = (2.0 + 4 * 5.0 + 10.0) / 6  # Ref: PERT mean (a+4m+b)/6
    assert summary.mean_impact_days == pytest.approx(mean_impact)
    assert summary.expected_impact_days == pytest.approx(0.3 * mean_impact)
    assert summary.expected_impact_cost == pytest.approx(0.3 * mean_impact * 800.0)
    impact_variance = (mean_impact - 2.0) * (10.0 - mean_impact) / 7  # Ref: PERT variance
    impact_sd = math.sqrt(0.3 * (mean_impact**2 + impact_variance) - (0.3 * mean_impact) ** 2)
    assert abs(summary.simulated_impact_days - 0.3 * mean_impact) < 4 * impact_sd / math.sqrt(
        ITERATIONS
    )
    assert result.unmitigated.effort.mean == pytest.approx(10.0 + 0.3 * mean_impact, rel=0.01)
    assert result.analytic.expected_risk_effort == pytest.approx(0.3 * mean_impact)


def test_certain_and_impossible_risks() -> None:
    always = RiskEvent("ALWAYS", 1.0, impact_days={"BE": (3.0, 3.0, 3.0)}, phase="build")
    never = RiskEvent("NEVER", 0.0, impact_days={"BE": (50.0, 60.0, 70.0)}, phase="build")
    result = simulate(model(_constant_work(), risks=[always, never]), iterations=2_000, seed=3)
    effort = result.unmitigated.effort
    assert effort.minimum == effort.maximum == 13.0
    frequencies = {summary.code: summary.frequency for summary in result.risks}
    assert frequencies == {"ALWAYS": 1.0, "NEVER": 0.0}


def test_a_money_impact_adds_to_cost_but_not_to_effort_or_price() -> None:
    risk = RiskEvent("R-1", 1.0, impact_money=(1_000.0, 1_000.0, 1_000.0))
    result = simulate(model(_constant_work(), risks=[risk]), iterations=2_000, seed=4)
    outcome = result.unmitigated
    assert outcome.effort.mean == 10.0
    assert outcome.cost.mean == pytest.approx(10.0 * 800.0 + 1_000.0)
    assert outcome.price.mean == pytest.approx(10.0 * 1_500.0)
    assert outcome.margin.mean == pytest.approx(10.0 * 700.0 - 1_000.0)


def test_mitigation_lowers_the_probability_scales_the_impact_and_adds_its_cost() -> None:
    risk = RiskEvent(
        "R-1",
        0.5,
        impact_days={"BE": (4.0, 6.0, 14.0)},
        phase="build",
        mitigation_cost=500.0,
        post_mitigation_probability=0.2,
        post_mitigation_impact_scale=0.5,
    )
    result = simulate(model(_constant_work(), risks=[risk]), iterations=ITERATIONS, seed=5)
    assert result.mitigated is not None
    mean_impact = (4.0 + 4 * 6.0 + 14.0) / 6  # Ref: PERT mean
    summary = result.risks[0]
    assert summary.expected_impact_days_mitigated == pytest.approx(0.2 * 0.5 * mean_impact)
    assert abs(summary.post_mitigation_frequency - 0.2) < 4 * math.sqrt(0.16 / ITERATIONS)
    expected_cost = 800.0 * (10.0 + 0.1 * mean_impact) + 500.0
    assert result.mitigated.cost.mean == pytest.approx(expected_cost, rel=0.01)
    # the mitigated run reuses the draws: it never costs more days than the unmitigated one
    assert result.mitigated.effort.maximum <= result.unmitigated.effort.maximum


def test_a_risk_without_a_phase_delays_the_end_of_the_project() -> None:
    work = [item("BASE", 10.0, 10.0, 10.0)]
    placed = RiskEvent("IN", 1.0, impact_days={"BE": (4.0, 4.0, 4.0)}, phase="build")
    unplaced = RiskEvent("OUT", 1.0, impact_days={"BE": (4.0, 4.0, 4.0)})
    team = [role(fte=2.0)]
    in_phase = simulate(model(work, roles=team, risks=[placed]), iterations=1_000, seed=1)
    at_end = simulate(model(work, roles=team, risks=[unplaced]), iterations=1_000, seed=1)
    assert in_phase.unmitigated.duration.mean == pytest.approx(7.0)  # (10 + 4) / 2 FTE
    assert at_end.unmitigated.duration.mean == pytest.approx(7.0)  # 10/2 then 4/2 at the end
    assert at_end.unmitigated.effort_by_phase["build"].mean == pytest.approx(10.0)
    assert at_end.unmitigated.effort.mean == pytest.approx(14.0)


def test_risks_are_ranked_by_expected_cost() -> None:
    risks = [
        RiskEvent("SMALL", 0.9, impact_days={"BE": (1.0, 1.0, 1.0)}, phase="build"),
        RiskEvent("BIG", 0.2, impact_days={"BE": (10.0, 20.0, 30.0)}, phase="build"),
        RiskEvent("MONEY", 0.5, impact_money=(50_000.0, 60_000.0, 90_000.0)),
    ]
    result = simulate(model(_constant_work(), risks=risks), iterations=2_000, seed=6)
    assert [summary.code for summary in result.risks] == ["MONEY", "BIG", "SMALL"]


def test_a_risk_with_lognormal_impacts_uses_the_lognormal_mean() -> None:
    risk = RiskEvent(
        "R-1",
        1.0,
        impact_days={"BE": (1.0, 2.0, 6.0)},
        phase="build",
        distribution=Distribution.LOGNORMAL,
    )
    result = simulate(
        model(_constant_work(), risks=[risk], phases=[Phase("build")]),
        iterations=ITERATIONS,
        seed=7,
    )
    mean = fit_marginal(1.0, 2.0, 6.0, distribution=Distribution.LOGNORMAL).mean()
    assert result.risks[0].mean_impact_days == pytest.approx(mean)
    assert result.unmitigated.effort.mean == pytest.approx(10.0 + mean, rel=0.01)


def test_the_mitigated_analytic_summary_uses_post_mitigation_values() -> None:
    risk = RiskEvent(
        "R-1",
        0.5,
        impact_days={"BE": (4.0, 6.0, 14.0)},
        phase="build",
        mitigation_cost=500.0,
        post_mitigation_probability=0.2,
        post_mitigation_impact_scale=0.5,
    )
    estimate = model(_constant_work(), risks=[risk])
    before = analytic_summary(estimate)
    after = analytic_summary(estimate, mitigated=True)
    mean_impact = (4.0 + 4 * 6.0 + 14.0) / 6  # Ref: PERT mean
    assert before.effort.mean == pytest.approx(10.0 + 0.5 * mean_impact)
    assert after.effort.mean == pytest.approx(10.0 + 0.2 * 0.5 * mean_impact)
    assert after.cost.mean == pytest.approx(800.0 * (10.0 + 0.1 * mean_impact) + 500.0)
    result = simulate(estimate, iterations=ITERATIONS, seed=8)
    assert result.mitigated is not None
    assert result.mitigated.cost.mean == pytest.approx(after.cost.mean, rel=0.005)
    assert result.mitigated.effort.sd == pytest.approx(after.effort.sd, rel=0.03)
