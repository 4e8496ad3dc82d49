"""Where runs execute, and how many at once.

Long runs go to one separate worker process, so requests are never held up by them: the
machine has two cores and the web server needs one. The child process opens its own
database engine; nothing but the run id crosses the boundary. Interactive runs execute in
the request, at most ``INTERACTIVE_SLOTS`` at a time. When the queue or the slots are full,
the request is refused at once with 503 and a ``Retry-After`` hint instead of piling up.
"""

import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache

from sqlalchemy import Engine
from sqlmodel import Session

from app.config import get_settings
from app.db import begin_write, make_engine
from app.errors import BidwrightError
from app.models import User
from app.services.estimates import get_revision
from app.services.runs import INTERACTIVE_LIMIT, create_run, execute_run
from estimation import EstimationModel


def _execute_in_child(database_url: str, run_id: int) -> None:
    database = make_engine(database_url)
    try:
        execute_run(database, run_id, report_progress=True)
    finally:
        database.dispose()


@lru_cache
def _executor() -> ProcessPoolExecutor:
    # "spawn": a clean interpreter, no copy of the server's threads, locks or connections.
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


MAX_QUEUED_LONG_RUNS = 4
INTERACTIVE_SLOTS = 4
INTERACTIVE_WAIT_SECONDS = 5.0
_interactive = threading.BoundedSemaphore(INTERACTIVE_SLOTS)
_queued: set[Future[None]] = set()
_queued_lock = threading.Lock()


class RunsBusyError(BidwrightError):
    """Too many runs at once; the client should retry after ``retry_after`` seconds."""

    status_code = 503

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _queued_long_runs() -> int:
    with _queued_lock:
        _queued.difference_update({future for future in _queued if future.done()})
        return len(_queued)


def submit_run(run_id: int, *, database_url: str) -> Future[None]:
    future = _executor().submit(_execute_in_child, database_url, run_id)
    with _queued_lock:
        _queued.add(future)
    return future


def shutdown() -> None:
    if _executor.cache_info().currsize:
        _executor().shutdown(wait=False, cancel_futures=True)
        _executor.cache_clear()


def launch_run(session: Session, *, user: User, revision_id: int, database: Engine) -> int:
    """Create a run and execute it here (interactive size) or queue it for the worker.

    Returns the run id. Nothing waits while holding the database's write lock: the request's
    transaction is ended first, the run row is written in a short transaction of its own,
    and the engine runs after that commit.
    """
    long_run = get_revision(session, revision_id).iterations > INTERACTIVE_LIMIT
    session.commit()
    if long_run:
        if _queued_long_runs() >= MAX_QUEUED_LONG_RUNS:
            raise RunsBusyError(
                f"{MAX_QUEUED_LONG_RUNS} long runs are already queued; try again in a minute",
                retry_after=60,
            )
        run_id, _ = _create(session, user=user, revision_id=revision_id)
        submit_run(run_id, database_url=database.url.render_as_string(hide_password=False))
        return run_id
    if not _interactive.acquire(timeout=INTERACTIVE_WAIT_SECONDS):
        raise RunsBusyError("the server is busy with other runs; try again", retry_after=5)
    try:
        run_id, model = _create(session, user=user, revision_id=revision_id)
        execute_run(database, run_id, model=model)
    finally:
        _interactive.release()
    return run_id


def _create(session: Session, *, user: User, revision_id: int) -> tuple[int, EstimationModel]:
    """Record the run in a write transaction of its own and commit it at once.

    The run's id is read before the commit: touching the run afterwards would open a read
    transaction whose snapshot predates the result that ``execute_run`` stores.
    """
    begin_write(session)
    run, model = create_run(
        session, user=user, revision_id=revision_id, data_dir=get_settings().data_dir
    )
    run_id = run.id or 0
    session.commit()
    return run_id, model
