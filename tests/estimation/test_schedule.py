"""Duration model (phases, FTE, dependencies) and delivery dates on a calendar."""

from __future__ import annotations

import math
from datetime import date

import pytest

from estimation import (
    Phase,
    Settings,
    WorkCalendar,
    add_working_days,
    simulate,
    working_days_between,
)

from .factories import item, model, role


def _constant_phases(*phases: Phase):
    work = [
        item("D", 10, 10, 10, phase="design"),
        item("B", 20, 20, 20, phase="build"),
        item("T", 6, 6, 6, phase="test", role_code="QA"),
    ]
    return model(work, roles=[role("BE", fte=2.0), role("QA", fte=3.0)], phases=phases)


def test_finish_to_start_phases_add_up() -> None:
    estimate = _constant_phases(
        Phase("design"), Phase("build", ("design",)), Phase("test", ("build",))
    )
    result = simulate(estimate, iterations=1_000, seed=1)
    assert result.unmitigated.duration.mean == pytest.approx(10 / 2 + 20 / 2 + 6 / 3)


def test_phases_without_a_dependency_run_in_parallel() -> None:
    estimate = _constant_phases(Phase("design"), Phase("build", ("design",)), Phase("test"))
    result = simulate(estimate, iterations=1_000, seed=1)
    assert result.unmitigated.duration.mean == pytest.approx(max(5 + 10, 2))


def test_a_phase_lasts_as_long_as_its_slowest_role() -> None:
    work = [item("B", 10, 10, 10), item("Q", 9, 9, 9, role_code="QA")]
    estimate = model(work, roles=[role("BE", fte=5.0), role("QA", fte=1.0)])
    assert simulate(estimate, iterations=1_000, seed=1).unmitigated.duration.mean == 9.0


def test_delivery_dates_are_the_working_days_of_the_duration_percentiles() -> None:
    calendar = WorkCalendar(
        holidays=frozenset({date(2025, 1, 1)}), makeup_workdays=frozenset({date(2025, 1, 26)})
    )
    estimate = model(
        [item("B", 5, 20, 60, quantity=3)],
        roles=[role(fte=2.0)],
        start_date=date(2024, 12, 30),
        calendar=calendar,
    )
    outcome = simulate(estimate, iterations=5_000, seed=2).unmitigated
    assert outcome.delivery_dates is not None
    for label, day in outcome.delivery_dates.items():
        days = math.ceil(outcome.duration.percentiles[label] - 1e-9)
        assert day == add_working_days(calendar, date(2024, 12, 30), days)
    assert list(outcome.delivery_dates.values()) == sorted(outcome.delivery_dates.values())


def test_no_start_date_means_no_delivery_dates() -> None:
    assert simulate(model(), iterations=1_000, seed=1).unmitigated.delivery_dates is None


def test_target_probabilities_and_the_joint_confidence() -> None:
    settings = Settings(target_effort=30.0, target_budget=24_000.0, target_date=date(2025, 2, 21))
    estimate = model(
        [item("B", 10, 20, 60)],
        roles=[role(fte=1.0)],
        start_date=date(2025, 1, 6),
        settings=settings,
    )
    result = simulate(estimate, iterations=20_000, seed=3)
    targets = result.unmitigated.targets
    assert targets.effort is not None
    assert targets.budget is not None
    assert targets.date is not None
    assert targets.budget_and_date is not None
    # budget 24,000 at 800/day is 30 days: the same event as the effort target
    assert targets.budget == pytest.approx(targets.effort)
    # Ref: 2025-01-06 (Mon) … 2025-02-21 (Fri) is 7 weeks = 35 working days
    assert working_days_between(WorkCalendar(), date(2025, 1, 6), date(2025, 2, 21)) == 35
    effort_curve = {probability: value for value, probability in result.unmitigated.effort.s_curve}
    assert effort_curve[round(targets.effort, 2)] == pytest.approx(30.0, rel=0.03)
    assert targets.budget_and_date <= min(targets.budget, targets.date) + 1e-12
    assert targets.budget_and_date >= targets.budget + targets.date - 1 - 1e-12


def test_contingency_is_the_confidence_percentile_minus_the_references() -> None:
    estimate = model([item("A", 2, 4, 12), item("B", 1, 3, 9)], settings=Settings(confidence=0.8))
    result = simulate(estimate, iterations=20_000, seed=4)
    outcome, contingency = result.unmitigated, result.unmitigated.contingency
    assert contingency.effort_at_confidence == pytest.approx(outcome.effort.percentile(80))
    assert contingency.effort_over_most_likely == pytest.approx(outcome.effort.percentile(80) - 7.0)
    assert contingency.effort_over_mean == pytest.approx(
        outcome.effort.percentile(80) - outcome.effort.mean
    )
    assert contingency.cost_over_most_likely == pytest.approx(
        outcome.cost.percentile(80) - 7.0 * 800.0
    )
    assert contingency.effort_over_most_likely > contingency.effort_over_mean > 0
