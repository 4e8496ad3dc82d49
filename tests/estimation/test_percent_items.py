"""Percent-of items: a share of other phases' work effort, drawn per iteration."""

from __future__ import annotations

import pytest

from estimation import PercentItem, Phase, RiskEvent, analytic_summary, simulate

from .factories import item, model, role

PHASES = [Phase("build"), Phase("test", depends_on=("build",)), Phase("pm")]
ROLES = [role("BE"), role("QA"), role("PM", cost=1_000.0, sell=2_000.0)]


def _pm(low: float, mode: float, high: float, *, of: tuple[str, ...] = ("build", "test")):
    return PercentItem("PM-1", "PM", "pm", low, mode, high, of_phases=of)


def test_a_constant_percentage_is_exactly_its_share_of_the_base_phases() -> None:
    work = [item("B", 10, 10, 10), item("T", 6, 6, 6, role_code="QA", phase="test")]
    result = simulate(
        model(work, roles=ROLES, phases=PHASES, percent_items=[_pm(10, 10, 10)]),
        iterations=1_000,
        seed=1,
    )
    outcome = result.unmitigated
    assert outcome.effort_by_phase["pm"].mean == pytest.approx(1.6)  # Ref: 10 % of (10 + 6)
    assert outcome.effort_by_role["PM"].maximum == pytest.approx(1.6)
    assert outcome.effort.mean == pytest.approx(17.6)  # Ref: 10 + 6 + 1.6


def test_the_percentage_is_drawn_per_iteration_and_its_mean_is_the_pert_mean() -> None:
    work = [item("B", 10, 10, 10), item("T", 6, 6, 6, role_code="QA", phase="test")]
    result = simulate(
        model(work, roles=ROLES, phases=PHASES, percent_items=[_pm(10, 12, 20)]),
        iterations=20_000,
        seed=2,
    )
    pm = result.unmitigated.effort_by_phase["pm"]
    mean_share = (10 + 4 * 12 + 20) / 6 / 100  # Ref: PERT mean (a+4m+b)/6, in percent
    assert pm.mean == pytest.approx(16 * mean_share, rel=0.005)
    assert pm.minimum >= 1.6 - 1e-4
    assert pm.maximum <= 3.2 + 1e-4


def test_the_base_counts_only_work_items_of_the_named_phases() -> None:
    work = [item("B", 10, 10, 10), item("T", 6, 6, 6, role_code="QA", phase="test")]
    risk = RiskEvent("R", 1.0, impact_days={"BE": (5, 5, 5)}, phase="build")
    only_build = _pm(10, 10, 10, of=("build",))
    result = simulate(
        model(work, roles=ROLES, phases=PHASES, percent_items=[only_build], risks=[risk]),
        iterations=1_000,
        seed=3,
    )
    # Ref: 10 % of the build work (10 days); the risk's 5 days and the test phase are not in it
    assert result.unmitigated.effort_by_phase["pm"].mean == pytest.approx(1.0)


def test_the_analytic_summary_includes_percent_items() -> None:
    work = [item("B", 5, 10, 20), item("T", 3, 6, 12, role_code="QA", phase="test")]
    estimate = model(work, roles=ROLES, phases=PHASES, percent_items=[_pm(10, 12, 20)])
    summary = analytic_summary(estimate)
    result = simulate(estimate, iterations=40_000, seed=4)
    base = (5 + 40 + 20) / 6 + (3 + 24 + 12) / 6
    # Ref: E[P·S] = E[P]·E[S] for an independent share P
    assert summary.effort.mean == pytest.approx(base * (1 + (10 + 48 + 20) / 600))
    assert result.unmitigated.effort.mean == pytest.approx(summary.effort.mean, rel=0.003)
    assert result.unmitigated.effort.sd == pytest.approx(summary.effort.sd, rel=0.02)
    assert summary.sum_most_likely_effort == pytest.approx(16 * 1.12)  # Ref: (10 + 6) × 112 %
    assert result.unmitigated.cost.mean == pytest.approx(summary.cost.mean, rel=0.003)
