"""Calibration from history: fits on synthetic histories with known truth, and the engine.

Synthetic histories draw, for each project and group, one ratio actual/estimate from a
lognormal with known μ and σ (the model's own assumption: the ratio is shared by a group
of a project). Seeds are fixed, so every figure below is deterministic.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from scipy import stats

from estimation import (
    Calibration,
    CalibrationGroupBy,
    Distribution,
    EstimationInputError,
    EstimationModel,
    FitMethod,
    SimulationResult,
    accuracy,
    backtest,
    calibrate,
    reference_model,
    simulate,
)

from .factories import item, model, role

TRUTH = {"BE": (0.15, 0.30), "QA": (0.40, 0.50)}  # role → (μ, σ) of ln(actual/estimate)


def _history(projects: int, *, seed: int, tasks: int = 3) -> dict[str, list[Any]]:
    """Tasks of ``projects`` past projects, ``tasks`` per role, one shared ratio per role."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list[Any]] = {
        "estimate": [],
        "actual": [],
        "role": [],
        "project": [],
        "date": [],
    }
    start = date(2020, 1, 1)
    for number in range(projects):
        finished = start + timedelta(days=number)
        for code, (mu, sigma) in TRUTH.items():
            ratio = math.exp(rng.normal(mu, sigma))
            for estimate in rng.uniform(2.0, 20.0, tasks):
                rows["estimate"].append(float(estimate))
                rows["actual"].append(float(estimate) * ratio)
                rows["role"].append(code)
                rows["project"].append(f"P{number:05d}")
                rows["date"].append(finished)
    return rows


def _fit(rows: dict[str, list[Any]], group_by: str = "role", **options: object) -> Calibration:
    return calibrate(
        rows["estimate"],
        rows["actual"],
        groups=rows["role"],
        group_by=group_by,
        projects=rows["project"],
        dates=rows["date"],
        **options,  # type: ignore[arg-type]
    )


def _two_role_model() -> EstimationModel:
    """20 narrow PERT lines per role (9, 10, 11 days): the raw forecast is nearly 200 + 200."""
    items = [item(f"B{k}", 9, 10, 11, role_code="BE") for k in range(20)]
    items += [item(f"Q{k}", 9, 10, 11, role_code="QA") for k in range(20)]
    return model(items, roles=[role("BE"), role("QA")])


# --- the fit ---------------------------------------------------------------------------------


def test_the_fit_recovers_each_groups_known_mu_and_sigma() -> None:
    calibration = _fit(_history(1_500, seed=1))
    for code, (mu, sigma) in TRUTH.items():
        fit = calibration.groups[code]
        assert fit.method is FitMethod.BOOTSTRAP
        assert fit.points == 1_500
        # Ref: standard errors σ/√n ≈ 0.008–0.013 for μ and σ/√(2n) ≈ 0.006–0.009 for σ.
        assert fit.mean_log == pytest.approx(mu, abs=0.04)
        assert fit.sd_log == pytest.approx(sigma, abs=0.03)


def test_rows_of_one_project_and_group_are_one_unit_of_the_fit() -> None:
    rows = _history(40, seed=2, tasks=5)
    calibration = _fit(rows)
    assert calibration.points == 80  # 40 projects × 2 roles, not 400 tasks
    assert calibration.projects == 40
    assert calibration.groups["BE"].projects == 40
    assert (calibration.first_date, calibration.last_date) == (
        date(2020, 1, 1),
        date(2020, 1, 1) + timedelta(days=39),
    )


def test_without_project_keys_every_row_is_a_unit() -> None:
    rows = _history(12, seed=2, tasks=2)
    calibration = calibrate(rows["estimate"], rows["actual"], groups=rows["role"], group_by="role")
    assert calibration.points == 48


def test_small_groups_are_pooled_and_still_recover_the_truth_within_tolerance() -> None:
    calibration = _fit(_history(25, seed=3))
    for code, (mu, sigma) in TRUTH.items():
        fit = calibration.groups[code]
        assert fit.method is FitMethod.PARTIAL_POOLING
        assert fit.points == 25
        # Partial: the prior is worth at most 30 points, so 25 points keep ≥ 25/55 weight.
        assert 0.0 <= fit.pooling_weight <= 30 / 55 + 1e-12
        # Ref: σ/√25 = 0.06 (BE) and 0.10 (QA); allow about 2.5 standard errors.
        assert fit.mean_log == pytest.approx(mu, abs=2.5 * sigma / 5)
        # The predictive spread includes the mean's uncertainty: a bit above σ.
        assert sigma * 0.7 < fit.sd_log < sigma * 1.4


def test_a_small_group_is_pulled_towards_the_overall_mean() -> None:
    rng = np.random.default_rng(4)
    estimates = np.full(206, 10.0)
    log_ratios = np.concatenate([rng.normal(0.1, 0.3, 200), [1.2, 1.0, 1.4, 0.9, 1.3, 1.1]])
    groups = ["many"] * 200 + ["few"] * 6
    calibration = calibrate(
        estimates, estimates * np.exp(log_ratios), groups=groups, group_by="estimator"
    )
    few = calibration.groups["few"]
    assert few.method is FitMethod.PARTIAL_POOLING
    assert few.sample_mean_log == pytest.approx(1.15)
    assert 0.0 < few.pooling_weight < 1.0
    overall_mean = calibration.groups["many"].sample_mean_log
    assert overall_mean < few.mean_log < few.sample_mean_log


def test_groups_with_no_real_difference_are_pulled_strongly_together() -> None:
    rng = np.random.default_rng(5)
    estimates = np.full(60, 10.0)
    actuals = estimates * np.exp(rng.normal(0.2, 0.3, 60))
    groups = [f"E{k % 6}" for k in range(60)]
    calibration = calibrate(estimates, actuals, groups=groups, group_by="estimator")
    weights = [fit.pooling_weight for fit in calibration.groups.values()]
    # The moment estimate of τ² is small but not 0 here: the prior is worth ~10 points.
    assert min(weights) > 0.4
    means = [fit.mean_log for fit in calibration.groups.values()]
    own_means = [fit.sample_mean_log for fit in calibration.groups.values()]
    assert np.ptp(means) < 0.5 * np.ptp(own_means)


def test_the_overall_fit_below_thirty_points_is_a_lognormal_with_predictive_spread() -> None:
    estimates = [10.0] * 5
    actuals = [10.0 * math.exp(v) for v in (0.0, 0.1, 0.2, 0.3, 0.4)]
    fit = calibrate(estimates, actuals).overall
    assert fit.method is FitMethod.LOGNORMAL
    assert fit.mean_log == pytest.approx(0.2)
    # Ref: sample sd of 0, .1, .2, .3, .4 is √0.025; predictive × √(1 + 1/5).
    assert fit.sd_log == pytest.approx(math.sqrt(0.025 * 1.2))


def test_a_large_bootstrap_keeps_a_bounded_number_of_quantiles() -> None:
    rng = np.random.default_rng(6)
    estimates = np.full(5_000, 10.0)
    fit = calibrate(estimates, estimates * np.exp(rng.normal(0.0, 0.5, 5_000))).overall
    assert fit.points == 5_000
    assert len(fit.log_ratios) == 1_000
    assert fit.quantile(0.8) == pytest.approx(math.exp(0.5 * stats.norm.ppf(0.8)), rel=0.04)


def test_the_raw_forecasts_own_spread_is_taken_out_of_the_fitted_spread() -> None:
    rng = np.random.default_rng(7)
    estimates = np.full(20, 10.0)
    actuals = estimates * np.exp(rng.normal(0.0, 0.5, 20))
    plain = calibrate(estimates, actuals).overall
    deconvolved = calibrate(estimates, actuals, raw_sd=np.full(20, 0.3)).overall
    assert deconvolved.sd_log**2 == pytest.approx(plain.sd_log**2 - 0.09 * 1.05, rel=1e-9)


def test_a_calibration_round_trips_through_json() -> None:
    calibration = _fit(_history(50, seed=8))
    text = json.dumps(calibration.to_dict())
    assert Calibration.from_dict(json.loads(text)) == calibration


@pytest.mark.parametrize(
    ("estimates", "actuals", "message"),
    [
        ([10, 0, 10], [1, 2, 3], "estimates[1]=0.0 must be a finite number above zero"),
        ([10, -2, 10], [1, 2, 3], "estimates[1]=-2.0 must be a finite number above zero"),
        ([10, 10, 10], [1, math.nan, 3], "actuals[1]=nan must be a finite number above zero"),
        ([10, 10], [1, 2], "2 past estimate(s) with actuals; at least 3 are needed"),
        ([10, 10, 10], [1, 2], "3 estimates but 2 actuals"),
    ],
)
def test_bad_history_is_refused_with_the_value_and_its_position(
    estimates: list[float], actuals: list[float], message: str
) -> None:
    with pytest.raises(EstimationInputError, match=re.escape(message)):
        calibrate(estimates, actuals)


def test_an_unknown_grouping_is_refused() -> None:
    with pytest.raises(EstimationInputError, match="group_by='team' is not one of"):
        calibrate([1, 2, 3], [1, 2, 3], group_by="team")


# --- accuracy ------------------------------------------------------------------------------


def test_accuracy_reports_median_ratio_overrun_mdmre_and_pred25_per_group() -> None:
    # Ref: hand-derived. Ratios a: 0.8, 1.0, 1.5; b: 2.0. MRE = |A − E| / A:
    # a: 0.25, 0, 1/3; b: 0.5.
    rows = accuracy([10, 10, 10, 5], [8, 10, 15, 10], groups=["a", "a", "a", "b"])
    overall, group_a, group_b = rows
    assert (overall.key, overall.points) == ("", 4)
    assert overall.median_ratio == pytest.approx(1.25)
    assert overall.share_overrun == 0.5
    assert overall.mdmre == pytest.approx((0.25 + 1 / 3) / 2)
    assert overall.pred25 == 0.5
    assert (group_a.key, group_a.median_ratio, group_a.share_overrun) == ("a", 1.0, 1 / 3)
    assert group_a.mdmre == pytest.approx(0.25)
    assert group_a.pred25 == pytest.approx(2 / 3)
    assert (group_b.median_ratio, group_b.mdmre, group_b.pred25) == (2.0, 0.5, 0.0)


# --- the engine ----------------------------------------------------------------------------


def test_on_held_out_projects_the_calibrated_p80_covers_80_percent_and_the_raw_one_does_not() -> (
    None
):
    calibration = _fit(_history(3_000, seed=11))
    base = _two_role_model()
    calibrated = replace(base, calibration=calibration)
    result = simulate(calibrated, iterations=100_000, seed=5)
    assert result.calibrated is not None
    raw_p80 = result.unmitigated.effort.percentiles["P80"]
    calibrated_p80 = result.calibrated.unmitigated.effort.percentiles["P80"]
    # 4,000 held-out projects from the same truth: 200 planned days per role.
    rng = np.random.default_rng(12)
    actual = sum(200.0 * np.exp(rng.normal(mu, sigma, 4_000)) for mu, sigma in TRUTH.values())
    covered_raw = float(np.mean(actual <= raw_p80))
    covered_calibrated = float(np.mean(actual <= calibrated_p80))
    assert covered_calibrated == pytest.approx(0.80, abs=0.03)
    assert covered_raw < 0.30


def test_the_raw_outcome_is_identical_with_and_without_calibration() -> None:
    base = reference_model(items=40, roles=("BE", "QA"), correlation_groups=2, risks=4)
    rows = _history(60, seed=13)
    plain = simulate(base, iterations=20_000, seed=3)
    with_calibration = simulate(replace(base, calibration=_fit(rows)), iterations=20_000, seed=3)
    assert with_calibration.unmitigated == plain.unmitigated
    assert with_calibration.mitigated == plain.mitigated
    assert with_calibration.sensitivity == plain.sensitivity


def test_one_factor_per_group_and_iteration_moves_the_whole_group_together() -> None:
    # Two fixed lines of one role: if each line drew its own factor, the total's spread
    # would shrink by √2; a shared factor keeps the factor's own quantiles exactly.
    items = [
        item("A", 10, 10, 10, distribution=Distribution.FIXED),
        item("B", 30, 30, 30, distribution=Distribution.FIXED),
    ]
    calibration = calibrate([10.0] * 5, [10.0 * math.exp(v) for v in (0, 0.1, 0.2, 0.3, 0.4)])
    result = simulate(model(items, calibration=calibration), iterations=200_000, seed=1)
    assert result.calibrated is not None
    effort = result.calibrated.unmitigated.effort
    fit = calibration.overall
    for level in (10, 50, 90):
        # Ref: 40 × exp(μ + σ z_p); Monte Carlo error of a percentile at 200k draws ≈ 0.1 %.
        expected = 40.0 * math.exp(fit.mean_log + fit.sd_log * stats.norm.ppf(level / 100))
        assert effort.percentiles[f"P{level}"] == pytest.approx(expected, rel=0.005)
    assert result.unmitigated.effort.sd == 0.0


def test_each_role_gets_its_own_factor_and_unknown_roles_fall_back_to_the_overall_one() -> None:
    items = [
        item("A", 10, 10, 10, role_code="BE", distribution=Distribution.FIXED),
        item("B", 10, 10, 10, role_code="PM", distribution=Distribution.FIXED),
    ]
    calibration = _fit(_history(200, seed=14))
    result = simulate(
        model(items, roles=[role("BE"), role("PM")], calibration=calibration),
        iterations=50_000,
        seed=2,
    )
    assert result.calibrated is not None
    factors = {factor.key: factor for factor in result.calibrated.factors}
    assert factors["BE"].fit_key == "BE"
    assert factors["PM"].fit_key == ""
    assert factors["BE"].points == 200
    assert "calibration: the history has no role 'PM'; the overall factor applies" in (
        result.warnings
    )
    by_role = result.calibrated.unmitigated.effort_by_role
    assert by_role["BE"].percentiles["P50"] == pytest.approx(10 * factors["BE"].median, rel=0.01)
    assert by_role["PM"].percentiles["P50"] == pytest.approx(10 * factors["PM"].median, rel=0.01)


def test_estimator_grouping_applies_the_estimators_own_factor_to_everything() -> None:
    rng = np.random.default_rng(15)
    estimates = np.full(80, 10.0)
    ratios = np.concatenate([rng.normal(0.0, 0.1, 40), rng.normal(0.5, 0.1, 40)])
    calibration = calibrate(
        estimates,
        estimates * np.exp(ratios),
        groups=["ann"] * 40 + ["bo"] * 40,
        group_by=CalibrationGroupBy.ESTIMATOR,
    )
    fixed = [item("A", 10, 10, 10, distribution=Distribution.FIXED)]
    results = {
        name: simulate(
            model(fixed, calibration=calibration, estimator=name), iterations=20_000, seed=1
        )
        for name in ("ann", "bo")
    }
    medians = {
        name: result.calibrated.unmitigated.effort.percentiles["P50"]  # type: ignore[union-attr]
        for name, result in results.items()
    }
    assert medians["ann"] == pytest.approx(10.0, rel=0.05)
    assert medians["bo"] == pytest.approx(10.0 * math.exp(0.5), rel=0.05)


def test_a_calibrated_result_round_trips_through_json_with_the_calibration_used() -> None:
    calibration = _fit(_history(80, seed=16))
    result = simulate(
        replace(reference_model(items=20, roles=("BE", "QA")), calibration=calibration),
        iterations=5_000,
        seed=4,
    )
    text = result.to_json()
    restored = SimulationResult.from_json(text)
    assert restored == result
    assert restored.calibrated is not None
    assert restored.calibrated.calibration == calibration


def test_a_result_stored_before_calibration_existed_still_loads() -> None:
    result = simulate(reference_model(items=10), iterations=2_000, seed=1)
    data = json.loads(result.to_json())
    del data["calibrated"]
    assert SimulationResult.from_dict(data) == result


def test_calibration_is_reproducible_with_the_same_seed_and_chunk_size_invariant() -> None:
    calibrated = replace(reference_model(items=30), calibration=_fit(_history(40, seed=17)))
    first = simulate(calibrated, iterations=20_000, seed=8)
    again = simulate(calibrated, iterations=20_000, seed=8, chunk_size=8_192)
    assert first.to_json() == again.to_json()


# --- backtest ------------------------------------------------------------------------------


def test_the_time_ordered_backtest_shows_calibrated_coverage_near_nominal_and_raw_far_below() -> (
    None
):
    rows = _history(600, seed=21)
    result = backtest(
        rows["estimate"],
        rows["actual"],
        projects=rows["project"],
        dates=rows["date"],
        groups=rows["role"],
        group_by="role",
        min_history=30,
    )
    assert result.evaluated == 570
    assert result.skipped == 30
    # Ref: binomial sd at 570 projects ≈ 1.7–2.1 points; early forecasts use little history.
    for covered, nominal in zip(result.calibrated_coverage, (0.5, 0.8, 0.9), strict=True):
        assert covered == pytest.approx(nominal, abs=0.06)
    # Raw P50 = P80 = P90 = the estimate: covered only when the actual came in under it.
    assert result.raw_coverage[0] == result.raw_coverage[2] < 0.3


def test_the_backtest_only_uses_projects_finished_strictly_before() -> None:
    estimates = [10.0] * 8
    actuals = [11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0]
    day = date(2024, 5, 1)
    projects = ["A", "B", "C", "D", "E", "F", "G", "H"]
    dates = [day + timedelta(k // 2) for k in range(8)]  # pairs finish together
    result = backtest(estimates, actuals, projects=projects, dates=dates, min_history=3)
    histories = {p.project: p.history_projects for p in result.projects}
    assert histories == {"E": 4, "F": 4, "G": 6, "H": 6}
    assert result.skipped == 4


def test_projects_without_a_date_are_left_out_of_the_backtest() -> None:
    result = backtest(
        [10.0] * 5,
        [11.0, 12.0, 13.0, 14.0, 15.0],
        projects=list("ABCDE"),
        dates=[date(2024, 1, k) for k in range(1, 5)] + [None],
        min_history=3,
    )
    assert result.undated == 1
    assert [p.project for p in result.projects] == ["D"]


def test_the_backtest_uses_a_projects_simulated_quantiles_as_its_raw_forecast() -> None:
    result = backtest(
        [10.0] * 5,
        [11.0, 12.0, 13.0, 14.0, 15.0],
        projects=list("ABCDE"),
        dates=[date(2024, 1, k) for k in range(1, 6)],
        raw_quantiles={"E": (12.0, 14.0, 16.0)},
        min_history=4,
    )
    (project,) = result.projects
    assert project.raw == (12.0, 14.0, 16.0)
    assert result.raw_coverage == (0.0, 0.0, 1.0)
