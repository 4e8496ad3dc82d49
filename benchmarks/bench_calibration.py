"""Benchmark of calibration from history against a naive pure-Python baseline (issue 7 targets).

Run ``.venv/bin/python benchmarks/bench_calibration.py`` (``make bench``). Wall times are the
best of several runs in this process, because the machine is shared.

- **fit**: calibrate per role on 10,000 historical tasks (500 projects × 20 tasks, 9 roles).
- **added time**: the reference model (200 PERT items, 100,000 iterations) simulated with
  that calibration and the fit itself, minus the same simulation without calibration.
  Target ≤ 0.2 s.
- **backtest**: the time-ordered backtest over the 500 projects (each one calibrated on
  the projects finished before it, 2,000 factor draws per forecast). Target ≤ 10 s.
- **baseline**: the same fit and backtest written as plain Python loops (``statistics``,
  ``random``), as one would without numpy; it must give the same kind of figures.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import sys
import time
from bisect import bisect_left
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from estimation import backtest, calibrate, reference_model, simulate  # noqa: E402

ROLES = ("PM", "BA", "ARCH", "UI", "FE", "BE", "QA", "OPS", "IMPL")
PROJECTS, TASKS_PER_PROJECT = 500, 20
ITERATIONS = 100_000
TARGET_ADDED, TARGET_BACKTEST = 0.2, 10.0


def history(seed: int = 7) -> dict[str, list[Any]]:
    """10,000 tasks: per project and role one lognormal ratio, plus a little task noise."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list[Any]] = {k: [] for k in ("estimate", "actual", "role", "project", "date")}
    start = date(2016, 1, 1)
    bias = {role: rng.normal(0.1, 0.08) for role in ROLES}
    for number in range(PROJECTS):
        shared = {role: rng.normal(bias[role], 0.3) for role in ROLES}
        for _ in range(TASKS_PER_PROJECT):
            role = ROLES[int(rng.integers(len(ROLES)))]
            estimate = float(rng.uniform(1, 30))
            rows["estimate"].append(estimate)
            rows["actual"].append(estimate * math.exp(shared[role] + rng.normal(0, 0.1)))
            rows["role"].append(role)
            rows["project"].append(f"P{number:04d}")
            rows["date"].append(start + timedelta(days=7 * number))
    return rows


def best_of(repeat: int, action: Any) -> tuple[float, Any]:
    best, value = math.inf, None
    for _ in range(repeat):
        began = time.perf_counter()
        value = action()
        best = min(best, time.perf_counter() - began)
    return best, value


# --- the naive baseline ---------------------------------------------------------------------------


def naive_units(rows: dict[str, list[Any]], keep: set[str] | None = None) -> dict[Any, list[float]]:
    """(project, role) → [estimate, actual, ordinal], by looping over every task."""
    units: dict[Any, list[float]] = {}
    for estimate, actual, role, project, day in zip(
        rows["estimate"], rows["actual"], rows["role"], rows["project"], rows["date"], strict=True
    ):
        if keep is not None and project not in keep:
            continue
        unit = units.setdefault((project, role), [0.0, 0.0, 0.0])
        unit[0] += estimate
        unit[1] += actual
        unit[2] = max(unit[2], day.toordinal())
    return units


def naive_fit(units: dict[Any, list[float]]) -> dict[str, tuple[str, Any]]:
    """Per role: the sorted log ratios (bootstrap) or (mean, sd) pooled towards the overall."""
    by_role: dict[str, list[float]] = defaultdict(list)
    for (_, role), (estimate, actual, _) in units.items():
        by_role[role].append(math.log(actual / estimate))
    everything = [value for values in by_role.values() for value in values]
    overall_mean = statistics.fmean(everything)
    overall_sd = statistics.stdev(everything) if len(everything) > 1 else 0.0
    fits: dict[str, tuple[str, Any]] = {}
    for role, values in by_role.items():
        if len(values) >= 30:
            fits[role] = ("bootstrap", sorted(values))
        else:
            weight = len(values) / (len(values) + 30)
            mean = weight * statistics.fmean(values) + (1 - weight) * overall_mean
            fits[role] = ("lognormal", (mean, overall_sd))
    return fits


def naive_factor(fit: tuple[str, Any], uniform: float) -> float:
    kind, data = fit
    if kind == "bootstrap":
        return math.exp(data[min(int(uniform * len(data)), len(data) - 1)])
    mean, sd = data
    return math.exp(
        mean + sd * statistics.NormalDist().inv_cdf(min(max(uniform, 1e-12), 1 - 1e-12))
    )


def naive_backtest(rows: dict[str, list[Any]], draws: int = 2_000) -> tuple[int, float, float]:
    units = naive_units(rows)
    finish: dict[str, float] = {}
    for (project, _), (_, _, day) in units.items():
        finish[project] = max(finish.get(project, 0.0), day)
    order = sorted(finish, key=lambda p: finish[p])
    ordered_days = [finish[p] for p in order]
    generator = random.Random(1)  # noqa: S311 - a seeded simulation, not secrets
    covered_raw = covered_calibrated = evaluated = 0
    for project in order:
        earlier = bisect_left(ordered_days, finish[project])
        if earlier < 10:
            continue
        history_units = {k: v for k, v in units.items() if finish[k[0]] < finish[project]}
        fits = naive_fit(history_units)
        own = [(role, v) for (p, role), v in units.items() if p == project]
        totals = []
        for _ in range(draws):
            totals.append(
                sum(v[0] * naive_factor(fits[role], generator.random()) for role, v in own)
            )
        totals.sort()
        actual = sum(v[1] for _, v in own)
        estimate = sum(v[0] for _, v in own)
        covered_raw += actual <= estimate
        covered_calibrated += actual <= totals[int(0.8 * (draws - 1))]
        evaluated += 1
    return evaluated, covered_raw / evaluated, covered_calibrated / evaluated


def _added_time(label: str, model: Any, calibration: Any, fit_seconds: float) -> None:
    """Raw and calibrated runs interleaved (the machine is shared): best of each, and the
    median of the paired differences."""
    calibrated_model = replace(model, calibration=calibration)
    simulate(calibrated_model, iterations=10_000, seed=1)  # warm up imports and caches
    raw_times, calibrated_times = [], []
    for _ in range(7):
        raw_seconds, raw = best_of(1, lambda: simulate(model, iterations=ITERATIONS, seed=11))
        cal_seconds, result = best_of(
            1, lambda: simulate(calibrated_model, iterations=ITERATIONS, seed=11)
        )
        raw_times.append(raw_seconds)
        calibrated_times.append(cal_seconds)
    assert result.unmitigated == raw.unmitigated  # common random numbers: raw is untouched
    paired = statistics.median(c - r for c, r in zip(calibrated_times, raw_times, strict=True))
    added = max(min(calibrated_times) - min(raw_times), paired) + fit_seconds
    print(
        f"{label}, {ITERATIONS:,} iterations: raw {min(raw_times):.3f} s, calibrated "
        f"{min(calibrated_times):.3f} s (best of 7), median paired difference {paired:+.3f} s; "
        f"added incl. the fit {added:.3f} s "
        f"(target <= {TARGET_ADDED} s: {'met' if added <= TARGET_ADDED else 'MISSED'})"
    )
    print(
        f"  effort P80 raw {raw.unmitigated.effort.percentile(80):,.1f} d, calibrated "
        f"{result.calibrated.unmitigated.effort.percentile(80):,.1f} d"
    )


# --- the run --------------------------------------------------------------------------------------


def main() -> None:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (wall times are best of N)")
    rows = history()
    tasks = len(rows["estimate"])

    def fit() -> Any:
        return calibrate(
            rows["estimate"],
            rows["actual"],
            groups=rows["role"],
            group_by="role",
            projects=rows["project"],
            dates=rows["date"],
        )

    fit_seconds, calibration = best_of(7, fit)
    naive_fit_seconds, _ = best_of(3, lambda: naive_fit(naive_units(rows)))
    print(
        f"fit on {tasks:,} tasks ({calibration.points:,} project×role units, "
        f"{len(calibration.groups)} roles): {fit_seconds * 1000:.1f} ms; "
        f"naive Python loops {naive_fit_seconds * 1000:.1f} ms"
    )

    for label, model in (
        ("reference model (200 items, 1 role)", reference_model(roles=("BE",))),
        (
            "reference, 3 roles x 3 phases, rho=0.3, 20 risks",
            reference_model(roles=("BE", "FE", "QA"), correlation_groups=3, risks=20),
        ),
    ):
        _added_time(label, model, calibration, fit_seconds)

    def run_backtest() -> Any:
        return backtest(
            rows["estimate"],
            rows["actual"],
            projects=rows["project"],
            dates=rows["date"],
            groups=rows["role"],
            group_by="role",
        )

    backtest_seconds, report = best_of(2, run_backtest)
    print(
        f"backtest over {PROJECTS} projects ({report.evaluated} forecast): "
        f"{backtest_seconds:.2f} s (target <= {TARGET_BACKTEST:g} s: "
        f"{'met' if backtest_seconds <= TARGET_BACKTEST else 'MISSED'}); coverage P50/P80/P90 "
        f"raw {'/'.join(f'{c:.0%}' for c in report.raw_coverage)}, calibrated "
        f"{'/'.join(f'{c:.0%}' for c in report.calibrated_coverage)}"
    )
    began = time.perf_counter()
    evaluated, raw_p80, calibrated_p80 = naive_backtest(rows)
    naive_seconds = time.perf_counter() - began
    print(
        f"naive Python backtest: {naive_seconds:.2f} s ({evaluated} forecast; P80 coverage raw "
        f"{raw_p80:.0%}, calibrated {calibrated_p80:.0%}); the library is "
        f"{naive_seconds / backtest_seconds:.0f}x faster"
    )


if __name__ == "__main__":
    main()
