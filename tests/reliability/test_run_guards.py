"""A run marked interrupted stays so, whatever a late worker tries to store."""

from sqlalchemy import Engine
from sqlmodel import select

from app.db import write_session
from app.models import EstimateRevision, SimulationRun, User
from app.services import runs
from app.vocabulary import AccessRole, RunStatus
from tests.conftest import DATA_DIR


def test_a_late_result_for_a_run_marked_interrupted_is_discarded(seeded_engine: Engine) -> None:
    with write_session(seeded_engine) as session:
        user = User(username="runner", password_hash="x", role=AccessRole.PRESALES)
        session.add(user)
        session.flush()
        revision = session.exec(select(EstimateRevision)).first()
        assert revision is not None
        run = runs.create_run(session, user=user, revision_id=revision.id or 0, data_dir=DATA_DIR)
        run.status = RunStatus.RUNNING
        run_id = run.id or 0
    assert runs.mark_interrupted_runs(seeded_engine) == 1
    # What an orphaned worker would do after the restart: store its outcome.
    runs._finish(seeded_engine, run_id, error="late outcome from an orphaned worker")
    with write_session(seeded_engine) as session:
        stored = session.get(SimulationRun, run_id)
        assert stored is not None
        assert stored.status == RunStatus.FAILED
        assert stored.error.startswith("interrupted")
