"""Per-role and per-phase breakdowns: float32 storage, or histograms for huge runs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import estimation.engine
from estimation import SimulationResult, reference_model, simulate
from estimation._storage import _sorted_histogram

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


@given(
    values=st.lists(
        st.floats(min_value=0, max_value=1e7, allow_nan=False).map(lambda v: round(v, 2)),
        min_size=1,
        max_size=400,
    ),
    bins=st.integers(min_value=1, max_value=60),
)
def test_histograms_of_sorted_data_count_exactly_as_numpy_does(
    values: list[float], bins: int
) -> None:
    ordered = np.sort(np.array(values))
    counts, edges = _sorted_histogram(ordered, bins)
    if ordered[-1] > ordered[0]:
        expected_counts, expected_edges = np.histogram(
            ordered, bins=bins, range=(ordered[0], ordered[-1])
        )
        assert counts.tolist() == expected_counts.tolist()
        assert edges.tolist() == expected_edges.tolist()
    else:
        assert counts.tolist() == [len(values)]
