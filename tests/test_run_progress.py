"""Background runs record their progress, throttled, in the run row."""

from collections.abc import Iterator

from sqlalchemy import Engine
from sqlmodel import Session

from app.db import write_session
from app.models import SimulationRun
from app.services import runs as run_service
from app.vocabulary import RunStatus


def _set_status(engine: Engine, run_id: int, status: RunStatus) -> None:
    with write_session(engine) as session:
        run = session.get(SimulationRun, run_id)
        assert run is not None
        run.status = status


def _stored(engine: Engine, run_id: int) -> SimulationRun:
    with Session(engine) as session:
        run = session.get(SimulationRun, run_id)
        assert run is not None
        return run


def _clock(*readings: float) -> Iterator[float]:
    return iter(readings)


def test_progress_is_stored_at_most_twice_a_second(seeded_engine: Engine, queued_run: int) -> None:
    _set_status(seeded_engine, queued_run, RunStatus.RUNNING)
    readings = _clock(100.0, 100.2, 100.6)
    record = run_service._progress_recorder(seeded_engine, queued_run, clock=lambda: next(readings))
    record(25, 100)
    assert _stored(seeded_engine, queued_run).progress == 0.25
    record(50, 100)  # 0.2 s after the last write: not written
    assert _stored(seeded_engine, queued_run).progress == 0.25
    record(75, 100)
    assert _stored(seeded_engine, queued_run).progress == 0.75


def test_progress_never_reaches_one_before_the_result_is_stored(
    seeded_engine: Engine, queued_run: int
) -> None:
    _set_status(seeded_engine, queued_run, RunStatus.RUNNING)
    run_service._progress_recorder(seeded_engine, queued_run)(100, 100)
    assert _stored(seeded_engine, queued_run).progress == 0.99


def test_an_interrupted_run_keeps_the_progress_it_was_marked_with(
    seeded_engine: Engine, queued_run: int
) -> None:
    _set_status(seeded_engine, queued_run, RunStatus.FAILED)
    run_service._progress_recorder(seeded_engine, queued_run)(50, 100)
    assert _stored(seeded_engine, queued_run).progress == 0.0


def test_a_finished_run_has_progress_one(seeded_engine: Engine, queued_run: int) -> None:
    run_service.execute_run(seeded_engine, queued_run, report_progress=True)
    finished = _stored(seeded_engine, queued_run)
    assert finished.status == RunStatus.SUCCEEDED
    assert finished.progress == 1.0
