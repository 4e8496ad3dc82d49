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
from app.db import make_engine
from app.errors import BidwrightError
from app.models import User
from app.services.estimates import get_revision
from app.services.runs import INTERACTIVE_LIMIT, create_run, execute_run, is_interactive


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
    """Create a run, commit it, and execute it here (interactive size) or in the worker.

    Returns the run id. The run's attributes are read before the commit: touching it
    afterwards would open a read transaction whose snapshot predates the stored result.
    """
    revision = get_revision(session, revision_id)
    if revision.iterations > INTERACTIVE_LIMIT and _queued_long_runs() >= MAX_QUEUED_LONG_RUNS:
        raise RunsBusyError(
            f"{MAX_QUEUED_LONG_RUNS} long runs are already queued; try again in a minute",
            retry_after=60,
        )
    run, model = create_run(
        session, user=user, revision_id=revision_id, data_dir=get_settings().data_dir
    )
    run_id, interactive = run.id or 0, is_interactive(run)
    if not interactive:
        session.commit()
        submit_run(run_id, database_url=database.url.render_as_string(hide_password=False))
        return run_id
    if not _interactive.acquire(timeout=INTERACTIVE_WAIT_SECONDS):
        raise RunsBusyError("the server is busy with other runs; try again", retry_after=5)
    try:
        session.commit()
        execute_run(database, run_id, model=model)
    finally:
        _interactive.release()
    return run_id
