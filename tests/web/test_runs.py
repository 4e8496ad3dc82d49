"""Running an estimate, reading results and charts, comparing revisions, per role."""

import re
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import undefer
from sqlmodel import Session, col, select

from app import db, worker
from app.models import EstimateLine, EstimateRevision, SimulationRun
from app.services.revision_view import RUNS_SHOWN
from app.vocabulary import AccessRole, RunStatus
from tests.web.conftest import Browser

Open = Callable[[AccessRole], Browser]


def _revision(engine: Engine, number: int = 1) -> EstimateRevision:
    with Session(engine) as session:
        return session.exec(select(EstimateRevision).where(EstimateRevision.number == number)).one()


def _run(browser: Browser, revision_id: int) -> int:
    response = browser.post(f"/revisions/{revision_id}/runs")
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/runs/(\d+)", response.headers["location"])
    assert match is not None
    return int(match.group(1))


def _stored(engine: Engine, run_id: int) -> SimulationRun:
    """The run with its (normally deferred) snapshot and result loaded."""
    with Session(engine) as session:
        run = session.get(
            SimulationRun,
            run_id,
            options=[undefer(SimulationRun.input_snapshot), undefer(SimulationRun.result)],  # type: ignore[arg-type]
        )
        assert run is not None
        return run


def test_an_interactive_run_stores_its_inputs_and_shows_the_results(
    open_as: Open, seeded: Engine
) -> None:
    presales = open_as(AccessRole.PRESALES)
    run_id = _run(presales, _revision(seeded).id)
    run = _stored(seeded, run_id)
    assert run.status == RunStatus.SUCCEEDED
    assert run.input_snapshot["format"] == "bidwright-run-input/1"
    assert len(run.input_sha256) == 64
    page = presales.get(f"/runs/{run_id}").text
    summary = run.summary or {}
    # The page prints exactly the stored figures (money half-up to the cent).
    price_p80 = f"{float(summary['price_p80']):,.2f}"
    assert price_p80 in page
    assert f"{float(summary['cost_p80']):,.2f}" in page
    assert 'data-series="margin"' in page
    for chart in ("histogram-price", "s-curve-effort", "tornado"):
        assert f"/runs/{run_id}/charts/{chart}.svg" in page


def test_sales_see_price_level_results_without_any_cost_or_margin(
    open_as: Open, seeded: Engine
) -> None:
    run_id = _run(open_as(AccessRole.PRESALES), _revision(seeded).id)
    summary = _stored(seeded, run_id).summary or {}
    for role in (AccessRole.SALES, AccessRole.BID):
        page = open_as(role).get(f"/runs/{run_id}").text
        assert f"{float(summary['price_p80']):,.2f}" in page
        for key in ("cost_p50", "cost_p80", "cost_p90", "margin_p80"):
            assert f"{float(summary[key]):,.2f}" not in page
        assert 'data-series="cost"' not in page
        assert 'data-series="margin"' not in page


def test_charts_are_svg_images_with_their_own_narrow_policy(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.PRESALES)
    run_id = _run(browser, _revision(seeded).id)
    response = browser.get(f"/runs/{run_id}/charts/histogram-price.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert b"<svg" in response.content
    assert browser.get(f"/runs/{run_id}/charts/nonsense.svg").status_code == 404


def test_running_an_empty_revision_is_refused_with_a_message(open_as: Open, seeded: Engine) -> None:
    revision = _revision(seeded)
    with Session(seeded) as session:
        for line in session.exec(select(EstimateLine)).all():
            session.delete(line)
        session.commit()
    response = open_as(AccessRole.PRESALES).post(f"/revisions/{revision.id}/runs")
    assert response.status_code == 422
    assert "no lines" in response.text


def test_sales_cannot_start_runs(open_as: Open, seeded: Engine) -> None:
    assert (
        open_as(AccessRole.SALES).post(f"/revisions/{_revision(seeded).id}/runs").status_code == 403
    )


def test_the_same_seed_gives_the_same_stored_result(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.PRESALES)
    revision_id = _revision(seeded).id
    first, second = _run(browser, revision_id), _run(browser, revision_id)
    assert _stored(seeded, first).result == _stored(seeded, second).result
    assert _stored(seeded, first).input_sha256 == _stored(seeded, second).input_sha256


def test_a_long_run_goes_to_the_worker_and_the_page_polls_until_done(
    open_as: Open, seeded: Engine
) -> None:
    revision = _revision(seeded)
    with Session(seeded) as session:
        stored = session.get(EstimateRevision, revision.id)
        assert stored is not None
        stored.iterations = 250_000
        session.commit()
    browser = open_as(AccessRole.PRESALES)
    run_id = _run(browser, revision.id)
    first = browser.get(f"/runs/{run_id}", headers={"HX-Request": "true"})
    assert first.text.lstrip().startswith('<div id="run-body"')
    deadline = time.monotonic() + 120
    while _stored(seeded, run_id).status in (RunStatus.QUEUED, RunStatus.RUNNING):
        assert time.monotonic() < deadline, "the background run did not finish in 2 minutes"
        time.sleep(0.5)
    assert _stored(seeded, run_id).status == RunStatus.SUCCEEDED
    done = browser.get(f"/runs/{run_id}", headers={"HX-Request": "true"}).text
    assert 'hx-trigger="every 1s"' not in done
    assert 'id="summary"' in done


def test_comparing_revisions_shows_input_changes_and_moved_figures(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    first = _revision(seeded)
    _run(browser, first.id)
    assert browser.post(f"/revisions/{first.id}/new-revision").status_code == 303
    second = _revision(seeded, 2)
    with Session(seeded) as session:
        line = session.exec(
            select(EstimateLine)
            .where(EstimateLine.revision_id == second.id)
            .order_by(col(EstimateLine.id))
        ).first()
        assert line is not None
        line.quantity = line.quantity * 3
        code = line.code
        session.commit()
    _run(browser, second.id)
    page = browser.get(f"/compare?left={first.id}&right={second.id}").text
    assert f"{code} 数量" in page
    assert "P80" in page
    assert "报价" in page


def test_excess_long_runs_are_refused_with_a_retry_hint(
    open_as: Open, seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    revision = _revision(seeded)
    with Session(seeded) as session:
        stored = session.get(EstimateRevision, revision.id)
        assert stored is not None
        stored.iterations = 1_000_000
        session.commit()
    monkeypatch.setattr(worker, "_queued_long_runs", lambda: worker.MAX_QUEUED_LONG_RUNS)
    response = open_as(AccessRole.PRESALES).post(f"/revisions/{revision.id}/runs")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "60"
    with Session(seeded) as session:
        assert session.exec(select(SimulationRun)).all() == []


def _refused_while_held(
    browser: Browser, engine: Engine, semaphore: threading.BoundedSemaphore, permits: int
) -> None:
    """Start a run while ``permits`` of ``semaphore`` are taken: refused, nothing stored."""
    taken = [semaphore.acquire(timeout=1) for _ in range(permits)]
    try:
        response = browser.post(f"/revisions/{_revision(engine).id}/runs")
    finally:
        for _ in taken:
            semaphore.release()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    with Session(engine) as session:
        assert session.exec(select(SimulationRun)).all() == []


def test_interactive_runs_beyond_the_free_slots_are_refused_not_queued_forever(
    open_as: Open, seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "INTERACTIVE_WAIT_SECONDS", 0.1)
    presales = open_as(AccessRole.PRESALES)
    _refused_while_held(presales, seeded, worker._interactive, worker.INTERACTIVE_SLOTS)


def test_when_the_waiting_line_is_full_a_run_is_refused_at_once(
    open_as: Open, seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "INTERACTIVE_WAIT_SECONDS", 60.0)
    presales = open_as(AccessRole.PRESALES)
    started = time.monotonic()
    admitted = worker.INTERACTIVE_SLOTS + worker.INTERACTIVE_WAITING
    _refused_while_held(presales, seeded, worker._admitted, admitted)
    assert time.monotonic() - started < 30, "refused without waiting for a slot"


@pytest.mark.sqlite_only
def test_starting_a_run_waits_for_no_other_writer_of_the_server_process(
    open_as: Open, seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run process writes the run; the request's own session only reads, so a long
    write elsewhere in this server process (here: the write gate held) delays nothing."""
    presales = open_as(AccessRole.PRESALES)
    revision_id = _revision(seeded).id
    monkeypatch.setattr(db, "WRITE_GATE_TIMEOUT_SECONDS", 0.5)
    assert db._sqlite_write_gate.acquire(timeout=5)
    try:
        run_id = _run(presales, revision_id)
    finally:
        db._sqlite_write_gate.release()
    assert _stored(seeded, run_id).status == RunStatus.SUCCEEDED


def test_the_revision_page_lists_the_latest_runs_and_says_how_many_there_are(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    revision_id = _revision(seeded).id
    run_ids = [_run(browser, revision_id) for _ in range(RUNS_SHOWN + 2)]
    page = browser.get(f"/revisions/{revision_id}").text
    listed = [int(number) for number in re.findall(r'<a href="/runs/(\d+)">', page)]
    assert listed == sorted(run_ids, reverse=True)[:RUNS_SHOWN]
    assert f"{RUNS_SHOWN} / {RUNS_SHOWN + 2}" in page
