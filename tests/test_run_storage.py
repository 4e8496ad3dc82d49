"""A finished run stores the engine's result as JSON, exactly, or fails with a message."""

import dataclasses
import json
import logging
import math
from typing import Any

import pytest
from sqlalchemy import Engine, Text, cast
from sqlmodel import Session, col, select

import estimation
from app.models import SimulationRun
from app.services import run_view
from app.services import runs as run_service
from app.services.engine_input import model_from_snapshot
from app.vocabulary import RunStatus


def _stored_text(engine: Engine, run_id: int) -> str | None:
    with Session(engine) as session:
        return session.scalar(
            select(cast(col(SimulationRun.result), Text)).where(col(SimulationRun.id) == run_id)
        )


def test_the_stored_result_is_the_engines_result_exactly(
    seeded_engine: Engine, queued_run: int
) -> None:
    run_service.execute_run(seeded_engine, queued_run)
    with Session(seeded_engine) as session:
        run = session.get(SimulationRun, queued_run)
        assert run is not None
        assert run.status == RunStatus.SUCCEEDED
        expected = estimation.simulate(
            model_from_snapshot(run.input_snapshot),
            iterations=run.iterations,
            seed=run.seed,
            sampling=run.sampling.value,
        )
        assert run_view.stored_result(run) == expected
    text = _stored_text(seeded_engine, queued_run)
    assert text is not None
    # Strict JSON that the standard library reads as to_dict() wrote it.
    stored = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert stored == expected.to_dict()


def test_a_result_holding_nan_fails_the_run_and_stores_no_result(
    seeded_engine: Engine,
    queued_run: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulate = estimation.simulate

    def spoiled(*arguments: Any, **options: Any) -> estimation.SimulationResult:
        result = simulate(*arguments, **options)
        effort = dataclasses.replace(result.unmitigated.effort, mean=math.nan)
        return dataclasses.replace(
            result, unmitigated=dataclasses.replace(result.unmitigated, effort=effort)
        )

    monkeypatch.setattr(run_service.engine, "simulate", spoiled)
    with caplog.at_level(logging.ERROR, logger=run_service.logger.name):
        run_service.execute_run(seeded_engine, queued_run)
    with Session(seeded_engine) as session:
        run = session.get(SimulationRun, queued_run)
        assert run is not None
        assert run.status == RunStatus.FAILED
        assert "cannot be stored" in run.error
        assert run.result is None
        assert not run.summary
    assert "result.unmitigated.effort.mean: nan" in caplog.text
