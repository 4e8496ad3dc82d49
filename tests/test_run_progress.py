"""Background runs record their progress, throttled, in the run row."""

from sqlalchemy import Engine
from sqlmodel import Session, select

from app.db import write_session
from app.models import EstimateRevision, SimulationRun
from app.services import accounts
from app.services import runs as run_service
from app.vocabulary import AccessRole
from tests.conftest import DATA_DIR


def test_progress_is_stored_at_most_twice_a_second_and_completes_at_one(
    seeded_engine: Engine,
) -> None:
    with write_session(seeded_engine) as session:
        user = accounts.create_user(
            session, username="runner", password="long enough secret", role=AccessRole.PRESALES
        )
        revision = session.exec(select(EstimateRevision)).one()
        run = run_service.create_run(session, user=user, revision_id=revision.id, data_dir=DATA_DIR)
        run_id = run.id
    record = run_service._progress_recorder(seeded_engine, run_id)
    record(25, 100)
    record(50, 100)  # within half a second of the first: not written
    with Session(seeded_engine) as session:
        stored = session.get(SimulationRun, run_id)
        assert stored is not None
        assert stored.progress == 0.25
    run_service.execute_run(seeded_engine, run_id)
    with Session(seeded_engine) as session:
        finished = session.get(SimulationRun, run_id)
        assert finished is not None
        assert finished.status == "succeeded"
        assert finished.progress == 1.0
