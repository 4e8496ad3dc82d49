"""Every invalid input raises a ValueError subclass naming the item, the field and the value."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pytest

from estimation import (
    CorrelationGroup,
    CorrelationMatrix,
    EstimationInputError,
    EstimationModel,
    GroupBy,
    Histogram,
    PercentItem,
    Phase,
    RiskEvent,
    Role,
    Settings,
    SimulationResult,
    WorkCalendar,
    WorkItem,
    simulate,
)

from .factories import item, model, role


def _work(**changes: Any) -> WorkItem:
    values: dict[str, Any] = {
        "line": "DEV-003",
        "role": "BE",
        "phase": "build",
        "optimistic": 3.0,
        "most_likely": 4.0,
        "pessimistic": 6.0,
    }
    values.update(changes)
    return WorkItem(**values)


INVALID_WORK_ITEMS = [
    ({"most_likely": 2.0}, "line 'DEV-003' role 'BE': most_likely=2.0 is below optimistic=3.0"),
    ({"pessimistic": 3.5}, "line 'DEV-003' role 'BE': pessimistic=3.5 is below most_likely=4.0"),
    ({"optimistic": math.nan}, "line 'DEV-003' role 'BE': optimistic=nan is not a finite number"),
    ({"pessimistic": math.inf}, "line 'DEV-003' role 'BE': pessimistic=inf is not a finite number"),
    ({"optimistic": -1.0}, "line 'DEV-003' role 'BE': optimistic=-1.0 is negative"),
    ({"quantity": -2}, "line 'DEV-003' role 'BE': quantity=-2.0 is negative"),
    ({"complexity": math.nan}, "line 'DEV-003' role 'BE': complexity=nan is not a finite number"),
    ({"most_likely": "4"}, "line 'DEV-003' role 'BE': most_likely='4' is not a number"),
    ({"distribution": "gamma"}, "line 'DEV-003' role 'BE': distribution='gamma' is not one of"),
    ({"pert_lambda": 0.0}, "line 'DEV-003' role 'BE': pert_lambda=0.0 must be above zero"),
    ({"pert_lambda": 1e6}, "line 'DEV-003' role 'BE': pert_lambda=1000000.0 is above 100"),
    (
        {"distribution": "lognormal", "most_likely": 3.0},
        "line 'DEV-003' role 'BE': lognormal needs optimistic < most_likely < pessimistic",
    ),
    ({"phase": ""}, "line 'DEV-003' role 'BE': phase='' must be a non-empty string"),
]


@pytest.mark.parametrize(("changes", "message"), INVALID_WORK_ITEMS)
def test_invalid_work_items_are_refused_with_item_field_and_value(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(EstimationInputError, match=re.escape(message)):
        _work(**changes)


def test_the_error_is_a_value_error() -> None:
    assert issubclass(EstimationInputError, ValueError)


INVALID_PARTS: list[tuple[Callable[[], object], str]] = [
    (
        lambda: PercentItem("PM", "PM", "pm", 10, 12, 15, of_phases=()),
        "percent line 'PM' role 'PM': of_phases=() must name at least one phase",
    ),
    (
        lambda: PercentItem("PM", "PM", "pm", -1, 12, 15, of_phases=("build",)),
        "percent line 'PM' role 'PM': optimistic=-1.0 is negative",
    ),
    (
        lambda: RiskEvent("R-1", 1.5, impact_days={"BE": (1, 2, 3)}),
        "risk 'R-1': probability=1.5 is outside [0, 1]",
    ),
    (
        lambda: RiskEvent("R-1", -0.1, impact_days={"BE": (1, 2, 3)}),
        "risk 'R-1': probability=-0.1 is outside [0, 1]",
    ),
    (
        lambda: RiskEvent("R-1", math.nan, impact_days={"BE": (1, 2, 3)}),
        "risk 'R-1': probability=nan is not a finite number",
    ),
    (lambda: RiskEvent("R-1", 0.5), "risk 'R-1': has neither impact_days nor impact_money"),
    (
        lambda: RiskEvent("R-1", 0.5, impact_days={"BE": (3, 2, 5)}),
        "risk 'R-1' impact on role 'BE': most_likely=2.0 is below optimistic=3.0",
    ),
    (
        lambda: RiskEvent("R-1", 0.5, impact_days={"BE": (1, 2)}),  # type: ignore[dict-item]
        "risk 'R-1': impact 'BE'=(1, 2) must be (optimistic, most_likely, pessimistic)",
    ),
    (
        lambda: RiskEvent("R-1", 0.5, impact_money=(9, 8, 10)),
        "risk 'R-1' money impact: most_likely=8.0 is below optimistic=9.0",
    ),
    (
        lambda: RiskEvent("R-1", 0.5, impact_money=(1, 2, 3), post_mitigation_probability=2),
        "risk 'R-1': post_mitigation_probability=2.0 is outside [0, 1]",
    ),
    (
        lambda: RiskEvent("R-1", 0.5, impact_money=(1, 2, 3), post_mitigation_impact_scale=-1),
        "risk 'R-1': post_mitigation_impact_scale=-1.0 is negative",
    ),
    (lambda: Role("BE", 800, 1500, fte=0), "role 'BE': fte=0.0 must be above zero"),
    (lambda: Role("BE", -800, 1500), "role 'BE': cost_day_rate=-800.0 is negative"),
    (lambda: Role("BE", 800, math.inf), "role 'BE': sell_day_rate=inf is not a finite number"),
    (lambda: Phase("test", depends_on=("test",)), "phase 'test': depends_on=('test',) names"),
    (
        lambda: CorrelationGroup(GroupBy.PHASE, "build", 1.2),
        "correlation group phase:build: rho=1.2 is outside [0, 1]",
    ),
    (
        lambda: CorrelationGroup("module", "build", 0.3),  # type: ignore[arg-type]
        "correlation group module:build: by='module' is not one of",
    ),
    (
        lambda: CorrelationMatrix(("A/BE", "B/BE"), ((1.0, 0.5), (0.4, 1.0))),
        "correlation matrix: coefficient['A/BE', 'B/BE']=0.5 differs from "
        "coefficient['B/BE', 'A/BE']=0.4",
    ),
    (
        lambda: CorrelationMatrix(("A/BE", "B/BE"), ((1.0, 1.5), (1.5, 1.0))),
        "correlation matrix: coefficient['A/BE', 'B/BE']=1.5 is outside [-1, 1]",
    ),
    (
        lambda: CorrelationMatrix(("A/BE", "B/BE"), ((0.9, 0.5), (0.5, 1.0))),
        "correlation matrix: diagonal coefficient['A/BE']=0.9 must be 1",
    ),
    (
        lambda: CorrelationMatrix(
            ("A/BE", "B/BE", "C/BE"),
            ((1, 0.9, -0.9), (0.9, 1, 0.9), (-0.9, 0.9, 1)),
        ),
        "correlation matrix: not positive semi-definite (smallest eigenvalue -0.8)",
    ),
    (lambda: Settings(confidence=1.0), "settings: confidence=1.0 is outside (0, 1)"),
    (lambda: Settings(confidence=0), "settings: confidence=0.0 is outside (0, 1)"),
    (lambda: Settings(pert_lambda=-4), "settings: pert_lambda=-4.0 must be above zero"),
    (lambda: Settings(histogram_bins=0), "settings: histogram_bins=0 is not in 1..1000"),
    (lambda: Settings(target_budget=math.nan), "settings: target_budget=nan is not a finite"),
    (lambda: WorkCalendar(weekend_days=frozenset({7})), "calendar: weekend day 7 is not in 0..6"),
    (
        lambda: WorkCalendar(
            holidays=frozenset({date(2025, 1, 26)}), makeup_workdays=frozenset({date(2025, 1, 26)})
        ),
        "calendar: 2025-01-26 is both a holiday and a make-up working day",
    ),
]


@pytest.mark.parametrize(("build", "message"), INVALID_PARTS)
def test_invalid_parts_are_refused_with_item_field_and_value(
    build: Callable[[], object], message: str
) -> None:
    with pytest.raises(EstimationInputError, match=re.escape(message)):
        build()


INVALID_MODELS: list[tuple[Callable[[], object], str]] = [
    (
        lambda: model([item(role_code="QA")], roles=[role("BE")]),
        "line 'DEV-001' role 'QA': unknown role 'QA'",
    ),
    (
        lambda: model([item(phase="deploy")], phases=[Phase("build")]),
        "line 'DEV-001' role 'BE': unknown phase 'deploy'",
    ),
    (lambda: model([item(), item()]), "model: work item 'DEV-001/BE' appears more than once"),
    (lambda: model([item()], roles=[role(), role()]), "model: role 'BE' appears more than once"),
    (
        lambda: model(
            [item()], phases=[Phase("build", depends_on=("test",)), Phase("test", ("build",))]
        ),
        "model: phases ['build', 'test'] depend on each other in a cycle",
    ),
    (
        lambda: model([item()], phases=[Phase("build", depends_on=("design",))]),
        "phase 'build': unknown depends_on phase 'design'",
    ),
    (
        lambda: model([item()], risks=[RiskEvent("R-1", 0.2, impact_days={"PM": (1, 2, 3)})]),
        "risk 'R-1': unknown impact_days role 'PM'",
    ),
    (
        lambda: model(
            [item()],
            phases=[Phase("build"), Phase("pm")],
            roles=[role("BE"), role("PM")],
            percent_items=[PercentItem("PM-1", "PM", "pm", 10, 12, 15, of_phases=("test",))],
        ),
        "percent line 'PM-1' role 'PM': unknown of_phases 'test'",
    ),
    (
        lambda: model([item()], settings=Settings(target_date=date(2026, 1, 1))),
        "settings: target_date=2026-01-01 needs a start_date",
    ),
    (
        lambda: model([item()], correlation_groups=(CorrelationGroup(GroupBy.ROLE, "QA", 0.3),)),
        "correlation group role:QA: unknown role 'QA'",
    ),
    (
        lambda: model([item()], correlation_groups=(CorrelationGroup(GroupBy.TAG, "api", 0.3),)),
        "correlation group tag:api: key='api' matches no work item",
    ),
    (
        lambda: model(
            [item(tags=("api",))],
            correlation_groups=(
                CorrelationGroup(GroupBy.TAG, "api", 0.7),
                CorrelationGroup(GroupBy.PHASE, "build", 0.7),
            ),
        ),
        "line 'DEV-001' role 'BE': correlation groups ['tag:api', 'phase:build'] add up to a "
        "copula correlation of 1.4",
    ),
    (
        lambda: model(
            [item()],
            correlation_matrix=CorrelationMatrix(("DEV-001/BE", "X/BE"), ((1, 0.2), (0.2, 1))),
        ),
        "correlation matrix: unknown work item 'X/BE'",
    ),
]


@pytest.mark.parametrize(("build", "message"), INVALID_MODELS)
def test_inconsistent_models_are_refused_with_item_field_and_value(
    build: Callable[[], object], message: str
) -> None:
    with pytest.raises(EstimationInputError, match=re.escape(message)):
        build()


def test_an_empty_model_is_refused() -> None:
    with pytest.raises(EstimationInputError, match=re.escape("model: items=() — there are no")):
        EstimationModel(items=(), roles=(role(),), phases=(Phase("build"),))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"iterations": 999}, "simulation: iterations=999 is not 'auto' or an integer in 1,000.."),
        ({"iterations": 10_000_001}, "simulation: iterations=10000001 is not 'auto'"),
        ({"iterations": 2_000.0}, "simulation: iterations=2000.0 is not 'auto'"),
        ({"iterations": "many"}, "simulation: iterations='many' is not 'auto'"),
        ({"seed": -1}, "simulation: seed=-1 must be a non-negative integer"),
        ({"seed": 1.5}, "simulation: seed=1.5 must be a non-negative integer"),
        ({"chunk_size": 1_000}, "simulation: chunk_size=1000 must be a positive multiple of 8192"),
        ({"sampling": "qmc"}, "simulation: sampling='qmc' is not one of 'mc', 'lhs'"),
        ({"tolerance": 0.0}, "simulation: tolerance=0.0 is outside (0, 1)"),
        ({"iterations": "auto", "max_iterations": 5}, "simulation: max_iterations=5 is not in"),
    ],
)
def test_invalid_simulation_arguments_are_refused(arguments: dict[str, Any], message: str) -> None:
    call: dict[str, Any] = {"iterations": 1_000, "seed": 1, **arguments}
    with pytest.raises(EstimationInputError, match=re.escape(message)):
        simulate(model(), **call)


def test_a_result_of_another_schema_version_is_refused() -> None:
    text = (
        simulate(model(), iterations=1_000, seed=1)
        .to_json()
        .replace('"schema_version": 1', '"schema_version": 99')
    )
    with pytest.raises(EstimationInputError, match=re.escape("schema_version=99 is not")):
        SimulationResult.from_json(text)


def test_a_left_skewed_lognormal_is_refused_with_p10_p90_ranges() -> None:
    lognormal = _work(distribution="lognormal", optimistic=1.0, most_likely=8.0, pessimistic=10.0)
    settings = Settings(range_interpretation="p10_p90")  # type: ignore[arg-type]
    message = "line 'DEV-003' role 'BE': with P10/P90 ranges a lognormal needs most_likely nearer"
    with pytest.raises(EstimationInputError, match=re.escape(message)):
        model([lognormal], settings=settings)
    model([lognormal])  # fine with absolute ranges: pessimistic is then the P95


def _with_effort(result: SimulationResult, **changes: Any) -> SimulationResult:
    outcome = result.unmitigated
    effort = dataclasses.replace(outcome.effort, **changes)
    return dataclasses.replace(result, unmitigated=dataclasses.replace(outcome, effort=effort))


def _first_s_curve_point(curve: tuple[tuple[float, float], ...], value: float) -> Any:
    return ((value, curve[0][1]), *curve[1:])


@pytest.mark.parametrize(
    ("spoil", "where"),
    [
        (lambda r: _with_effort(r, mean=math.nan), "result.unmitigated.effort.mean"),
        (lambda r: _with_effort(r, sd=np.float64(math.inf)), "result.unmitigated.effort.sd"),
        (
            lambda r: _with_effort(
                r, percentiles={**r.unmitigated.effort.percentiles, "P80": -math.inf}
            ),
            "result.unmitigated.effort.percentiles.P80",
        ),
        (
            lambda r: _with_effort(
                r, s_curve=_first_s_curve_point(r.unmitigated.effort.s_curve, math.nan)
            ),
            "result.unmitigated.effort.s_curve[][]",
        ),
        (
            lambda r: _with_effort(
                r,
                histogram=Histogram(
                    edges=(math.inf, *r.unmitigated.effort.histogram.edges[1:]),
                    counts=r.unmitigated.effort.histogram.counts,
                ),
            ),
            "result.unmitigated.effort.histogram.edges[]",
        ),
    ],
)
def test_a_result_holding_nan_or_infinity_is_refused_where_it_is(
    spoil: Callable[[SimulationResult], SimulationResult], where: str
) -> None:
    spoiled = spoil(simulate(model(), iterations=1_000, seed=1))
    with pytest.raises(EstimationInputError, match=re.escape(f"{where}: ")):
        spoiled.require_finite()
    with pytest.raises(EstimationInputError, match="cannot be written as JSON"):
        spoiled.to_dict()


def test_a_finite_result_passes_the_check_even_where_a_sum_would_overflow() -> None:
    result = simulate(model(), iterations=1_000, seed=1)
    result.require_finite()
    huge = _with_effort(result, s_curve=((1e308, 0.0), (1e308, 1.0)))
    huge.require_finite()
