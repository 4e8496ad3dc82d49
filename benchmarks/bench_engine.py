"""Benchmark of the estimation engine against a naive numpy baseline (issue 3 targets).

Run ``.venv/bin/python benchmarks/bench_engine.py`` (``make bench``). Each case runs in a
fresh child process so that its peak RSS (``os.wait4`` rusage) is its own; wall times are
the best of several runs inside the child, because the machine is shared.

Baseline: ``Generator.beta`` over the whole iterations × items matrix, then sum and
percentiles — the straightforward vectorised numpy way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LARGE_ROLES = ("BE", "FE", "QA")


@dataclass(frozen=True)
class Case:
    name: str
    iterations: int
    repeat: int
    target_seconds: float | None = None
    target_ratio: float | None = None
    target_rss_mb: float | None = None


CASES = (
    Case("baseline: numpy Generator.beta, 200 items", 100_000, 3),
    Case("reference, independent", 100_000, 7, target_seconds=0.4, target_ratio=0.33),
    Case("reference, interactive", 10_000, 15, target_seconds=0.05),
    Case("reference, 3 groups rho=0.3 + 20 risks", 100_000, 7, target_seconds=0.8),
    Case("reference, Latin hypercube", 100_000, 3),
    Case("large 2,000 items x 3 roles", 250_000, 2, target_rss_mb=400),
    Case("large 2,000 items x 3 roles", 500_000, 2, target_rss_mb=400),
    Case("large 2,000 items x 3 roles", 1_000_000, 1, target_rss_mb=400),
)


def _baseline(iterations: int) -> None:
    import numpy as np  # noqa: PLC0415

    from estimation import reference_model  # noqa: PLC0415

    model = reference_model()
    low = np.array([item.optimistic for item in model.items])
    mode = np.array([item.most_likely for item in model.items])
    high = np.array([item.pessimistic for item in model.items])
    alpha = 1 + 4 * (mode - low) / (high - low)
    beta = 1 + 4 * (high - mode) / (high - low)
    rng = np.random.default_rng(1)
    samples = low + (high - low) * rng.beta(alpha, beta, size=(iterations, len(low)))
    total = samples.sum(axis=1)
    np.percentile(total, [10, 50, 80, 90])


def _engine_case(case: Case) -> dict[str, object]:
    from estimation import Sampling, reference_model, simulate  # noqa: PLC0415

    if case.name.startswith("large"):
        model = reference_model(items=2_000, roles=LARGE_ROLES)
    elif "groups" in case.name:
        model = reference_model(correlation_groups=3, risks=20)
    else:
        model = reference_model()
    sampling = Sampling.LATIN_HYPERCUBE if "Latin" in case.name else Sampling.MONTE_CARLO
    best = float("inf")
    result = None
    for _ in range(case.repeat):
        start = time.perf_counter()
        result = simulate(model, iterations=case.iterations, seed=11, sampling=sampling)
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return {"seconds": best, "p80": result.unmitigated.effort.percentile(80)}


def _child(index: int) -> None:
    case = CASES[index]
    if case.name.startswith("baseline"):
        best = float("inf")
        for _ in range(case.repeat):
            start = time.perf_counter()
            _baseline(case.iterations)
            best = min(best, time.perf_counter() - start)
        print(json.dumps({"seconds": best}))
    else:
        print(json.dumps(_engine_case(case)))


def _run_child(index: int) -> tuple[dict[str, object], float]:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, __file__, "--case", str(index)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark case {CASES[index].name!r} failed")
    return json.loads(output), usage.ru_maxrss / 1024.0  # Linux: kilobytes


def _status(case: Case, seconds: float, ratio: float | None, rss: float) -> str:
    checks = []
    if case.target_seconds is not None:
        checks.append(seconds <= case.target_seconds)
    if case.target_ratio is not None and ratio is not None:
        checks.append(ratio <= case.target_ratio)
    if case.target_rss_mb is not None:
        checks.append(rss <= case.target_rss_mb)
    if not checks:
        return "-"
    return "met" if all(checks) else "MISSED"


def _target(case: Case) -> str:
    parts = []
    if case.target_seconds is not None:
        parts.append(f"<= {case.target_seconds * 1000:g} ms")
    if case.target_ratio is not None:
        parts.append(f"<= {case.target_ratio}x base")
    if case.target_rss_mb is not None:
        parts.append(f"RSS <= {case.target_rss_mb:g} MB")
    return ", ".join(parts) or "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.case is not None:
        _child(arguments.case)
        return
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (wall times are best of N)")
    print(
        f"{'case':42} {'iterations':>10} {'best s':>8} {'peak RSS':>9} {'x base':>7}  "
        f"{'target':32} status"
    )
    baseline = None
    large: list[tuple[int, float]] = []
    for index, case in enumerate(CASES):
        data, rss = _run_child(index)
        seconds = float(data["seconds"])  # type: ignore[arg-type]
        if baseline is None:
            baseline = seconds
        ratio = seconds / baseline if index else None
        if case.name.startswith("large"):
            large.append((case.iterations, seconds))
        print(
            f"{case.name:42} {case.iterations:>10,} {seconds:>8.3f} {rss:>6.0f} MB "
            f"{'' if ratio is None else f'{ratio:.2f}':>7}  {_target(case):32} "
            f"{_status(case, seconds, ratio, rss)}",
            flush=True,
        )
    if len(large) >= 2:
        _report_linearity(large)


def _report_linearity(points: list[tuple[int, float]]) -> None:
    """Least-squares fit time = fixed + per_million · iterations/1e6, and its worst residual."""
    import numpy as np  # noqa: PLC0415

    millions = np.array([n / 1e6 for n, _ in points])
    seconds = np.array([s for _, s in points])
    slope, fixed = np.polyfit(millions, seconds, 1)
    worst = float(np.max(np.abs(seconds - (fixed + slope * millions)) / seconds))
    print(
        f"large case: time ≈ {fixed:.1f} s + {slope:.1f} s per million iterations "
        f"(worst deviation from the line {worst:.0%}); the fixed part is tables, plan and "
        "the sensitivity pass over the first iterations"
    )


if __name__ == "__main__":
    main()
