"""Sensitivity: rank correlations with the totals, variance shares and the tornado order."""

from __future__ import annotations

import math

import pytest

from estimation import PercentItem, Phase, RiskEvent, reference_model, simulate

from .factories import item, model, role


def test_the_widest_item_leads_the_tornado_and_shares_sum_to_one() -> None:
    items = [item("WIDE", 1, 5, 60), item("MID", 5, 10, 25), item("NARROW", 9, 10, 11)]
    result = simulate(model(items), iterations=20_000, seed=1)
    assert [entry.key for entry in result.sensitivity] == ["WIDE/BE", "MID/BE", "NARROW/BE"]
    assert sum(entry.variance_share for entry in result.sensitivity) == pytest.approx(1.0)
    wide = result.sensitivity[0]
    assert wide.spearman_effort > 0.9
    assert wide.spearman_cost == pytest.approx(wide.spearman_effort)


def test_spearman_of_equal_independent_items_is_one_over_root_n() -> None:
    result = simulate(model([item(f"L{k}", 2, 4, 9) for k in range(16)]), iterations=40_000, seed=2)
    for entry in result.sensitivity:
        # Ref: for a sum of n i.i.d. terms Corr(Xᵢ, ΣX) = 1/√n; rank correlation is close
        assert entry.spearman_effort == pytest.approx(1 / math.sqrt(16), abs=0.03)


def test_constant_items_have_no_influence() -> None:
    result = simulate(model([item("C", 5, 5, 5), item("R", 1, 2, 9)]), iterations=5_000, seed=3)
    by_key = {entry.key: entry for entry in result.sensitivity}
    assert by_key["C/BE"].spearman_effort == 0.0
    assert by_key["C/BE"].variance_share == 0.0


def test_risks_and_percent_items_appear_in_the_tornado() -> None:
    estimate = model(
        [item("B", 10, 12, 15)],
        roles=[role("BE"), role("PM")],
        phases=[Phase("build"), Phase("pm")],
        percent_items=[PercentItem("PM", "PM", "pm", 5, 20, 60, of_phases=("build",))],
        risks=[
            RiskEvent("BIG", 0.5, impact_days={"BE": (10, 20, 30)}, phase="build"),
            RiskEvent("CASH", 0.5, impact_money=(10_000, 20_000, 30_000)),
        ],
    )
    result = simulate(estimate, iterations=20_000, seed=4)
    by_key = {entry.key: entry for entry in result.sensitivity}
    assert result.sensitivity[0].key == "BIG"
    assert by_key["BIG"].kind == "risk"
    assert by_key["BIG"].spearman_effort > 0.7
    assert by_key["PM/PM"].kind == "percent"
    assert by_key["PM/PM"].spearman_effort > 0.2
    assert abs(by_key["CASH"].spearman_effort) < 0.03  # money does not move effort
    assert by_key["CASH"].spearman_cost > 0.3


def test_sensitivity_is_identical_for_any_chunk_size() -> None:
    estimate = reference_model(items=80)
    first = simulate(estimate, iterations=20_000, seed=5, chunk_size=8_192)
    second = simulate(estimate, iterations=20_000, seed=5, chunk_size=65_536)
    assert first.sensitivity == second.sensitivity
