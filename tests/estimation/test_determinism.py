"""Same input and seed → bit-identical result; the chunk size never changes the result."""

from __future__ import annotations

import json

import pytest

from estimation import Phase, SimulationResult, reference_model, simulate

from .factories import item, model, role

MODEL = reference_model(items=60, correlation_groups=3, risks=6)


@pytest.mark.parametrize("sampling", ["mc", "lhs"])
def test_the_same_input_and_seed_give_a_bit_identical_result(sampling: str) -> None:
    first = simulate(MODEL, iterations=20_000, seed=9, sampling=sampling)
    second = simulate(MODEL, iterations=20_000, seed=9, sampling=sampling)
    assert first.to_json() == second.to_json()


@pytest.mark.parametrize("chunk_size", [8_192, 16_384, 131_072])
def test_a_different_chunk_size_gives_an_identical_result(chunk_size: int) -> None:
    reference = simulate(MODEL, iterations=20_000, seed=9)
    other = simulate(MODEL, iterations=20_000, seed=9, chunk_size=chunk_size)
    assert other.to_json() == reference.to_json()


def test_latin_hypercube_is_chunk_size_invariant_too() -> None:
    reference = simulate(MODEL, iterations=17_000, seed=2, sampling="lhs")
    other = simulate(MODEL, iterations=17_000, seed=2, sampling="lhs", chunk_size=8_192)
    assert other == reference


def test_a_different_seed_gives_a_different_result() -> None:
    first = simulate(MODEL, iterations=5_000, seed=1)
    second = simulate(MODEL, iterations=5_000, seed=2)
    assert first.unmitigated.effort.mean != second.unmitigated.effort.mean


def test_the_result_round_trips_through_json() -> None:
    result = simulate(MODEL, iterations=5_000, seed=3)
    text = result.to_json()
    assert SimulationResult.from_json(text) == result
    data = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert data["schema_version"] == 1
    assert data["seed"] == 3
    assert data["unmitigated"]["effort"]["percentiles"][
        "P80"
    ] == result.unmitigated.effort.percentile(80)
    assert data["start_date"] == "2025-01-06"
    assert data["mitigated"] is not None


def test_a_wide_model_gets_a_smaller_automatic_chunk_with_the_same_result() -> None:
    phases = [Phase(f"P{p}") for p in range(9)]
    roles = [role(f"R{r}") for r in range(8)]
    items = [
        item(f"L{k}", 1, 2 + k % 3, 9, role_code=f"R{k % 8}", phase=f"P{k % 9}") for k in range(72)
    ]
    wide = model(items, roles=roles, phases=phases)
    automatic = simulate(wide, iterations=30_000, seed=4)
    fixed = simulate(wide, iterations=30_000, seed=4, chunk_size=65_536)
    assert automatic == fixed
