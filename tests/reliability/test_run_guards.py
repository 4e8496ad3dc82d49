"""A run marked interrupted stays so, whatever a late worker tries to store."""

import os
import subprocess
import sys

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from app import cli as cli_module
from app import main as main_module
from app.config import PROJECT_ROOT
from app.db import write_session
from app.models import EstimateRevision, SimulationRun, User
from app.services import runs
from app.vocabulary import AccessRole, RunStatus
from app.worker import SUPERVISOR_PID
from tests.conftest import DATA_DIR


def test_a_late_result_for_a_run_marked_interrupted_is_discarded(seeded_engine: Engine) -> None:
    run_id = _running_run(seeded_engine)
    assert runs.mark_interrupted_runs(seeded_engine) == 1
    # What an orphaned worker would do after the restart: store its outcome.
    runs._finish(seeded_engine, run_id, error="late outcome from an orphaned worker")
    with write_session(seeded_engine) as session:
        stored = session.get(SimulationRun, run_id)
        assert stored is not None
        assert stored.status == RunStatus.FAILED
        assert stored.error.startswith("interrupted")


def _running_run(database: Engine) -> int:
    with write_session(database) as session:
        user = User(username="runner", password_hash="x", role=AccessRole.PRESALES)
        session.add(user)
        session.flush()
        revision = session.exec(select(EstimateRevision)).first()
        assert revision is not None
        run = runs.create_run(session, user=user, revision_id=revision.id or 0, data_dir=DATA_DIR)
        run.status = RunStatus.RUNNING
        return run.id or 0


def _status_of(database: Engine, run_id: int) -> RunStatus:
    with Session(database) as session:
        run = session.get(SimulationRun, run_id)
        assert run is not None
        return run.status


def test_serve_marks_interrupted_runs_once_before_starting_its_workers(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _running_run(seeded_engine)
    started: dict[str, object] = {}

    def fake_run_server(config: uvicorn.Config) -> None:
        status = _status_of(seeded_engine, run_id)
        started.update(app=config.app, workers=config.workers, status_at_start=status)

    monkeypatch.setattr(cli_module, "run_server", fake_run_server)
    monkeypatch.setenv(SUPERVISOR_PID, "0")  # restored after the test: serve sets it
    monkeypatch.setattr(cli_module, "get_engine", lambda: seeded_engine)
    result = CliRunner().invoke(cli_module.cli, ["serve", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert "1 interrupted run(s) marked failed" in result.output
    assert started["status_at_start"] == RunStatus.FAILED
    assert started["app"] == "app.main:create_served_app"
    assert started["workers"] == 3
    assert os.environ[SUPERVISOR_PID] == str(os.getpid())


def test_serve_with_one_process_runs_the_app_itself(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No supervisor: the process must not watch for one (its parent is a shell)."""
    started: list[uvicorn.Config] = []
    monkeypatch.setattr(cli_module, "run_server", started.append)
    monkeypatch.setattr(cli_module, "get_engine", lambda: seeded_engine)
    monkeypatch.delenv(SUPERVISOR_PID, raising=False)
    result = CliRunner().invoke(cli_module.cli, ["serve", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert started[0].app == "app.main:create_app"
    assert started[0].timeout_keep_alive == cli_module.KEEP_ALIVE_SECONDS
    assert SUPERVISOR_PID not in os.environ


def test_a_served_worker_starting_late_leaves_its_siblings_runs_alone(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _running_run(seeded_engine)
    monkeypatch.setattr(main_module, "get_engine", lambda: seeded_engine)
    with TestClient(main_module.create_served_app()) as client:
        assert client.get("/healthz").status_code == 200
    assert _status_of(seeded_engine, run_id) == RunStatus.RUNNING
    with TestClient(main_module.create_app(seeded_engine)) as client:  # started alone
        assert client.get("/healthz").status_code == 200
    assert _status_of(seeded_engine, run_id) == RunStatus.FAILED


def test_a_process_whose_parent_died_before_it_started_watching_exits_at_once() -> None:
    """A run or server process still starting when its parent was killed has init as its
    parent by then: it must compare with the parent that started it, not adopt init."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    orphan = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            f"import time; from app.worker import exit_with_parent; "
            f"exit_with_parent({gone.pid}); time.sleep(60)",
        ],
        cwd=PROJECT_ROOT,
        timeout=50,
        check=False,
    )
    assert orphan.returncode == 1
