"""Convergence: percentile confidence intervals and the auto mode."""

from __future__ import annotations

import math

import pytest

from estimation import reference_model, simulate

MODEL = reference_model(items=50)


def test_auto_mode_stops_once_the_p80_is_within_the_tolerance() -> None:
    result = simulate(MODEL, iterations="auto", seed=1, tolerance=0.001)
    convergence = result.convergence
    assert convergence.auto
    assert convergence.converged
    assert convergence.relative_half_width_p80 is not None
    assert convergence.relative_half_width_p80 <= 0.001
    assert convergence.iterations % 16_384 == 0
    # the batch before did not meet the tolerance
    if convergence.iterations > 16_384:
        earlier = simulate(MODEL, iterations=convergence.iterations - 16_384, seed=1)
        width = earlier.convergence.relative_half_width_p80
        assert width is not None
        assert width > 0.001


def test_auto_mode_gives_the_same_numbers_as_a_fixed_run_of_that_length() -> None:
    auto = simulate(MODEL, iterations="auto", seed=2, tolerance=0.0005)
    fixed = simulate(MODEL, iterations=auto.iterations, seed=2)
    assert auto.unmitigated == fixed.unmitigated


def test_auto_mode_reports_when_it_hits_its_cap() -> None:
    result = simulate(MODEL, iterations="auto", seed=3, tolerance=1e-6, max_iterations=32_768)
    assert result.iterations == 32_768
    assert not result.convergence.converged
    assert any("stopped at the cap" in warning for warning in result.warnings)


def test_the_standard_error_of_the_p80_shrinks_like_one_over_root_n() -> None:
    small = simulate(MODEL, iterations=10_000, seed=4).convergence.effort[1]
    large = simulate(MODEL, iterations=90_000, seed=4).convergence.effort[1]
    assert large.standard_error == pytest.approx(small.standard_error / 3, rel=0.25)
    assert large.lower <= large.value <= large.upper


def test_the_standard_error_matches_the_asymptotic_formula() -> None:
    result = simulate(MODEL, iterations=50_000, seed=5)
    normal = result.analytic.effort
    p80 = result.convergence.effort[1]
    density = math.exp(-0.5 * 0.8416212335729143**2) / math.sqrt(2 * math.pi) / normal.sd
    # Ref: SE of a sample quantile √(p(1−p)/n)/f(x_p) (e.g. FIELD_NOTES: 0.95 h at 10k for sd 65.7)
    expected = math.sqrt(0.8 * 0.2 / result.iterations) / density
    assert p80.standard_error == pytest.approx(expected, rel=0.15)


def test_progress_is_reported_after_every_chunk_and_can_cancel() -> None:
    calls: list[tuple[int, int]] = []
    simulate(
        MODEL, iterations=20_000, seed=6, chunk_size=8_192, progress=lambda *a: calls.append(a)
    )
    assert calls == [(8_192, 20_000), (16_384, 20_000), (20_000, 20_000)]

    class CancelledError(Exception):
        pass

    def cancel(done: int, planned: int) -> None:
        raise CancelledError

    with pytest.raises(CancelledError):
        simulate(MODEL, iterations=20_000, seed=6, progress=cancel)


def test_a_p80_of_zero_with_spread_has_no_relative_precision_and_stays_json() -> None:
    from estimation import RiskEvent  # noqa: PLC0415

    from .factories import item, model  # noqa: PLC0415

    # the effort is 0 unless the risk occurs (20 %): P80 = 0 but its interval reaches above
    rare = RiskEvent("R", 0.2, impact_days={"BE": (1, 2, 3)}, phase="build")
    result = simulate(model([item("Z", 0, 0, 0)], risks=[rare]), iterations=5_000, seed=1)
    assert result.unmitigated.effort.percentile(80) == 0.0
    assert result.convergence.effort[1].upper > 0.0
    assert result.convergence.relative_half_width_p80 is None
    assert '"relative_half_width_p80": null' in result.to_json()
