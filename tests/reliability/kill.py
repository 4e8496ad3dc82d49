"""Kill -9 scenarios on a real server: the test suite runs each once, the benchmark 30 times.

Each scenario commits a few line edits first (what must survive), starts a long write (a
new revision of a large estimate, a long run, a large catalog import), SIGKILLs the server
part-way (a seeded random delay), restarts it and checks that SQLite's integrity check is
ok, nothing committed is lost, and nothing is half-written.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.db import make_engine, write_session
from app.models import (
    CatalogVersion,
    EstimateLine,
    EstimateRevision,
    SimulationRun,
    WorkItem,
)
from app.services.operations import check_database
from app.vocabulary import RunStatus
from tests.reliability.live import (
    LiveServer,
    edit_form_values,
    large_catalog_workbook,
    line_ids,
    prepare_database,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LONG_RUN_ITERATIONS = 250_000  # above the interactive limit: runs in the long-run worker
KILL_SCENARIOS = ("revision", "run", "catalog")


@dataclass(frozen=True)
class Template:
    """A prepared database file to copy per scenario, and what is in it."""

    path: Path
    revision_id: int
    catalog_workbook: bytes
    catalog_items: int


@dataclass
class Outcome:
    scenario: str
    delay_seconds: float
    finished_before_kill: bool
    detail: str


def make_template(path: Path, *, lines: int = 200, catalog_copies: int = 12) -> Template:
    url = f"sqlite:///{path}"
    revision_id = prepare_database(url, users=2, lines=lines)
    workbook, items = large_catalog_workbook(url, copies=catalog_copies)
    return Template(path, revision_id, workbook, items)


def _descendants_of(pid: int) -> list[int]:
    """Every process below ``pid``: server workers and their run processes."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def _commands(pids: list[int]) -> list[str]:
    commands = []
    for pid in pids:
        with contextlib.suppress(OSError):
            commands.append(
                Path(f"/proc/{pid}/stat").read_text()[:80]
                + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            )
    return commands


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _commit_edits(server: LiveServer, revision_id: int, count: int) -> dict[int, float]:
    """Save ``count`` lines over HTTP; returns the quantities each save committed."""
    client, csrf = server.log_in("user1")
    committed: dict[int, float] = {}
    for index, line_id in enumerate(line_ids(server.database_url, revision_id, limit=count)):
        values = edit_form_values(client, line_id)
        quantity = 10 + index + random.random()
        values.update(csrf_token=csrf, quantity=f"{quantity:.3f}")
        response = client.post(f"/lines/{line_id}", data=values, headers={"HX-Request": "true"})
        assert response.status_code == 200, response.text[:300]
        committed[line_id] = round(quantity, 3)
    client.close()
    return committed


def _in_background(call: Callable[[], object]) -> threading.Thread:
    def swallow() -> None:
        with contextlib.suppress(httpx.TransportError):  # killed under the request: expected
            call()

    thread = threading.Thread(target=swallow, daemon=True)
    thread.start()
    return thread


def run_scenario(scenario: str, template: Template, workdir: Path, *, seed: int) -> Outcome:
    """Copy the template, run ``scenario`` with a kill, restart, check; raises on a failure."""
    chooser = random.Random(seed)  # kill timing, not secrets
    workdir.mkdir(parents=True, exist_ok=True)
    database_path = workdir / "bidwright.db"
    shutil.copyfile(template.path, database_path)
    url = f"sqlite:///{database_path}"
    server = LiveServer(url, workdir / "server.log")
    server.start()
    try:
        committed = _commit_edits(server, template.revision_id, count=5)
        if scenario == "revision":
            outcome = _kill_during_new_revision(server, template, chooser)
        elif scenario == "run":
            outcome = _kill_during_long_run(server, template)
        else:
            outcome = _kill_during_catalog_import(server, template, chooser)
        server.start()
        _check_after_restart(server, template, committed, scenario)
        if scenario == "run":
            _rerun_succeeds(server, template)
    finally:
        server.kill()
    return outcome


def _kill_mid_request(
    server: LiveServer, username: str, delay: float, request: Callable[..., object]
) -> bool:
    """Send ``request(client, csrf)`` in the background, SIGKILL the server ``delay``
    seconds later; whether the request had finished by then."""
    client, csrf = server.log_in(username)
    thread = _in_background(lambda: request(client, csrf))
    time.sleep(delay)
    finished = not thread.is_alive()
    server.kill()
    thread.join(timeout=10)
    client.close()
    return finished


def _kill_during_new_revision(
    server: LiveServer, template: Template, chooser: random.Random
) -> Outcome:
    delay = chooser.uniform(0.0, 0.6)
    finished = _kill_mid_request(
        server,
        "user0",
        delay,
        lambda client, csrf: client.post(
            f"/revisions/{template.revision_id}/new-revision", data={"csrf_token": csrf}
        ),
    )
    return Outcome("revision", delay, finished, "")


def _kill_during_catalog_import(
    server: LiveServer, template: Template, chooser: random.Random
) -> Outcome:
    delay = chooser.uniform(0.2, 4.0)
    finished = _kill_mid_request(
        server,
        "admin0",
        delay,
        lambda client, csrf: client.post(
            "/catalogs/import",
            data={"csrf_token": csrf},
            files={"workbook": ("large.xlsx", template.catalog_workbook, XLSX)},
        ),
    )
    return Outcome("catalog", delay, finished, "")


def _set_iterations(url: str, revision_id: int, iterations: int) -> None:
    database = make_engine(url)
    with write_session(database) as session:
        revision = session.get(EstimateRevision, revision_id)
        assert revision is not None
        revision.iterations = iterations
    database.dispose()


def _kill_during_long_run(server: LiveServer, template: Template) -> Outcome:
    """Kill only the server's main process while the run computes: its server workers and
    their run processes must notice and exit rather than store a result after the restart
    or go on answering on the old socket."""
    _set_iterations(server.database_url, template.revision_id, LONG_RUN_ITERATIONS)
    client, csrf = server.log_in("user0")
    response = client.post(f"/revisions/{template.revision_id}/runs", data={"csrf_token": csrf})
    assert response.status_code == 303, response.text[:300]
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    client.close()
    started = time.monotonic()
    status = _run_status(server.database_url, run_id)
    while status != RunStatus.RUNNING and time.monotonic() - started < 60:
        time.sleep(0.05)
        status = _run_status(server.database_url, run_id)
    assert status == RunStatus.RUNNING, f"the run never started ({status})"
    assert server.process is not None
    pid = server.process.pid
    children = _descendants_of(pid)
    os.kill(pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    # Each level notices its parent's death within 0.5 s; the run process is niced and a
    # loaded machine gives it little CPU to exit, hence a generous bound.
    deadline = time.monotonic() + 30
    while any(_alive(child) for child in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    orphans = [child for child in children if _alive(child)]
    for child in orphans:
        os.kill(child, signal.SIGKILL)
    server.process = None
    assert orphans == [], f"server processes outlived the killed server: {_commands(orphans)}"
    return Outcome("run", time.monotonic() - started, False, f"run {run_id}")


def _run_status(url: str, run_id: int) -> RunStatus | None:
    database = make_engine(url)
    try:
        with Session(database) as session:
            run = session.get(SimulationRun, run_id)
            return run.status if run is not None else None
    finally:
        database.dispose()


def _check_after_restart(
    server: LiveServer, template: Template, committed: dict[int, float], scenario: str
) -> None:
    database = make_engine(server.database_url)
    try:
        report = check_database(database)
        assert report.ok, report.problems
        with Session(database) as session:
            for line_id, quantity in committed.items():
                line = session.get(EstimateLine, line_id)
                assert line is not None, f"committed line {line_id} lost"
                assert round(line.quantity, 3) == quantity, f"line {line_id} lost its edit"
            source_lines = _line_count(session, template.revision_id)
            for revision in session.exec(select(EstimateRevision)).all():
                if revision.based_on_id == template.revision_id:
                    assert _line_count(session, revision.id or 0) == source_lines, (
                        "half-written revision"
                    )
            for version in session.exec(select(CatalogVersion)).all():
                items = session.exec(
                    select(func.count())
                    .select_from(WorkItem)
                    .where(WorkItem.catalog_version_id == version.id)
                ).one()
                if version.number > 1:
                    assert items == template.catalog_items, "half-written catalog version"
            unfinished = session.exec(
                select(SimulationRun).where(
                    col(SimulationRun.status).in_([RunStatus.QUEUED, RunStatus.RUNNING])
                )
            ).all()
            assert unfinished == [], "a run was left queued or running after the restart"
            if scenario == "run":
                interrupted = session.exec(
                    select(SimulationRun).order_by(col(SimulationRun.id).desc())
                ).first()
                assert interrupted is not None
                assert interrupted.status == RunStatus.FAILED
                assert "interrupted" in (interrupted.error or "")
                assert interrupted.result is None
    finally:
        database.dispose()


def _line_count(session: Session, revision_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(EstimateLine)
        .where(EstimateLine.revision_id == revision_id)
    ).one()


def _rerun_succeeds(server: LiveServer, template: Template) -> None:
    """The interrupted run can be started again, and it finishes."""
    client, csrf = server.log_in("user0")
    response = client.post(f"/revisions/{template.revision_id}/runs", data={"csrf_token": csrf})
    assert response.status_code == 303, response.text[:300]
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    client.close()
    deadline = time.monotonic() + 120
    status = _run_status(server.database_url, run_id)
    while status in (RunStatus.QUEUED, RunStatus.RUNNING) and time.monotonic() < deadline:
        time.sleep(0.2)
        status = _run_status(server.database_url, run_id)
    assert status == RunStatus.SUCCEEDED, status
