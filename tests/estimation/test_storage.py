"""Per-role and per-phase breakdowns: float32 storage, or histograms for huge runs."""

from __future__ import annotations

import pytest

import estimation.engine
from estimation import SimulationResult, reference_model, simulate

MODEL = reference_model(items=60, correlation_groups=3, risks=5)


def _run(
    monkeypatch: pytest.MonkeyPatch, budget: int, chunk_size: int = 65_536
) -> SimulationResult:
    monkeypatch.setattr(estimation.engine, "_BREAKDOWN_BYTES", budget)
    return simulate(MODEL, iterations=20_000, seed=1, chunk_size=chunk_size)


def test_histogram_breakdowns_agree_with_stored_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = _run(monkeypatch, 2**40)
    streamed = _run(monkeypatch, 0)
    assert streamed.unmitigated.effort == stored.unmitigated.effort  # totals stay exact
    for phase, exact in stored.unmitigated.effort_by_phase.items():
        approximate = streamed.unmitigated.effort_by_phase[phase]
        assert approximate.mean == pytest.approx(exact.mean, rel=1e-6)
        assert approximate.sd == pytest.approx(exact.sd, rel=1e-4)
        assert approximate.minimum == pytest.approx(exact.minimum, rel=1e-6)
        assert approximate.maximum == pytest.approx(exact.maximum, rel=1e-6)
        for label, value in exact.percentiles.items():
            assert approximate.percentiles[label] == pytest.approx(value, abs=0.01 * exact.sd)
        assert sum(approximate.histogram.counts) == 20_000


def test_histogram_breakdowns_do_not_depend_on_the_chunk_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _run(monkeypatch, 0, 8_192) == _run(monkeypatch, 0, 65_536)
