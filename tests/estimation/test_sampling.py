"""Latin hypercube sampling and the per-item samples."""

from __future__ import annotations

import numpy as np
import pytest

from estimation import BLOCK_ROWS, Distribution, reference_model, sample_work_items, simulate

from .factories import item, model


def test_latin_hypercube_hits_every_table_cell_equally_within_a_block() -> None:
    wide = item("A", 0, 500, 1_000, distribution=Distribution.UNIFORM)  # distinct cell values
    _, samples = sample_work_items(model([wide]), iterations=BLOCK_ROWS, seed=1, sampling="lhs")
    _, counts = np.unique(samples[:, 0], return_counts=True)
    assert set(counts.tolist()) == {2}  # 8,192 rows over 4,096 cells: each cell exactly twice


def test_latin_hypercube_estimates_the_mean_more_precisely_than_monte_carlo() -> None:
    estimate = reference_model(items=20)
    truth = simulate(estimate, iterations=1_000, seed=0).analytic.effort.mean
    errors = {"mc": [], "lhs": []}
    for seed in range(8):
        for sampling, found in errors.items():
            result = simulate(estimate, iterations=2_000, seed=seed, sampling=sampling)
            found.append(result.unmitigated.effort.mean - truth)
    assert np.sqrt(np.mean(np.square(errors["lhs"]))) < 0.5 * np.sqrt(
        np.mean(np.square(errors["mc"]))
    )


def test_item_samples_include_quantity_complexity_and_constants() -> None:
    estimate = model([item("A", 1, 2, 3, quantity=2, complexity=1.5), item("C", 4, 4, 4)])
    ids, samples = sample_work_items(estimate, iterations=1_000, seed=2)
    assert ids == ("A/BE", "C/BE")
    assert samples[:, 0].min() >= 3.0 - 1e-5
    assert samples[:, 0].max() <= 9.0 + 1e-5
    assert np.all(samples[:, 1] == 4.0)
    assert float(samples[:, 0].mean()) == pytest.approx(6.0, rel=0.01)
